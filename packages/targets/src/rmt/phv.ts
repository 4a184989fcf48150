/**
 * PHV allocation: every field a pipeline carries — each header field (of
 * every stack element; a varbit field at its maximum width), each header's
 * valid bit, the user metadata, the standard metadata it uses — gets bits in
 * the packet header vector's 8-, 16- and 32-bit containers (Bosshart et al.
 * §4: 64 × 8, 96 × 16, 64 × 32 on RMT).
 *
 * Greedy bin packing, widest fields first: a field wider than 32 bits is cut
 * into 32-bit pieces and a remainder; each piece goes into the open container
 * with the least room that holds it, else into a new container of the
 * smallest width that holds it, else — that width being used up — is cut
 * into pieces for the next smaller width.
 *
 * Programs of a policy are re-parsed one after another, so their header and
 * metadata fields are never live together: each program's fields are packed
 * on top of the shared ones (standard metadata) into the same containers, and
 * the PHV must hold the largest program (an overlay, as Tofino compilers
 * overlay fields whose live ranges do not meet). In a pipeline of several
 * programs, field names are `<label>/<field>` (`router/ipv4.ttl`) except for
 * the shared `standard.*` ones; for one program they are the IR's names.
 *
 * Container ids are global: 8-bit containers first, then 16-bit, then 32-bit
 * (`0 … n8-1`, `n8 … n8+n16-1`, …).
 */
import { MpvisorError, Scope, STANDARD_METADATA, type Program } from '@mpvisor/mpapi';
import type { ContainerWidth, PhvAllocation, RmtProfile } from './model.js';
import { exprReads, fieldWidth, validBit, type ProgramTables } from './logical-tables.js';

export interface PhvField {
  readonly name: string;
  readonly width: number;
}

/** `bits` bits at bit `offset` (from the least significant bit) of container `container`. */
type Piece = { readonly container: number; readonly width: ContainerWidth; readonly bits: number; readonly offset: number };

const WIDTHS: readonly ContainerWidth[] = [8, 16, 32];

interface Container {
  readonly id: number;
  readonly width: ContainerWidth;
  free: number;
}

/** Containers in use: opened ones with their free bits, and how many of each width are open. */
class Bins {
  readonly open: Container[];
  readonly used: Record<ContainerWidth, number>;
  constructor(
    private readonly profile: RmtProfile,
    from?: Bins,
  ) {
    this.open = from ? from.open.map((c) => ({ ...c })) : [];
    this.used = from ? { ...from.used } : { 8: 0, 16: 0, 32: 0 };
  }

  private base(w: ContainerWidth): number {
    return w === 8 ? 0 : w === 16 ? this.profile.phv[8] : this.profile.phv[8] + this.profile.phv[16];
  }

  private newContainer(w: ContainerWidth): Container | undefined {
    if (this.used[w] >= this.profile.phv[w]) return undefined;
    const c: Container = { id: this.base(w) + this.used[w], width: w, free: w };
    this.used[w]++;
    this.open.push(c);
    return c;
  }

  /** Bits of one piece (≤ 32), possibly cut smaller; undefined when the PHV is full. */
  place(bits: number): Piece[] | undefined {
    let best: Container | undefined;
    for (const c of this.open)
      if (c.free >= bits && (!best || c.free < best.free || (c.free === best.free && c.width < best.width))) best = c;
    if (!best) for (const w of WIDTHS) if (w >= bits && (best = this.newContainer(w))) break;
    if (best) {
      // containers fill from their least significant bit
      const offset = best.width - best.free;
      best.free -= bits;
      return [{ container: best.id, width: best.width, bits, offset }];
    }
    // no container of a fitting width is left: cut for the next smaller width
    const fitting = WIDTHS.find((w) => w >= bits) ?? 32;
    const smaller = [...WIDTHS].reverse().find((w) => w < fitting);
    if (smaller === undefined) return undefined;
    const out: Piece[] = [];
    for (let left = bits; left > 0; left -= smaller) {
      const part = this.place(Math.min(smaller, left));
      if (!part) return undefined;
      out.push(...part);
    }
    return out;
  }
}

function refuse(profile: RmtProfile, bins: Bins, field: PhvField, missing: number): never {
  const w = WIDTHS.find((x) => x >= Math.min(field.width, 32)) ?? 32;
  const others = WIDTHS.filter((x) => x !== w)
    .reverse()
    .map((x) => `${x}-bit ${bins.used[x]}/${profile.phv[x]}`)
    .join(', ');
  throw new MpvisorError('RESOURCE_EXHAUSTED', [
    { message: `PHV: ${w}-bit containers ${bins.used[w]}/${profile.phv[w]} (${others}); field ${field.name} needs ${missing} more bits` },
  ]);
}

function allocate(profile: RmtProfile, bins: Bins, fields: readonly PhvField[], out: Map<string, Piece[]>): void {
  const order = [...fields].sort((a, b) => b.width - a.width);
  for (const f of order) {
    const pieces: Piece[] = [];
    // most significant piece first: the remainder, then whole 32-bit pieces
    const sizes = [...(f.width % 32 > 0 ? [f.width % 32] : []), ...Array.from({ length: Math.floor(f.width / 32) }, () => 32)];
    let placed = 0;
    for (const size of sizes) {
      const p = bins.place(size);
      if (!p) refuse(profile, bins, f, f.width - placed);
      pieces.push(...p);
      placed += size;
    }
    out.set(f.name, pieces);
  }
}

/**
 * Allocate `shared` fields, then each group of `programs` on top of them in
 * the same containers (see the overlay above). Throws RESOURCE_EXHAUSTED
 * naming the container width that ran out and the field.
 */
export function allocatePhv(profile: RmtProfile, shared: readonly PhvField[], programs: readonly (readonly PhvField[])[] = []): PhvAllocation {
  const fields = new Map<string, Piece[]>();
  const base = new Bins(profile);
  allocate(profile, base, shared, fields);
  const used = { ...base.used };
  for (const group of programs) {
    const bins = new Bins(profile, base);
    allocate(profile, bins, group, fields);
    for (const w of WIDTHS) used[w] = Math.max(used[w], bins.used[w]);
  }
  return { fields, used };
}

/** Standard metadata fields a program refers to: in its tables, and in its parser. */
function standardFieldsUsed(pt: ProgramTables): string[] {
  const refs = new Set<string>();
  for (const t of pt.tables) for (const f of [...t.matchReads, ...t.actionReads, ...t.actionWrites]) refs.add(f);
  for (const s of pt.program.parser.states) {
    for (const op of s.ops) {
      if (op.kind === 'set') {
        refs.add(op.target);
        exprReads(op.value).forEach((f) => refs.add(f));
      } else if (op.kind === 'verify') exprReads(op.cond).forEach((f) => refs.add(f));
    }
    if (s.transition.kind === 'select') for (const k of s.transition.keys) exprReads(k).forEach((f) => refs.add(f));
  }
  return [...refs].filter((r) => r.startsWith('standard.') && Object.hasOwn(STANDARD_METADATA, r.slice('standard.'.length)));
}

/** A program's own fields: every header field and valid bit (every stack element), every user metadata field. */
export function programFields(program: Program, prefix = ''): PhvField[] {
  const scope = new Scope(program);
  const types = new Map(program.headerTypes.map((t) => [t.name, t]));
  const out: PhvField[] = [];
  for (const h of program.headers) {
    const type = types.get(h.type);
    if (!type) continue;
    const elements = h.stack === undefined ? [h.name] : Array.from({ length: h.stack }, (_, i) => `${h.name}[${i}]`);
    for (const el of elements) {
      for (const f of type.fields) out.push({ name: `${prefix}${el}.${f.name}`, width: f.kind === 'bitField' ? f.width : f.maxWidth });
      out.push({ name: `${prefix}${validBit(el)}`, width: 1 });
    }
  }
  for (const m of program.metadata) out.push({ name: `${prefix}meta.${m.name}`, width: fieldWidth(scope, `meta.${m.name}`) });
  return out;
}

/** The PHV of a pipeline's programs: shared standard metadata, one overlaid group per program. */
export function allocatePipelinePhv(profile: RmtProfile, programs: readonly ProgramTables[]): PhvAllocation {
  const multi = programs.length > 1;
  const standard = [...new Set(programs.flatMap(standardFieldsUsed))].map(
    (name): PhvField => ({ name, width: STANDARD_METADATA[name.slice('standard.'.length) as keyof typeof STANDARD_METADATA].width }),
  );
  return allocatePhv(
    profile,
    standard,
    programs.map((pt) => programFields(pt.program, multi ? `${pt.label}/` : '')),
  );
}
