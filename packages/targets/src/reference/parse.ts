/**
 * The parser, after P4_16 §12: states extract headers and select the next
 * state. A fault stops parsing with a core error (PacketTooShort, NoMatch,
 * StackOutOfBounds, HeaderTooShort, ParserInvalidArgument, ParserTimeout);
 * as in v1model the packet continues with standard.parserError set, the
 * headers extracted so far valid, and everything from the fault on kept as
 * payload. Nothing throws, for any bytes.
 */
import { PARSER_ERROR_CODES, type KeysetValue, type ParserErrorName } from '@mpvisor/mpapi';
import { readBits } from './bits.js';
import { evaluate, LookaheadPastEnd, truthy, type Env } from './evaluate.js';
import { StackFault, type HeaderValue, type PacketState } from './packet-state.js';

/** States visited before the parser gives up with ParserTimeout (P4 leaves the bound to targets). */
export const MAX_PARSER_STATES = 256;

export interface ParseResult {
  readonly error: ParserErrorName;
  /** Bits consumed; the rest of the packet is payload. */
  readonly offset: number;
  readonly states: readonly string[];
  readonly extracted: readonly string[];
}

class ParseFault {
  constructor(readonly error: ParserErrorName) {}
}

export function parse(state: PacketState, packet: Uint8Array): ParseResult {
  const { program } = state.layout;
  const byName = new Map(program.parser.states.map((s) => [s.name, s]));
  const states: string[] = [];
  const extracted: string[] = [];
  let offset = 0;
  let error: ParserErrorName = 'NoError';
  let current = program.parser.start;
  const env = (): Env => ({ state, packet, offset });
  try {
    while (current !== 'accept' && current !== 'reject') {
      if (states.length >= MAX_PARSER_STATES) throw new ParseFault('ParserTimeout');
      const s = byName.get(current)!;
      states.push(current);
      for (const op of s.ops) {
        switch (op.kind) {
          case 'extract':
            offset = extract(state, op.header, packet, offset);
            extracted.push(op.header);
            break;
          case 'advance':
            if (offset + op.bits > packet.length * 8) throw new ParseFault('PacketTooShort');
            offset += op.bits;
            break;
          case 'set':
            state.set(op.target, evaluate(op.value, env())[0]);
            break;
          case 'verify':
            if (!truthy(op.cond, env())) throw new ParseFault(op.error);
            break;
        }
      }
      const t = s.transition;
      if (t.kind === 'goto') {
        current = t.state;
        continue;
      }
      const keys = t.keys.map((k) => evaluate(k, env())[0]);
      const hit = t.cases.find((c) => c.values.every((v, i) => keysetMatches(v, keys[i]!)));
      if (!hit) throw new ParseFault('NoMatch');
      current = hit.next;
    }
  } catch (e) {
    if (e instanceof ParseFault) error = e.error;
    else if (e instanceof LookaheadPastEnd) error = 'PacketTooShort';
    else if (e instanceof StackFault) error = 'StackOutOfBounds';
    else throw e;
  }
  state.standard.parserError = BigInt(PARSER_ERROR_CODES[error]);
  return { error, offset, states, extracted };
}


function keysetMatches(v: KeysetValue, key: bigint): boolean {
  switch (v.kind) {
    case 'default':
      return true;
    case 'exact':
      return key === BigInt(v.value);
    case 'mask':
      return (key & BigInt(v.mask)) === (BigInt(v.value) & BigInt(v.mask));
    case 'range':
      return BigInt(v.low) <= key && key <= BigInt(v.high);
  }
}

/** Extract into a header (or a stack's next element); returns the new offset. A failed extract leaves the header invalid. */
function extract(state: PacketState, ref: string, packet: Uint8Array, offset: number): number {
  let target: HeaderValue | undefined;
  const stack = state.stacks.get(ref);
  const next = state.nextIndex.get(ref) ?? 0;
  if (stack) {
    if (next >= stack.length) throw new StackFault();
    target = stack[next];
  } else target = state.header(ref);
  if (!target) throw new Error(`internal: unknown header ${ref}`);
  const total = packet.length * 8;
  let bit = offset;
  const values: bigint[] = [];
  let varbitBits = 0;
  for (const f of target.type.fields) {
    if (f.kind === 'bitField') {
      if (bit + f.width > total) throw new ParseFault('PacketTooShort');
      values.push(readBits(packet, bit, f.width));
      bit += f.width;
      continue;
    }
    const lengthIndex = target.type.fields.findIndex((x) => x.name === f.length.field);
    const size = Number(values[lengthIndex]!) * f.length.multiplier + f.length.offset;
    // a size beyond the field's maximum is HeaderTooShort (P4_16 §12.8.2); a negative or ragged size is an invalid argument
    if (size < 0 || size % 8 !== 0) throw new ParseFault('ParserInvalidArgument');
    if (size > f.maxWidth) throw new ParseFault('HeaderTooShort');
    if (bit + size > total) throw new ParseFault('PacketTooShort');
    values.push(size === 0 ? 0n : readBits(packet, bit, size));
    varbitBits = size;
    bit += size;
  }
  values.forEach((v, i) => (target.fields[i] = v));
  target.varbitBits = varbitBits;
  target.valid = true;
  if (stack) state.nextIndex.set(ref, next + 1);
  return bit;
}
