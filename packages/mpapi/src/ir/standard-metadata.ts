/**
 * Standard metadata every program sees, after v1model's `standard_metadata_t`,
 * under the `standard.` prefix. Read-only fields are set by the target.
 */
import { PARSER_ERRORS, type ParserErrorName } from './parser.js';

export interface StandardField {
  readonly width: number;
  readonly writable: boolean;
  readonly doc: string;
}

export const STANDARD_METADATA = {
  ingressPort: { width: 9, writable: false, doc: 'port the packet arrived on' },
  egressPort: { width: 9, writable: true, doc: 'port the packet leaves on (v1model egress_spec); set by setEgress' },
  packetLength: { width: 32, writable: false, doc: 'length of the packet in bytes as received' },
  parserError: { width: 8, writable: false, doc: 'parser error code (0 = NoError), see PARSER_ERROR_CODES' },
  checksumError: { width: 1, writable: false, doc: '1 when a checksumVerify failed' },
  mcastGroup: { width: 16, writable: true, doc: 'multicast group to replicate to (0 = none); set by multicast' },
  instanceType: { width: 32, writable: false, doc: '0 normal, 1 ingress clone, 2 egress clone, 4 recirculated, 6 resubmitted (v1model)' },
  ingressTimestamp: { width: 48, writable: false, doc: 'arrival time in microseconds' },
  priority: { width: 3, writable: true, doc: 'queue priority' },
} as const satisfies Record<string, StandardField>;

export type StandardFieldName = keyof typeof STANDARD_METADATA;

/** Numeric codes of parser errors as seen in `standard.parserError`. */
export const PARSER_ERROR_CODES: Readonly<Record<ParserErrorName, number>> = Object.fromEntries(
  PARSER_ERRORS.map((name, code) => [name, code]),
) as Record<ParserErrorName, number>;

/** Prefixes reserved for metadata: no header instance may use them. */
export const RESERVED_PREFIXES = ['meta', 'standard'] as const;
/** Parser state names with fixed meaning. */
export const RESERVED_STATES = ['accept', 'reject'] as const;
