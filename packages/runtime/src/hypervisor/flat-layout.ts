/**
 * Where a tenant program's data lives inside the hypervisor's generic image
 * (HyperV §IV-B, Table II). The image knows no tenant names: header
 * instances become `h<i>` (stacks `s<k>`), their fields `f<j>`, user
 * metadata `meta.u<j>`, so a field reference in the image is positional —
 * `h2.f7`, `s0[1].f0`, `s0.last.f1`, `meta.u3`, `standard.egressPort`. For
 * resource accounting every header instance also has a fixed, byte-aligned
 * bit range in the image's header area and every user field a range in the
 * user area.
 */
import { Scope, type HeaderType, type Program } from '@mpvisor/mpapi';

export interface FlatField {
  readonly name: string;
  /** Offset within its header, in bits. */
  readonly offset: number;
  readonly width: number;
  /** A varbit field: its width is the maximum; its size comes from `length`. */
  readonly varbit?: { readonly lengthField: number; readonly multiplier: number; readonly offset: number };
}

export interface FlatHeader {
  /** `ipv4`, or `vlan[1]` for a stack element. */
  readonly ref: string;
  /** Index in the valid bitmap, and the generic header reference `h<index>`. */
  readonly index: number;
  /** Offset in the header area, in bits (byte aligned). */
  readonly offset: number;
  /** Bits reserved: fixed fields plus a varbit field's maximum. */
  readonly width: number;
  readonly fields: readonly FlatField[];
}

export interface FlatStack {
  readonly name: string;
  readonly index: number;
  /** Header indices of the elements, in order. */
  readonly elements: readonly number[];
}

export class FlatLayout {
  readonly headers: readonly FlatHeader[];
  readonly stacks: readonly FlatStack[];
  /** Bits of the header area the program uses. */
  readonly headerBits: number;
  /** Bits of the user metadata area the program uses. */
  readonly userBits: number;
  private readonly byRef = new Map<string, FlatHeader>();
  private readonly stackByName = new Map<string, FlatStack>();
  private readonly userOffsets = new Map<string, { offset: number; width: number }>();
  private readonly userIndex = new Map<string, number>();
  readonly scope: Scope;

  constructor(readonly program: Program) {
    this.scope = new Scope(program);
    const headers: FlatHeader[] = [];
    const stacks: FlatStack[] = [];
    let offset = 0;
    const place = (ref: string, type: HeaderType): FlatHeader => {
      const fields: FlatField[] = [];
      let at = 0;
      for (const f of type.fields) {
        if (f.kind === 'bitField') {
          fields.push({ name: f.name, offset: at, width: f.width });
          at += f.width;
        } else {
          const lengthField = fields.findIndex((x) => x.name === f.length.field);
          fields.push({ name: f.name, offset: at, width: f.maxWidth, varbit: { lengthField, multiplier: f.length.multiplier, offset: f.length.offset } });
          at += f.maxWidth;
        }
      }
      const h: FlatHeader = { ref, index: headers.length, offset, width: at, fields };
      headers.push(h);
      this.byRef.set(ref, h);
      // headers start on byte boundaries, as they do in a packet
      offset += Math.ceil(at / 8) * 8;
      return h;
    };
    for (const inst of program.headers) {
      const type = this.scope.headerTypes.get(inst.type)!;
      if (inst.stack === undefined) {
        place(inst.name, type);
        continue;
      }
      const elements = Array.from({ length: inst.stack }, (_, i) => place(`${inst.name}[${i}]`, type).index);
      const s: FlatStack = { name: inst.name, index: stacks.length, elements };
      stacks.push(s);
      this.stackByName.set(inst.name, s);
    }
    this.headers = headers;
    this.stacks = stacks;
    this.headerBits = offset;
    let user = 0;
    for (const [j, m] of program.metadata.entries()) {
      this.userIndex.set(m.name, j);
      this.userOffsets.set(m.name, { offset: user, width: m.width });
      user += m.width;
    }
    this.userBits = user;
  }

  header(ref: string): FlatHeader | undefined {
    return this.byRef.get(ref);
  }

  stack(name: string): FlatStack | undefined {
    return this.stackByName.get(name);
  }

  /** The image's name for a (validated) program field reference. */
  fieldRef(ref: string): string {
    const f = this.scope.field(ref);
    if (typeof f === 'string') throw new Error(`internal: ${f}`);
    if (f.space === 'standard') return ref;
    if (f.space === 'meta') return `meta.u${this.userIndex.get(f.field)!}`;
    const type = this.scope.headerTypes.get(this.scope.instances.get(f.header!)!.type)!;
    const j = type.fields.findIndex((x) => x.name === f.field);
    if (f.index === undefined) return `${this.instanceName(f.header!)}.f${j}`;
    const s = `s${this.stackByName.get(f.header!)!.index}`;
    return f.index === 'last' ? `${s}.last.f${j}` : `${s}[${f.index}].f${j}`;
  }

  /** The image's name for a header reference: `h<i>`, a stack `s<k>`, an element `s<k>[n]`. */
  headerRef(ref: string): string {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\])?$/.exec(ref);
    if (!m) throw new Error(`internal: not a header reference ${ref}`);
    return m[2] === undefined ? this.instanceName(m[1]!) : `s${this.stackByName.get(m[1]!)!.index}[${m[2]}]`;
  }

  /** `h<i>` for a header instance, `s<k>` for a stack. */
  instanceName(name: string): string {
    const s = this.stackByName.get(name);
    if (s) return `s${s.index}`;
    return `h${this.byRef.get(name)!.index}`;
  }

  /** Byte-aligned offset of a user field in the user area, and its width. */
  userPlace(name: string): { offset: number; width: number } | undefined {
    return this.userOffsets.get(name);
  }
}

