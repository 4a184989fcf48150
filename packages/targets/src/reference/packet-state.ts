/**
 * Everything a program sees of one packet while it runs: header instances
 * (validity and field values), stacks, user metadata and standard metadata.
 */
import type { HeaderType, Program, StandardFieldName } from '@mpvisor/mpapi';
import { Scope, STANDARD_METADATA, type ResolvedField } from '@mpvisor/mpapi';

export interface HeaderValue {
  valid: boolean;
  readonly type: HeaderType;
  /** One value per field, in declaration order. */
  readonly fields: bigint[];
  /** Actual size in bits of the varbit field, if the type has one. */
  varbitBits: number;
}

/** What the program is, resolved once: field references become (header, index) pairs. */
export class ProgramLayout {
  readonly scope: Scope;
  private readonly cache = new Map<string, ResolvedField & { fieldIndex: number }>();

  constructor(readonly program: Program) {
    this.scope = new Scope(program);
  }

  field(ref: string): ResolvedField & { fieldIndex: number } {
    let r = this.cache.get(ref);
    if (!r) {
      const f = this.scope.field(ref);
      // validated IR only reaches a target, so this cannot fail
      if (typeof f === 'string') throw new Error(`internal: ${f}`);
      const fieldIndex = f.space === 'header' ? this.scope.headerTypes.get(this.scope.instances.get(f.header!)!.type)!.fields.findIndex((x) => x.name === f.field) : -1;
      r = { ...f, fieldIndex };
      this.cache.set(ref, r);
    }
    return r;
  }
}

/** Reading `stack.last` of a stack nothing was extracted into: the parser's StackOutOfBounds. */
export class StackFault extends Error {}

export class PacketState {
  readonly headers = new Map<string, HeaderValue>();
  readonly stacks = new Map<string, HeaderValue[]>();
  /** Next element to extract into, per stack (P4 `nextIndex`). */
  readonly nextIndex = new Map<string, number>();
  readonly meta = new Map<string, bigint>();
  readonly standard: Record<StandardFieldName, bigint>;

  constructor(
    readonly layout: ProgramLayout,
    standard: Record<StandardFieldName, bigint>,
  ) {
    const { scope } = layout;
    for (const [name, inst] of scope.instances) {
      const type = scope.headerTypes.get(inst.type)!;
      const blank = (): HeaderValue => ({ valid: false, type, fields: type.fields.map(() => 0n), varbitBits: 0 });
      if (inst.stack !== undefined) {
        this.stacks.set(name, Array.from({ length: inst.stack }, blank));
        this.nextIndex.set(name, 0);
      } else this.headers.set(name, blank());
    }
    for (const [name] of scope.metadata) this.meta.set(name, 0n);
    this.standard = { ...standard };
  }

  /** `ipv4` or `vlan[1]`; undefined for an out-of-range index. */
  header(ref: string): HeaderValue | undefined {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\])?$/.exec(ref);
    if (!m) return undefined;
    if (m[2] !== undefined) return this.stacks.get(m[1]!)?.[Number(m[2])];
    return this.headers.get(m[1]!);
  }

  private headerOf(f: ResolvedField): HeaderValue | undefined {
    if (f.index === undefined) return this.headers.get(f.header!);
    const stack = this.stacks.get(f.header!);
    if (!stack) return undefined;
    if (f.index !== 'last') return stack[f.index];
    const next = this.nextIndex.get(f.header!) ?? 0;
    if (next === 0) throw new StackFault(`${f.header}.last read before any element was extracted`);
    return stack[next - 1];
  }

  get(ref: string): bigint {
    const f = this.layout.field(ref);
    if (f.space === 'meta') return this.meta.get(f.field)!;
    if (f.space === 'standard') return this.standard[f.field as StandardFieldName];
    // reading a field of an invalid header gives its stored value (0 if never set)
    return this.headerOf(f)?.fields[f.fieldIndex] ?? 0n;
  }

  set(ref: string, value: bigint): void {
    const f = this.layout.field(ref);
    if (f.space === 'meta') this.meta.set(f.field, value);
    else if (f.space === 'standard') this.standard[f.field as StandardFieldName] = value;
    else {
      const h = this.headerOf(f);
      if (h) h.fields[f.fieldIndex] = value;
    }
  }

  /** The varbit field's actual size in bits (for checksum inputs). */
  varbitBits(ref: string): number {
    const f = this.layout.field(ref);
    return this.headerOf(f)?.varbitBits ?? 0;
  }
}

export function standardWidth(name: StandardFieldName): number {
  return STANDARD_METADATA[name].width;
}
