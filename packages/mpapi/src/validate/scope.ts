/**
 * What names mean inside one program: header instances and their types,
 * user and standard metadata. Field references resolve here, for the
 * validator and for every target.
 */
import type { HeaderType, HeaderField } from '../ir/header.js';
import type { Program } from '../ir/program.js';
import { STANDARD_METADATA } from '../ir/standard-metadata.js';

export interface ResolvedField {
  readonly space: 'header' | 'meta' | 'standard';
  /** Header instance (without index) for header fields. */
  readonly header?: string;
  readonly index?: number | 'last';
  readonly field: string;
  readonly width: number;
  readonly varbit: boolean;
  readonly writable: boolean;
}

export interface ResolvedHeader {
  readonly instance: string;
  readonly index?: number;
  readonly type: HeaderType;
  readonly stack?: number;
}

const FIELD_REF = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\]|(\.last))?\.([A-Za-z_][A-Za-z0-9_]*)$/;
const HEADER_REF = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\])?$/;

export class Scope {
  readonly headerTypes: ReadonlyMap<string, HeaderType>;
  readonly instances: ReadonlyMap<string, { type: string; stack?: number }>;
  readonly metadata: ReadonlyMap<string, number>;

  constructor(program: Pick<Program, 'headerTypes' | 'headers' | 'metadata'>) {
    this.headerTypes = new Map(program.headerTypes.map((h) => [h.name, h]));
    this.instances = new Map(
      program.headers.map((h) => [h.name, h.stack !== undefined ? { type: h.type, stack: h.stack } : { type: h.type }]),
    );
    this.metadata = new Map(program.metadata.map((m) => [m.name, m.width]));
  }

  /** Resolve `ipv4.ttl`, `vlan[1].vid`, `vlan.last.etherType`, `meta.x`, `standard.egressPort`. */
  field(ref: string): ResolvedField | string {
    const m = FIELD_REF.exec(ref);
    if (!m) return `"${ref}" is not a field reference`;
    const [, base = '', idx, last, name = ''] = m;
    if (base === 'meta' || base === 'standard') {
      if (idx !== undefined || last !== undefined) return `"${ref}": metadata is not a stack`;
      if (base === 'meta') {
        const width = this.metadata.get(name);
        if (width === undefined) return `unknown metadata field "${ref}"`;
        return { space: 'meta', field: name, width, varbit: false, writable: true };
      }
      const std = (STANDARD_METADATA as Record<string, { width: number; writable: boolean }>)[name];
      if (!std || !Object.hasOwn(STANDARD_METADATA, name)) return `unknown standard metadata field "${ref}"`;
      return { space: 'standard', field: name, width: std.width, varbit: false, writable: std.writable };
    }
    const h = this.header(last !== undefined ? base : idx !== undefined ? `${base}[${idx}]` : base, last !== undefined);
    if (typeof h === 'string') return h.replace(/^unknown header/, `unknown field "${ref}": no header`);
    const f = h.type.fields.find((x: HeaderField) => x.name === name);
    if (!f) return `unknown field "${ref}": header type ${h.type.name} has no field "${name}"`;
    const width = f.kind === 'bitField' ? f.width : f.maxWidth;
    return {
      space: 'header',
      header: base,
      ...(last !== undefined ? { index: 'last' as const } : h.index !== undefined ? { index: h.index } : {}),
      field: name,
      width,
      varbit: f.kind === 'varbitField',
      writable: f.kind === 'bitField',
    };
  }

  /** Resolve a header reference `ipv4` or `vlan[1]`; `whole` allows a bare stack name. */
  header(ref: string, whole = false): ResolvedHeader | string {
    const m = HEADER_REF.exec(ref);
    if (!m) return `"${ref}" is not a header reference`;
    const [, base = '', idx] = m;
    const inst = this.instances.get(base);
    if (!inst) return `unknown header "${base}"`;
    const type = this.headerTypes.get(inst.type);
    if (!type) return `header "${base}" has unknown type "${inst.type}"`;
    if (idx !== undefined) {
      if (inst.stack === undefined) return `header "${base}" is not a stack; "${ref}" cannot be indexed`;
      const index = Number(idx);
      if (index >= inst.stack) return `"${ref}": index ${index} is out of bounds for a stack of ${inst.stack}`;
      return { instance: base, index, type, stack: inst.stack };
    }
    if (inst.stack !== undefined && !whole) return `header "${base}" is a stack of ${inst.stack}; index it, e.g. "${base}[0]"`;
    return inst.stack !== undefined ? { instance: base, type, stack: inst.stack } : { instance: base, type };
  }
}

/** Width of a header type's fixed part, in bits. */
export function fixedWidth(type: HeaderType): number {
  return type.fields.reduce((sum, f) => sum + (f.kind === 'bitField' ? f.width : 0), 0);
}
