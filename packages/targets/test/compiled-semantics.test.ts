/**
 * The compiled target against the reference on what the example NFs do not
 * exercise, with programs written as IR here: random expressions over every
 * width class the generator distinguishes (bool, up to 32 bits, 33 to 52
 * bits as numbers, wider as BigInt); parser corners (stacks, loops, `.last`,
 * lookahead, advance, verify, varbit sizes, every parser error, the state
 * bound); every primitive (stacks, registers, counters, meters, hashes,
 * checksums, digests, clone, resubmit, recirculate, multicast); and tables
 * of every match kind over narrow and wide keys with random entries,
 * priorities that tie, and writes between packets. Every packet's outcome
 * and the final control-plane state must be the reference's.
 */
import { describe, expect, it } from 'vitest';
import type { Expr, HeaderType, KeyMatch, KeysetValue, ParserState, Primitive, Program, Stage } from '@mpvisor/mpapi';
import { internetChecksum, loadPipeline, type PacketIn, type Update } from '@mpvisor/runtime';
import { CompiledTarget, ReferenceTarget } from '@mpvisor/targets';
import { capsOf } from '../src/compiled/pass-loop.js';
import { NumHash, SCAN_MAX } from '../src/compiled/tables.js';
import { finalState, outcome } from './support/differential.js';
import { Rng } from './support/packets.js';

// ---------------------------------------------------------------- IR helpers

const hx = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;
const ones = (w: number): bigint => (1n << BigInt(w)) - 1n;
const C = (width: number, v: bigint | number): Expr => ({ kind: 'const', width, value: hx(v) });
const F = (ref: string): Expr => ({ kind: 'field', ref });
const P = (name: string): Expr => ({ kind: 'param', name });
const B = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
const V = (header: string): Expr => ({ kind: 'isValid', header });
const LA = (width: number): Expr => ({ kind: 'lookahead', width });
const cast = (arg: Expr, width: number): Expr => ({ kind: 'cast', arg, width });
const bf = (name: string, width: number) => ({ kind: 'bitField' as const, name, width });
const htype = (name: string, fields: HeaderType['fields']): HeaderType => ({ kind: 'headerType', name, fields });
const call = (action: string, args: Record<string, bigint | number> = {}) => ({
  kind: 'actionCall' as const,
  action,
  args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, hx(v)])),
});
const assign = (target: string, value: Expr): Primitive => ({ kind: 'assign', target, value });
const goto = (state: string) => ({ kind: 'goto' as const, state });

function keyless(name: string, body: readonly Primitive[], params: readonly { name: string; width: number }[] = [], args: Record<string, bigint | number> = {}): Stage {
  return {
    kind: 'stage',
    name,
    keys: [],
    actions: [{ kind: 'action', name: `${name}_a`, params: params.map((p) => ({ kind: 'actionParam', ...p })), body }],
    defaultAction: { kind: 'defaultAction', action: call(`${name}_a`, args), const: false },
    size: 1,
    entries: [],
  };
}

/** A program with every list present; stages applied in order unless a control is given. */
function prog(p: Partial<Program> & Pick<Program, 'name' | 'headerTypes' | 'headers' | 'parser' | 'deparser'>): Program {
  const stages = p.stages ?? [];
  return {
    kind: 'program',
    irVersion: 1,
    metadata: [],
    registers: [],
    counters: [],
    meters: [],
    digests: [],
    stages,
    control: {
      kind: 'control',
      entry: stages[0]?.name ?? null,
      nodes: stages.map((s, i) => ({ kind: 'applyStage' as const, id: s.name, stage: s.name, next: { kind: 'always' as const, to: stages[i + 1]?.name ?? null } })),
    },
    ...p,
  };
}

interface Run {
  readonly mismatches: string[];
  readonly packets: number;
}

/** Run the same packets (and writes between them) on both targets; outcomes and final state must agree. */
function differential(
  ir: Program | import('@mpvisor/mpapi').Policy,
  packets: readonly PacketIn[],
  options: { updates?: readonly Update[]; between?: (i: number) => readonly Update[]; observe?: (t: CompiledTarget) => void } = {},
): Run {
  const pipeline = loadPipeline(ir);
  const ref = new ReferenceTarget();
  const cmp = new CompiledTarget();
  ref.load(pipeline);
  cmp.load(pipeline);
  expect(cmp.compiledPrograms().every((p) => p.compiled)).toBe(true);
  if (options.updates) {
    const a = ref.write(options.updates);
    const b = cmp.write(options.updates);
    expect(b).toEqual(a);
  }
  const mismatches: string[] = [];
  packets.forEach((p, i) => {
    const extra = options.between?.(i) ?? [];
    if (extra.length > 0) expect(cmp.write(extra)).toEqual(ref.write(extra));
    const want = outcome(ref.process(p), ref.drainDigests());
    const got = outcome(cmp.process(p), cmp.drainDigests());
    options.observe?.(cmp);
    if (got !== want && mismatches.length < 3) mismatches.push(`packet ${i} (${Buffer.from(p.data).toString('hex')}):\n  reference ${want}\n  compiled  ${got}`);
  });
  const counts = (t: ReferenceTarget | CompiledTarget) => t.resources().tables.map(({ program, stage, hits, misses }) => ({ program, stage, hits, misses }));
  const reads = [{ kind: 'register' }, { kind: 'counter' }, { kind: 'directCounter' }, { kind: 'tableEntry' }, { kind: 'meter' }] as const;
  for (const r of reads) expect(cmp.read(r)).toEqual(ref.read(r));
  expect(finalState((r) => cmp.read(r), counts(cmp))).toEqual(finalState((r) => ref.read(r), counts(ref)));
  return { mismatches, packets: packets.length };
}

/** Bytes biased towards all-zero and all-one runs, where wrap-around and saturation show. */
function biasedBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  const mode = rng.int(4);
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    b[i] = mode === 0 ? rng.u32() & 0xff : r < 3 ? 0 : r < 6 ? 0xff : r < 7 ? 1 : r < 8 ? 0x80 : rng.u32() & 0xff;
  }
  return b;
}

// ---------------------------------------------------------------- random expressions

/** Widths on both sides of every representation boundary. */
const WIDTHS = [1, 2, 3, 7, 8, 13, 16, 24, 31, 32, 33, 40, 48, 51, 52, 53, 63, 64, 65, 100, 128] as const;
const IN_FIELDS = WIDTHS.map((w) => bf(`w${w}`, w));
const IN_BITS = WIDTHS.reduce((n: number, w) => n + w, 0);
const IN_PAD = (8 - (IN_BITS % 8)) % 8;
const IN_TYPE = htype('in_t', [...IN_FIELDS, ...(IN_PAD > 0 ? [bf('pad', IN_PAD)] : [])]);
const IN_BYTES = (IN_BITS + IN_PAD) / 8;

/** Checksum inputs must fill whole bytes: append a constant of the missing width (inputs of unknown width are cast first). */
function padToBytes(inputs: Expr[], widthOf: (e: Expr) => number, rng: Rng): Expr[] {
  const known = inputs.map((e) => (Number.isNaN(widthOf(e)) ? cast(e, rng.pick([8, 13, 16, 32, 48, 64])) : e));
  const bits = known.reduce((n, e) => n + (e.kind === 'field' ? Number(e.ref.slice(3)) : (e as { width: number }).width), 0);
  return bits % 8 === 0 ? known : [...known, C(8 - (bits % 8), rng.int(2 ** (8 - (bits % 8))))];
}

class ExprGen {
  constructor(private readonly rng: Rng) {}

  bits(w: number, depth: number): Expr {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.15)) return this.leaf(w);
    switch (r.int(9)) {
      case 0:
        return { kind: 'unary', op: r.pick(['~', '-'] as const), arg: this.bits(w, depth - 1) };
      case 1:
      case 2:
        return B(r.pick(['+', '-', '*', '|+|', '|-|', '&', '|', '^'] as const), this.bits(w, depth - 1), this.bits(w, depth - 1));
      case 3: {
        // amounts around the width, where shifts by W or more must give 0
        const cw = r.pick([3, 6, 8, 12]);
        const near = BigInt(r.pick([0, 1, w - 1, w, w + 1, r.int(w + 4)]));
        const amount = r.chance(0.6) ? C(cw, near & ones(cw)) : this.bits(r.pick([1, 4, 6, 8, 40, 64]), depth - 1);
        return B(r.pick(['<<', '>>'] as const), this.bits(w, depth - 1), amount);
      }
      case 4: {
        if (w < 2) return this.leaf(w);
        const left = 1 + r.int(w - 1);
        return B('++', this.bits(left, depth - 1), this.bits(w - left, depth - 1));
      }
      case 5: {
        const wider = r.pick(WIDTHS.filter((x) => x >= w));
        const lo = r.int(wider - w + 1);
        return { kind: 'slice', arg: this.bits(wider, depth - 1), hi: lo + w - 1, lo };
      }
      case 6:
        return cast(r.chance(0.2) ? this.bool(depth - 1) : this.bits(r.pick(WIDTHS), depth - 1), w);
      case 7:
        return { kind: 'mux', cond: this.bool(depth - 1), then: this.bits(w, depth - 1), else: this.bits(w, depth - 1) };
      default:
        return this.leaf(w);
    }
  }

  bool(depth: number): Expr {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.1)) return r.chance(0.5) ? { kind: 'bool', value: r.chance(0.5) } : V(r.pick(['i', 'o']));
    switch (r.int(5)) {
      case 0: {
        const w = r.pick(WIDTHS);
        return B(r.pick(['==', '!=', '<', '<=', '>', '>='] as const), this.bits(w, depth - 1), this.bits(w, depth - 1));
      }
      case 1:
        return B(r.pick(['&&', '||'] as const), this.bool(depth - 1), this.bool(depth - 1));
      case 2:
        return { kind: 'unary', op: '!', arg: this.bool(depth - 1) };
      case 3:
        return B(r.pick(['==', '!='] as const), this.bool(depth - 1), this.bool(depth - 1));
      default:
        return { kind: 'mux', cond: this.bool(depth - 1), then: this.bool(depth - 1), else: this.bool(depth - 1) };
    }
  }

  private leaf(w: number): Expr {
    const r = this.rng;
    const has = (WIDTHS as readonly number[]).includes(w);
    if (has && r.chance(0.6)) return F(`i.w${w}`);
    const v = r.pick([0n, 1n, ones(w), ones(w) - 1n, 1n << BigInt(w - 1), r.bits(w), r.bits(w)]);
    return C(w, v & ones(w));
  }
}

describe('random expressions, every width class', () => {
  it('assignments of random expressions give the reference bytes', () => {
    const rng = new Rng(0xe1e1);
    let total = 0;
    for (let n = 0; n < 60; n++) {
      const gen = new ExprGen(rng);
      const outs = Array.from({ length: 12 }, (_, i) => ({ name: `r${i}`, width: rng.pick(WIDTHS) }));
      const bits = outs.reduce((s, o) => s + o.width, 0) + 1;
      const pad = (8 - (bits % 8)) % 8;
      const hashWidth = rng.pick(WIDTHS);
      const outType = htype('out_t', [...outs.map((o) => bf(o.name, o.width)), bf('flag', 1), ...(pad > 0 ? [bf('pad', pad)] : []), bf('ck', 16), bf('hs', hashWidth), ...(hashWidth % 8 ? [bf('pad2', 8 - (hashWidth % 8))] : [])]);
      // checksum and hash inputs of random widths (checksum inputs padded to whole bytes)
      const inputs = (): Expr[] => Array.from({ length: 1 + rng.int(6) }, () => (rng.chance(0.6) ? F(`i.w${rng.pick(WIDTHS)}`) : gen.bits(rng.pick(WIDTHS), 2)));
      const ckIn = inputs();
      const widthOf = (e: Expr): number => (e.kind === 'field' ? Number(e.ref.slice(3)) : e.kind === 'const' || e.kind === 'cast' ? e.width : NaN);
      const hashMax = rng.pick([0n, 1n, 13n, 1024n, 1n << 32n, (1n << 64n) - 1n, rng.bits(64)]);
      const body: Primitive[] = [
        { kind: 'setValid', header: 'o' },
        ...outs.map((o) => assign(`o.${o.name}`, gen.bits(o.width, 4))),
        assign('o.flag', cast(gen.bool(4), 1)),
        // the output header's own fields feed later expressions too
        assign(`o.${outs[0]!.name}`, B('^', F(`o.${outs[0]!.name}`), gen.bits(outs[0]!.width, 3))),
        { kind: 'checksumUpdate', algorithm: 'csum16', target: 'o.ck', inputs: padToBytes(ckIn, widthOf, rng), payload: rng.chance(0.5) },
        {
          kind: 'hash',
          algorithm: rng.pick(['crc16', 'crc32', 'csum16', 'xor16', 'identity'] as const),
          target: 'o.hs',
          inputs: inputs(),
          base: hx(rng.pick([0n, 1n, 0xffffn, ones(Math.min(hashWidth, 64))]) & ones(hashWidth)),
          max: hx(hashMax),
        },
      ];
      const ir = prog({
        name: `exprs${n}`,
        headerTypes: [IN_TYPE, outType],
        headers: [
          { kind: 'header', name: 'i', type: 'in_t' },
          { kind: 'header', name: 'o', type: 'out_t' },
        ],
        parser: { kind: 'parser', start: 'start', states: [{ kind: 'parserState', name: 'start', ops: [{ kind: 'extract', header: 'i' }], transition: goto('accept') }] },
        stages: [keyless('calc', body)],
        deparser: ['i', 'o'],
      });
      const packets = Array.from({ length: 150 }, (): PacketIn => ({ port: rng.int(8), data: biasedBytes(rng, IN_BYTES + rng.int(3)) }));
      const run = differential(ir, packets);
      expect(run.mismatches, JSON.stringify(ir.stages[0]!.actions[0]!.body)).toEqual([]);
      total += run.packets;
    }
    expect(total).toBeGreaterThanOrEqual(9000);
  });

  it('every operator at every width, against edge operands', () => {
    const rng = new Rng(0x0b5);
    const cases: { width: number; e: Expr }[] = [];
    for (const w of WIDTHS) {
      const f = F(`i.w${w}`);
      const edges = [0n, 1n, ones(w), 1n << BigInt(w - 1), ones(w) >> 1n].map((v) => C(w, v));
      for (const op of ['+', '-', '*', '|+|', '|-|', '&', '|', '^'] as const) {
        for (const c of edges) cases.push({ width: w, e: B(op, f, c) }, { width: w, e: B(op, c, f) });
        cases.push({ width: w, e: B(op, f, f) });
      }
      for (const op of ['<<', '>>'] as const) {
        for (const k of [0, 1, w - 1, w, w + 1, 2 * w]) cases.push({ width: w, e: B(op, f, C(12, k)) });
        for (const amount of ['i.w3', 'i.w8', 'i.w64', 'i.w7']) cases.push({ width: w, e: B(op, f, F(amount)) });
      }
      for (const op of ['~', '-'] as const) cases.push({ width: w, e: { kind: 'unary', op, arg: f } });
      for (const to of WIDTHS) cases.push({ width: to, e: cast(f, to) });
      for (let lo = 0; lo < w; lo += Math.max(1, Math.floor(w / 5))) {
        const hi = Math.min(w - 1, lo + rng.pick([0, 7, 31, 32, 52, 63]));
        cases.push({ width: hi - lo + 1, e: { kind: 'slice', arg: f, hi, lo } });
      }
      for (const other of WIDTHS) if (w + other <= 256) cases.push({ width: w + other, e: B('++', f, F(`i.w${other}`)) });
      for (const op of ['==', '!=', '<', '<=', '>', '>='] as const) for (const c of edges) cases.push({ width: 1, e: cast(B(op, f, c), 1) });
    }
    // a result that is only written could hide a wrong representation (a negative int32 deparses to the same bytes): compare it too
    for (const c of [...cases]) if (c.width > 1) cases.push({ width: 1, e: cast(B('>=', c.e, C(c.width, 1n << BigInt(c.width - 1))), 1) });
    let total = 0;
    for (let at = 0; at < cases.length; at += 40) {
      const chunk = cases.slice(at, at + 40);
      const bits = chunk.reduce((n, c) => n + c.width, 0);
      const pad = (8 - (bits % 8)) % 8;
      const outType = htype('out_t', [...chunk.map((c, i) => bf(`r${i}`, c.width)), ...(pad > 0 ? [bf('pad', pad)] : [])]);
      const ir = prog({
        name: `ops${at}`,
        headerTypes: [IN_TYPE, outType],
        headers: [
          { kind: 'header', name: 'i', type: 'in_t' },
          { kind: 'header', name: 'o', type: 'out_t' },
        ],
        parser: { kind: 'parser', start: 'start', states: [{ kind: 'parserState', name: 'start', ops: [{ kind: 'extract', header: 'i' }], transition: goto('accept') }] },
        stages: [keyless('calc', [{ kind: 'setValid', header: 'o' }, ...chunk.map((c, i) => assign(`o.r${i}`, c.e))])],
        deparser: ['i', 'o'],
      });
      const packets = Array.from({ length: 60 }, (): PacketIn => ({ port: 0, data: biasedBytes(rng, IN_BYTES) }));
      const run = differential(ir, packets);
      expect(run.mismatches).toEqual([]);
      total += run.packets;
    }
    expect(cases.length).toBeGreaterThan(3000);
  });

  it('random conditions steer the control graph as on the reference', () => {
    const rng = new Rng(0xc0de);
    for (let n = 0; n < 30; n++) {
      const gen = new ExprGen(rng);
      const mark = (name: string, v: number): Stage => keyless(name, [{ kind: 'setValid', header: 'o' }, assign('o.r', B('|', F('o.r'), C(8, v)))]);
      const stages = [mark('s1', 1), mark('s2', 2), mark('s3', 4), mark('s4', 8)];
      const ir: Program = {
        ...prog({
          name: `branches${n}`,
          headerTypes: [IN_TYPE, htype('out_t', [bf('r', 8)])],
          headers: [
            { kind: 'header', name: 'i', type: 'in_t' },
            { kind: 'header', name: 'o', type: 'out_t' },
          ],
          parser: { kind: 'parser', start: 'start', states: [{ kind: 'parserState', name: 'start', ops: [{ kind: 'extract', header: 'i' }], transition: goto('accept') }] },
          stages,
          deparser: ['i', 'o'],
        }),
        control: {
          kind: 'control',
          entry: 'b1',
          nodes: [
            { kind: 'branch', id: 'b1', cond: gen.bool(4), then: 's1', else: 'b2' },
            { kind: 'applyStage', id: 's1', stage: 's1', next: { kind: 'always', to: 'b2' } },
            { kind: 'branch', id: 'b2', cond: gen.bool(4), then: 's2', else: 's3' },
            { kind: 'applyStage', id: 's2', stage: 's2', next: { kind: 'always', to: 'b3' } },
            { kind: 'applyStage', id: 's3', stage: 's3', next: { kind: 'always', to: 'b3' } },
            { kind: 'branch', id: 'b3', cond: gen.bool(4), then: 's4', else: null },
            { kind: 'applyStage', id: 's4', stage: 's4', next: { kind: 'always', to: null } },
          ],
        },
      };
      const packets = Array.from({ length: 100 }, (): PacketIn => ({ port: 1, data: biasedBytes(rng, IN_BYTES) }));
      expect(differential(ir, packets).mismatches).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------- parser corners

const S_T = htype('s_t', [bf('v', 8), bf('t', 8)]);
const PARSER_TYPES: HeaderType[] = [
  htype('e_t', [bf('type', 16)]),
  S_T,
  // 12 * len - 16 bits: negative (len < 2), ragged (odd len), too long (len >= 7: 68 is ragged, 80 > 64)
  htype('v_t', [bf('len', 4), bf('flag', 4), { kind: 'varbitField', name: 'opts', maxWidth: 64, length: { field: 'len', multiplier: 12, offset: -16 } }]),
  htype('w_t', [bf('a', 128)]),
  // a wide varbit: n bytes of data, at most 64
  htype('x_t', [bf('n', 8), { kind: 'varbitField', name: 'data', maxWidth: 512, length: { field: 'n', multiplier: 8, offset: 0 } }]),
  htype('out_t', [bf('err', 8), bf('m1', 8), bf('m2', 16), bf('m3', 64), bf('big', 100), bf('nx', 8), bf('sv', 8), bf('pad', 4)]),
];

const sel = (keys: Expr[], cases: [KeysetValue[], string][]) => ({
  kind: 'select' as const,
  keys,
  cases: cases.map(([values, next]) => ({ kind: 'selectCase' as const, values, next })),
});
const ex = (v: number): KeysetValue => ({ kind: 'exact', value: hx(v) });
const DEF: KeysetValue = { kind: 'default' };
const st = (name: string, ops: ParserState['ops'], transition: ParserState['transition']): ParserState => ({ kind: 'parserState', name, ops, transition });

/** A parser with every op and error; `loops` adds the back edges (a stack loop) that make it cyclic. */
function parserProgram(name: string, loops: boolean, withDefault: boolean): Program {
  const states: ParserState[] = [
    st('start', [{ kind: 'extract', header: 'e' }], sel([F('e.type')], [
      [[ex(1)], 'parse_s'],
      [[{ kind: 'mask', value: '0x200', mask: '0xff00' }], 'parse_v'],
      [[{ kind: 'range', low: '0x300', high: '0x3ff' }], 'parse_adv'],
      [[ex(4)], 'reject'],
      [[ex(5)], 'parse_verify'],
      [[ex(6)], 'parse_last'],
      [[ex(7)], 'parse_w'],
      [[ex(8)], 'parse_x'],
      [[{ kind: 'mask', value: '0x10', mask: '0xf0' }], 'parse_la'],
      ...(withDefault ? ([[[DEF], 'accept']] as [KeysetValue[], string][]) : []),
    ])),
    st(
      'parse_s',
      [{ kind: 'extract', header: 's' }, { kind: 'set', target: 's.last.v', value: B('+', F('s.last.v'), C(8, 1)) }],
      sel([F('s.last.t')], [
        [[ex(1)], loops ? 'parse_s' : 'parse_v'],
        [[ex(2)], 'parse_v'],
        [[{ kind: 'range', low: '0x3', high: '0x5' }], 'parse_w'],
        [[DEF], 'accept'],
      ]),
    ),
    st('parse_v', [{ kind: 'extract', header: 'v' }, { kind: 'set', target: 'meta.m1', value: LA(8) }], sel([F('v.flag')], [
      [[ex(0)], 'accept'],
      [[ex(1)], loops ? 'parse_s' : 'accept'],
      [[DEF], 'parse_x'],
    ])),
    st('parse_adv', [{ kind: 'advance', bits: 16 }, { kind: 'set', target: 'meta.m2', value: LA(16) }], sel([LA(8)], [
      [[ex(0)], 'parse_v'],
      [[DEF], 'accept'],
    ])),
    st(
      'parse_verify',
      [
        { kind: 'set', target: 'meta.m1', value: LA(8) },
        { kind: 'verify', cond: B('!=', F('meta.m1'), C(8, 0xff)), error: 'NoError' },
        { kind: 'verify', cond: B('<', F('meta.m1'), C(8, 0x80)), error: 'ParserInvalidArgument' },
        { kind: 'verify', cond: B('!=', F('meta.m1'), C(8, 0x7f)), error: 'HeaderTooShort' },
        { kind: 'extract', header: 'w' },
      ],
      goto('accept'),
    ),
    st('parse_last', [{ kind: 'set', target: 'meta.m1', value: F('s.last.v') }], goto('accept')),
    st('parse_w', [{ kind: 'extract', header: 'w' }, { kind: 'set', target: 'meta.m4', value: { kind: 'slice', arg: F('w.a'), hi: 99, lo: 0 } }, { kind: 'set', target: 'meta.m3', value: cast(F('w.a'), 64) }], goto('accept')),
    st('parse_x', [{ kind: 'extract', header: 'x' }], goto('accept')),
    st(
      'parse_la',
      [{ kind: 'set', target: 'meta.m4', value: LA(100) }, { kind: 'set', target: 'meta.m2', value: cast(LA(13), 16) }, { kind: 'advance', bits: 8 }],
      sel([LA(3), B('&', LA(8), C(8, 0x0f))], [
        [[{ kind: 'range', low: '0x0', high: '0x3' }, DEF], 'parse_s'],
        [[DEF, { kind: 'mask', value: '0x2', mask: '0x3' }], 'parse_v'],
        [[DEF, DEF], 'accept'],
      ]),
    ),
  ];
  const nx = (i: number): Expr => cast(V(`s[${i}]`), 8);
  return prog({
    name,
    headerTypes: PARSER_TYPES,
    headers: [
      { kind: 'header', name: 'e', type: 'e_t' },
      { kind: 'header', name: 's', type: 's_t', stack: 3 },
      { kind: 'header', name: 'v', type: 'v_t' },
      { kind: 'header', name: 'w', type: 'w_t' },
      { kind: 'header', name: 'x', type: 'x_t' },
      { kind: 'header', name: 'out', type: 'out_t' },
    ],
    metadata: [
      { kind: 'metaField', name: 'm1', width: 8 },
      { kind: 'metaField', name: 'm2', width: 16 },
      { kind: 'metaField', name: 'm3', width: 64 },
      { kind: 'metaField', name: 'm4', width: 100 },
    ],
    parser: { kind: 'parser', start: 'start', states },
    stages: [
      keyless('report', [
        { kind: 'setValid', header: 'out' },
        assign('out.err', F('standard.parserError')),
        assign('out.m1', F('meta.m1')),
        assign('out.m2', F('meta.m2')),
        assign('out.m3', F('meta.m3')),
        assign('out.big', F('meta.m4')),
        assign('out.nx', B('+', B('+', nx(0), nx(1)), nx(2))),
        assign('out.sv', B('^', F('s[0].v'), B('^', F('s[1].v'), F('s[2].v')))),
      ]),
    ],
    deparser: ['e', 's', 'v', 'w', 'x', 'out'],
  });
}

function parserPackets(rng: Rng, count: number): PacketIn[] {
  const types = [1, 0x200, 0x2ab, 0x300, 0x3ff, 4, 5, 6, 7, 8, 0x10, 0x1f, 9, 0x400];
  return Array.from({ length: count }, (): PacketIn => {
    const body = biasedBytes(rng, rng.int(48));
    // stack elements' type bytes and varbit lengths drawn from the interesting values
    for (let i = 1; i < body.length; i += 2) if (rng.chance(0.5)) body[i] = rng.pick([0, 1, 1, 2, 3, 4, 6]);
    if (body.length > 0 && rng.chance(0.5)) body[0] = (rng.int(11) << 4) | rng.int(3);
    const t = rng.pick(types);
    const data = rng.chance(0.05) ? biasedBytes(rng, rng.int(3)) : Uint8Array.from([t >> 8, t & 0xff, ...body]);
    return { port: rng.int(4), data };
  });
}

describe('parser corners', () => {
  it.each([
    ['cyclic, with a default', true, true],
    ['cyclic, no default (NoMatch)', true, false],
    ['acyclic (straight-line code)', false, true],
  ] as const)('%s: every error, stacks, .last, lookahead, advance, verify, varbit sizes', (_, loops, withDefault) => {
    const rng = new Rng(loops ? (withDefault ? 0x9a1 : 0x9a2) : 0x9a3);
    const ir = parserProgram('parsing', loops, withDefault);
    const packets = parserPackets(rng, 3000);
    expect(differential(ir, packets).mismatches).toEqual([]);
    // the packets reach every parser error
    const ref = new ReferenceTarget();
    ref.load(loadPipeline(ir));
    const errors = new Set(packets.map((p) => ref.process(p, { trace: true }).trace!.flatMap((e) => (e.kind === 'parser' ? [e.error] : []))[0]));
    const want = ['NoError', 'PacketTooShort', 'StackOutOfBounds', 'HeaderTooShort', 'ParserInvalidArgument', ...(withDefault ? [] : ['NoMatch'])];
    for (const e of want) expect(errors).toContain(e);
  });

  it('a loop that runs more than 256 states ends in ParserTimeout, as on the reference', () => {
    const ir = prog({
      name: 'spin',
      headerTypes: [htype('e_t', [bf('type', 16)]), htype('out_t', [bf('err', 8)])],
      headers: [
        { kind: 'header', name: 'e', type: 'e_t' },
        { kind: 'header', name: 'out', type: 'out_t' },
      ],
      parser: {
        kind: 'parser',
        start: 'start',
        states: [
          st('start', [{ kind: 'extract', header: 'e' }], goto('spin')),
          st('spin', [{ kind: 'advance', bits: 8 }], sel([LA(8)], [[[ex(0)], 'spin'], [[DEF], 'accept']])),
        ],
      },
      stages: [keyless('report', [{ kind: 'setValid', header: 'out' }, assign('out.err', F('standard.parserError'))])],
      deparser: ['e', 'out'],
    });
    const packets = [250, 254, 255, 256, 257, 300, 600].flatMap((n) => [0, 1].map((tail): PacketIn => ({ port: 0, data: Uint8Array.from([...new Array<number>(n).fill(0), tail, 7, 7]) })));
    expect(differential(ir, packets).mismatches).toEqual([]);
  });
});

// ---------------------------------------------------------------- primitives

const OPS_TYPES: HeaderType[] = [
  htype('c_t', [bf('op1', 8), bf('op2', 8), bf('op3', 8), bf('idx', 16), bf('val', 32), bf('big', 128), bf('port', 9), bf('pad', 7)]),
  S_T,
  htype('ip_t', [
    bf('version', 4),
    bf('ihl', 4),
    bf('tos', 8),
    bf('len', 16),
    bf('id', 16),
    bf('frag', 16),
    bf('ttl', 8),
    bf('proto', 8),
    bf('csum', 16),
    bf('src', 32),
    bf('dst', 32),
    { kind: 'varbitField', name: 'options', maxWidth: 320, length: { field: 'ihl', multiplier: 32, offset: -160 } },
  ]),
];
const IP_FIELDS = ['version', 'ihl', 'tos', 'len', 'id', 'frag', 'ttl', 'proto', 'src', 'dst', 'options'].map((f) => F(`ip.${f}`));

/** Actions over every primitive; a packet's op bytes pick which run, in two stages, so they combine. */
const OPS_ACTIONS: { name: string; params?: { name: string; width: number }[]; body: Primitive[] }[] = [
  { name: 'push1', body: [{ kind: 'pushFront', header: 'st', count: 1 }, { kind: 'setValid', header: 'st[0]' }, assign('st[0].v', F('c.op3'))] },
  { name: 'push3', body: [{ kind: 'pushFront', header: 'st', count: 3 }] },
  { name: 'pop2', body: [{ kind: 'popFront', header: 'st', count: 2 }] },
  { name: 'pop4', body: [{ kind: 'popFront', header: 'st', count: 4 }] },
  { name: 'copy', body: [{ kind: 'copyHeader', dst: 'hx', src: 'st[1]' }, { kind: 'copyHeader', dst: 'st[0]', src: 'st[3]' }, { kind: 'copyHeader', dst: 'st[2]', src: 'hx' }] },
  { name: 'validity', body: [{ kind: 'setValid', header: 'st[2]' }, { kind: 'setInvalid', header: 'st[0]' }, { kind: 'setInvalid', header: 'ip' }, { kind: 'setValid', header: 'hx' }] },
  {
    name: 'masked',
    params: [{ name: 'm', width: 32 }],
    body: [
      { kind: 'maskedAssign', target: 'c.val', value: P('m'), mask: '0xff00ff0' },
      { kind: 'maskedAssign', target: 'c.big', value: B('^', F('c.big'), C(128, ones(128))), mask: '0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0' },
      { kind: 'maskedAssign', target: 'c.port', value: C(9, 0x155), mask: '0x1f0' },
      { kind: 'maskedAssign', target: 'meta.h48', value: cast(F('c.big'), 48), mask: '0xff00000000ff' },
      assign('c.idx', B('^', F('c.idx'), cast(F('meta.h48'), 16))),
    ],
  },
  {
    name: 'regs',
    body: [
      { kind: 'registerRead', register: 'r32', index: F('c.idx'), target: 'meta.h32' },
      { kind: 'registerWrite', register: 'r32', index: F('c.idx'), value: B('+', F('c.val'), F('meta.h32')) },
      { kind: 'registerRead', register: 'r128', index: cast(F('c.op3'), 3), target: 'meta.t128' },
      { kind: 'registerWrite', register: 'r128', index: cast(F('c.op2'), 2), value: B('+', F('c.big'), F('meta.t128')) },
      { kind: 'registerWrite', register: 'r48', index: F('c.big'), value: cast(F('c.big'), 48) },
      { kind: 'registerRead', register: 'r48', index: cast(F('c.idx'), 70), target: 'meta.h48' },
      { kind: 'registerWrite', register: 'r64', index: C(4, 3), value: B('|+|', cast(F('meta.h48'), 64), cast(F('c.val'), 64)) },
      { kind: 'registerRead', register: 'r64', index: C(4, 3), target: 'meta.h64' },
      assign('c.val', F('meta.h32')),
      assign('c.big', B('^', F('meta.t128'), B('++', F('meta.h64'), B('++', F('meta.h48'), C(16, 0))))),
    ],
  },
  {
    name: 'counting',
    body: [
      { kind: 'count', counter: 'cp', index: F('c.idx') },
      { kind: 'count', counter: 'cb', index: cast(F('c.op3'), 4) },
      { kind: 'count', counter: 'cpb', index: F('c.big') },
      { kind: 'count', counter: 'cpb', index: C(2, 1) },
    ],
  },
  {
    name: 'metering',
    body: [
      { kind: 'meterExecute', meter: 'mp', index: F('c.idx'), target: 'meta.col' },
      { kind: 'meterExecute', meter: 'mb', index: cast(F('c.op3'), 2), target: 'meta.col8' },
      { kind: 'meterExecute', meter: 'mb', index: F('c.big'), target: 'meta.t128' },
      assign('c.op3', B('|', cast(F('meta.col'), 8), B('<<', F('meta.col8'), C(3, 2)))),
      assign('c.big', B('|', F('c.big'), F('meta.t128'))),
    ],
  },
  {
    name: 'hashing',
    body: [
      { kind: 'hash', algorithm: 'crc16', target: 'meta.h16', inputs: [F('c.val'), F('c.big'), F('c.port')], base: '0x0', max: '0x400' },
      { kind: 'hash', algorithm: 'crc32', target: 'meta.h32', inputs: [F('c.big'), F('c.op1')], base: '0x5', max: '0x0' },
      { kind: 'hash', algorithm: 'identity', target: 'meta.h64', inputs: [F('c.big')], base: '0x123', max: '0xffffffffffffffff' },
      { kind: 'hash', algorithm: 'csum16', target: 'meta.h7', inputs: [F('c.val')], base: '0x64', max: '0xd' },
      { kind: 'hash', algorithm: 'xor16', target: 'meta.h48', inputs: [F('c.port'), F('c.idx')], base: '0xffffffffffff', max: '0x10000000000000000' },
      { kind: 'hash', algorithm: 'crc32', target: 'meta.t128', inputs: [F('c.port')], base: '0xffffffffffffffff', max: '0x3' },
      { kind: 'hash', algorithm: 'identity', target: 'meta.h32', inputs: [F('c.port'), F('c.op2')], base: '0x0', max: '0x0' },
      { kind: 'hash', algorithm: 'identity', target: 'meta.h16', inputs: [F('c.val'), F('c.op2')], base: '0x7', max: '0x1001' },
      assign('meta.h32', B('^', F('meta.h32'), cast(F('meta.h16'), 32))),
      assign('c.val', B('^', F('meta.h32'), B('++', F('meta.h16'), B('++', F('meta.h7'), C(9, 0))))),
      assign('c.big', B('^', F('meta.t128'), B('++', F('meta.h64'), B('++', F('meta.h48'), C(16, 0))))),
    ],
  },
  {
    name: 'checksums',
    body: [
      { kind: 'checksumVerify', algorithm: 'csum16', inputs: IP_FIELDS, checksum: 'ip.csum', payload: false },
      { kind: 'checksumUpdate', algorithm: 'csum16', target: 'c.idx', inputs: [F('c.val'), F('c.big'), F('c.port'), C(7, 0)], payload: true },
      { kind: 'checksumIncremental', target: 'ip.csum', removed: [F('c.val')], added: [{ kind: 'slice', arg: F('c.big'), hi: 31, lo: 0 }] },
      assign('c.op3', cast(F('standard.checksumError'), 8)),
      { kind: 'checksumUpdate', algorithm: 'csum16', target: 'meta.h16', inputs: [...IP_FIELDS, F('c.op1')], payload: true },
      assign('c.val', B('++', F('meta.h16'), F('ip.csum'))),
    ],
  },
  { name: 'digesting', body: [{ kind: 'digest', digest: 'dg', values: [F('c.big'), F('c.port'), cast(F('c.big'), 48), F('standard.ingressTimestamp')] }] },
  { name: 'clone_i', body: [{ kind: 'clone', session: cast(F('c.op3'), 32), mode: 'ingress' }, assign('c.op1', C(8, 0x66))] },
  { name: 'clone_e', body: [{ kind: 'clone', session: cast(F('c.op3'), 32), mode: 'egress' }, assign('c.op1', C(8, 0x77))] },
  { name: 'resub', body: [{ kind: 'resubmit' }] },
  { name: 'recirc', body: [{ kind: 'recirculate' }, assign('c.op1', B('|-|', F('c.op1'), C(8, 1))), assign('c.op2', B('+', F('c.op2'), C(8, 1)))] },
  { name: 'mcast', body: [{ kind: 'multicast', group: cast(F('c.op3'), 16) }] },
  { name: 'drop', body: [{ kind: 'drop' }] },
  { name: 'egress', params: [{ name: 'p', width: 9 }], body: [{ kind: 'setEgress', port: P('p') }] },
  { name: 'drop_then_egress', body: [{ kind: 'drop' }, { kind: 'setEgress', port: F('c.port') }] },
  { name: 'instance', body: [assign('c.idx', cast(F('standard.instanceType'), 16)), assign('c.val', cast(F('standard.ingressTimestamp'), 32)), { kind: 'setEgress', port: F('standard.ingressPort') }] },
  { name: 'nop', body: [] },
];

function opsStage(name: string, key: string): Stage {
  return {
    kind: 'stage',
    name,
    keys: [{ kind: 'key', field: key, match: 'exact' }],
    actions: OPS_ACTIONS.map((a) => ({ kind: 'action', name: a.name, params: (a.params ?? []).map((p) => ({ kind: 'actionParam', ...p })), body: a.body })),
    defaultAction: { kind: 'defaultAction', action: call('nop'), const: false },
    size: 256,
    entries: [],
    directCounter: 'packetsAndBytes',
  };
}

const dmStage: Stage = {
  kind: 'stage',
  name: 'dm',
  keys: [{ kind: 'key', field: 'c.op3', match: 'ternary' }],
  actions: [
    { kind: 'action', name: 'read', params: [], body: [{ kind: 'directMeterRead', target: 'meta.col8' }, assign('c.pad', cast(F('meta.col8'), 7))] },
    { kind: 'action', name: 'read_wide', params: [], body: [{ kind: 'directMeterRead', target: 'meta.t128' }, assign('c.big', B('+', F('c.big'), F('meta.t128')))] },
  ],
  defaultAction: { kind: 'defaultAction', action: call('read'), const: false },
  size: 16,
  entries: [],
  directMeter: 'packets',
  directCounter: 'bytes',
};

const opsProgram: Program = {
  ...prog({
    name: 'ops',
    headerTypes: OPS_TYPES,
    headers: [
      { kind: 'header', name: 'c', type: 'c_t' },
      { kind: 'header', name: 'st', type: 's_t', stack: 4 },
      { kind: 'header', name: 'hx', type: 's_t' },
      { kind: 'header', name: 'ip', type: 'ip_t' },
    ],
    metadata: [
      { kind: 'metaField', name: 'col', width: 2 },
      { kind: 'metaField', name: 'col8', width: 8 },
      { kind: 'metaField', name: 'h7', width: 7 },
      { kind: 'metaField', name: 'h16', width: 16 },
      { kind: 'metaField', name: 'h32', width: 32 },
      { kind: 'metaField', name: 'h48', width: 48 },
      { kind: 'metaField', name: 'h64', width: 64 },
      { kind: 'metaField', name: 't128', width: 128 },
    ],
    registers: [
      { kind: 'register', name: 'r32', width: 32, size: 16 },
      { kind: 'register', name: 'r48', width: 48, size: 4 },
      { kind: 'register', name: 'r64', width: 64, size: 8 },
      { kind: 'register', name: 'r128', width: 128, size: 4 },
    ],
    counters: [
      { kind: 'counter', name: 'cp', unit: 'packets', size: 8 },
      { kind: 'counter', name: 'cb', unit: 'bytes', size: 8 },
      { kind: 'counter', name: 'cpb', unit: 'packetsAndBytes', size: 4 },
    ],
    meters: [
      { kind: 'meter', name: 'mp', unit: 'packets', size: 4 },
      { kind: 'meter', name: 'mb', unit: 'bytes', size: 4 },
    ],
    digests: [{ kind: 'digest', name: 'dg', fields: [{ kind: 'digestField', name: 'a', width: 128 }, { kind: 'digestField', name: 'b', width: 9 }, { kind: 'digestField', name: 'c', width: 48 }, { kind: 'digestField', name: 'ts', width: 48 }] }],
    parser: {
      kind: 'parser',
      start: 'start',
      states: [
        st('start', [{ kind: 'extract', header: 'c' }], sel([{ kind: 'slice', arg: F('c.pad'), hi: 1, lo: 0 }], [[[ex(0)], 'p_ip'], [[DEF], 'p_st']])),
        st('p_st', [{ kind: 'extract', header: 'st' }], sel([F('st.last.t')], [[[ex(0)], 'p_ip'], [[DEF], 'p_st']])),
        st('p_ip', [{ kind: 'extract', header: 'ip' }], goto('accept')),
      ],
    },
    stages: [opsStage('t1', 'c.op1'), opsStage('t2', 'c.op2'), dmStage],
    deparser: ['c', 'st', 'hx', 'ip'],
  }),
  control: {
    kind: 'control',
    entry: 't1',
    nodes: [
      { kind: 'applyStage', id: 't1', stage: 't1', next: { kind: 'hitMiss', hit: 't2', miss: 'dm' } },
      { kind: 'applyStage', id: 't2', stage: 't2', next: { kind: 'actionRun', cases: [{ kind: 'actionCase', action: 'nop', to: null }, { kind: 'actionCase', action: 'drop', to: 'dm' }], default: 'dm' } },
      { kind: 'applyStage', id: 'dm', stage: 'dm', next: { kind: 'always', to: null } },
    ],
  },
};

function opsSetup(rng: Rng): Update[] {
  const ins = (entity: Update['entity']): Update => ({ type: 'insert', entity });
  const mod = (entity: Update['entity']): Update => ({ type: 'modify', entity });
  const meter = (cir: number, pir: number) => ({ cir, cburst: 3 * cir + 1, pir, pburst: 2 * pir + 3 });
  const updates: Update[] = [];
  OPS_ACTIONS.forEach((a, i) => {
    for (const stage of ['t1', 't2']) {
      const args = Object.fromEntries((a.params ?? []).map((p) => [p.name, rng.bits(p.width)]));
      updates.push(ins({ kind: 'tableEntry', stage, matches: [{ kind: 'exact', value: hx(stage === 't1' ? i + 1 : (i * 7) % 40) }], action: call(a.name, args) }));
    }
  });
  updates.push(ins({ kind: 'tableEntry', stage: 'dm', matches: [{ kind: 'ternary', value: '0x1', mask: '0x3' }], action: call('read'), priority: 2 }));
  updates.push(ins({ kind: 'tableEntry', stage: 'dm', matches: [{ kind: 'ternary', value: '0x2', mask: '0x2' }], action: call('read_wide'), priority: 2 }));
  updates.push(ins({ kind: 'tableEntry', stage: 'dm', matches: [{ kind: 'ternary', value: '0x80', mask: '0x80' }], action: call('read'), priority: 1 }));
  updates.push(mod({ kind: 'directMeter', stage: 'dm', matches: [{ kind: 'ternary', value: '0x1', mask: '0x3' }], priority: 2, config: meter(2, 5) }));
  updates.push(mod({ kind: 'directMeter', stage: 'dm', matches: [{ kind: 'ternary', value: '0x2', mask: '0x2' }], priority: 2, config: meter(1000, 1000) }));
  updates.push(mod({ kind: 'meter', meter: 'mp', index: 0, config: meter(3, 10) }));
  updates.push(mod({ kind: 'meter', meter: 'mp', index: 2, config: meter(1, 1) }));
  updates.push(mod({ kind: 'meter', meter: 'mb', index: 1, config: meter(300, 2000) }));
  updates.push(mod({ kind: 'meter', meter: 'mb', index: 3, config: meter(0, 0) }));
  updates.push(mod({ kind: 'register', register: 'r32', index: 3, value: '0xfffffff0' }));
  updates.push(mod({ kind: 'register', register: 'r128', index: 1, value: hx(ones(128)) }));
  for (const [id, port] of [[1, 5], [2, 6], [3, 7]] as const) updates.push(ins({ kind: 'cloneSession', id, port }));
  updates.push(ins({ kind: 'multicastGroup', id: 1, replicas: [{ port: 1, instance: 1 }, { port: 2, instance: 7 }, { port: 1, instance: 1 }] }));
  updates.push(ins({ kind: 'multicastGroup', id: 2, replicas: [] }));
  return updates;
}

function opsPackets(rng: Rng, count: number): PacketIn[] {
  let now = 1_000_000n;
  const n = OPS_ACTIONS.length;
  return Array.from({ length: count }, (): PacketIn => {
    now += rng.chance(0.8) ? BigInt(rng.int(2000)) : BigInt(rng.int(3_000_000));
    const c = biasedBytes(rng, 27);
    c[0] = rng.chance(0.9) ? 1 + rng.int(n) : rng.int(256);
    c[1] = rng.chance(0.8) ? (rng.int(n) * 7) % 40 : rng.int(256);
    c[2] = rng.pick([0, 1, 2, 3, 4, 5, 0x81, 0x82, rng.int(256)]);
    c[3] = 0;
    c[4] = rng.chance(0.7) ? rng.int(20) : rng.int(256);
    const stack = Array.from({ length: rng.int(6) }, () => [rng.int(256), rng.chance(0.6) ? 1 + rng.int(3) : 0]).flat();
    const ihl = rng.pick([5, 5, 6, 7, 4, 15]);
    const ip = biasedBytes(rng, 20 + rng.int(12));
    ip[0] = 0x40 | ihl;
    const data = Uint8Array.from([...c, ...stack, ...ip, ...biasedBytes(rng, rng.int(20))]);
    return { port: rng.int(16), data: rng.chance(0.05) ? data.subarray(0, rng.int(data.length)) : data, timestamp: rng.chance(0.02) ? (1n << 48n) + now : now };
  });
}

describe('every primitive', () => {
  it('stacks, registers, counters, meters, hashes, checksums, digests, clone, resubmit, recirculate, multicast', () => {
    const rng = new Rng(0x0c5);
    const packets = opsPackets(rng, 6000);
    const run = differential(opsProgram, packets, { updates: opsSetup(new Rng(7)) });
    expect(run.mismatches).toEqual([]);
  });

  it('a policy of two programs: clones, resubmits and drops across the chain, a `when` that skips', () => {
    const second: Program = {
      ...opsProgram,
      name: 'ops2',
      stages: [opsStage('t1', 'c.op2'), opsStage('t2', 'c.op1'), dmStage],
    };
    const policy = {
      kind: 'policy' as const,
      irVersion: 1 as const,
      name: 'chain',
      programs: [opsProgram, second],
      steps: [
        { kind: 'step' as const, program: 'ops' },
        { kind: 'step' as const, program: 'ops2', when: B('!=', F('c.op3'), C(8, 3)) },
        { kind: 'step' as const, program: 'ops', when: V('ip') },
      ],
    };
    const rng = new Rng(0x0c6);
    const packets = opsPackets(rng, 4000);
    const base = opsSetup(new Rng(7));
    const updates = [
      ...base.map((u) => ('stage' in u.entity || 'register' in u.entity || 'meter' in u.entity ? { ...u, entity: { ...u.entity, program: 'ops' } } : u)),
      ...opsSetup(new Rng(8)).flatMap((u) => ('stage' in u.entity || 'register' in u.entity || 'meter' in u.entity ? [{ ...u, entity: { ...u.entity, program: 'ops2' } }] : [])),
    ] as Update[];
    expect(differential(policy, packets, { updates }).mismatches).toEqual([]);
  });
});

/**
 * The pass loop is generated with only what a chain's programs can ask for
 * (pass-loop.ts capsOf). Each capability alone, and none: the program keeps
 * only the actions that use it (a multicast by assigning standard.mcastGroup
 * too, and by a parser `set`), so a capability the generator missed would
 * show as a wrong outcome here.
 */
describe('the pass loop generated per chain', () => {
  const uses = (a: (typeof OPS_ACTIONS)[number], kind: Primitive['kind']): boolean => a.body.some((p) => p.kind === kind);
  const plain = OPS_ACTIONS.filter((a) => !['clone', 'resubmit', 'recirculate', 'multicast'].some((k) => uses(a, k as Primitive['kind'])));
  const assignGroup = { name: 'mcast_assign', body: [assign('standard.mcastGroup', cast(F('c.op3'), 16))] };
  const variants: { name: string; actions: typeof OPS_ACTIONS; parserSet?: boolean; caps: ReturnType<typeof capsOf> }[] = [
    { name: 'none', actions: plain, caps: { clone: false, again: false, multicast: false } },
    { name: 'clone', actions: [...plain, ...OPS_ACTIONS.filter((a) => uses(a, 'clone'))], caps: { clone: true, again: false, multicast: false } },
    { name: 'again', actions: [...plain, ...OPS_ACTIONS.filter((a) => uses(a, 'resubmit') || uses(a, 'recirculate'))], caps: { clone: false, again: true, multicast: false } },
    { name: 'multicast', actions: [...plain, ...OPS_ACTIONS.filter((a) => uses(a, 'multicast'))], caps: { clone: false, again: false, multicast: true } },
    { name: 'multicast by assignment', actions: [...plain, assignGroup], caps: { clone: false, again: false, multicast: true } },
    { name: 'multicast by a parser set', actions: plain, parserSet: true, caps: { clone: false, again: false, multicast: true } },
  ];
  const variant = (v: (typeof variants)[number]): Program => {
    const stage = (name: string, key: string): Stage => ({ ...opsStage(name, key), actions: v.actions.map((a) => ({ kind: 'action', name: a.name, params: (a.params ?? []).map((p) => ({ kind: 'actionParam', ...p })), body: a.body })) });
    const parser = v.parserSet
      ? { ...opsProgram.parser, states: opsProgram.parser.states.map((s) => (s.name === 'p_ip' ? { ...s, ops: [...s.ops, { kind: 'set' as const, target: 'standard.mcastGroup', value: cast(F('c.op3'), 16) }] } : s)) }
      : opsProgram.parser;
    return { ...opsProgram, name: `ops-${v.name.replace(/ /g, '-')}`, parser, stages: [stage('t1', 'c.op1'), stage('t2', 'c.op2'), dmStage] };
  };

  it.each(variants.map((v) => [v.name, v] as const))('%s: what capsOf finds, and outcomes identical to the reference', (_, v) => {
    const program = variant(v);
    expect(capsOf(program)).toEqual(v.caps);
    const names = new Set(v.actions.map((a) => a.name));
    const updates = opsSetup(new Rng(7)).filter((u) => u.entity.kind !== 'tableEntry' || names.has(u.entity.action.action));
    const run = differential(program, opsPackets(new Rng(0x0c7), 3000), { updates });
    expect(run.mismatches).toEqual([]);
  });
});

// ---------------------------------------------------------------- tables

const K_TYPE = htype('k_t', [bf('a', 48), bf('b', 16), bf('c', 8), bf('d', 128), bf('e', 33), bf('f', 32), bf('g', 8), bf('pad', 7)]);
const K_WIDTH: Record<string, number> = { a: 48, b: 16, c: 8, d: 128, e: 33, f: 32, g: 8 };
const R_TYPE = htype('r_t', [bf('t1', 16), bf('t2', 16), bf('t3', 16), bf('t4', 16), bf('t5', 16), bf('t6', 16), bf('t7', 16)]);

type KeyKind = 'exact' | 'lpm' | 'ternary' | 'range' | 'optional';
const TABLES: { name: string; out: string; keys: [string, KeyKind][]; counter?: boolean }[] = [
  { name: 'tern', out: 't1', keys: [['a', 'ternary'], ['b', 'range'], ['c', 'optional'], ['g', 'exact']], counter: true },
  { name: 'lpm128', out: 't2', keys: [['d', 'lpm'], ['c', 'exact']] },
  { name: 'lpm32', out: 't3', keys: [['f', 'lpm']], counter: true },
  { name: 'multi', out: 't4', keys: [['g', 'exact'], ['a', 'exact'], ['d', 'exact'], ['e', 'exact']] },
  { name: 'mixed', out: 't5', keys: [['f', 'lpm'], ['e', 'ternary']] },
  { name: 'opt', out: 't6', keys: [['c', 'optional'], ['b', 'optional'], ['a', 'range']] },
  { name: 'wide', out: 't7', keys: [['d', 'ternary'], ['e', 'range']] },
];

function tableStage(t: (typeof TABLES)[number]): Stage {
  return {
    kind: 'stage',
    name: t.name,
    keys: t.keys.map(([f, match]) => ({ kind: 'key', field: `k.${f}`, match })),
    actions: [
      { kind: 'action', name: 'set', params: [{ kind: 'actionParam', name: 'v', width: 16 }], body: [assign(`r.${t.out}`, P('v'))] },
      { kind: 'action', name: 'mark', params: [], body: [assign(`r.${t.out}`, B('+', F(`r.${t.out}`), C(16, 0x1000)))] },
      { kind: 'action', name: 'none', params: [], body: [] },
    ],
    defaultAction: { kind: 'defaultAction', action: call('none'), const: false },
    size: 4096,
    entries: [],
    ...(t.counter ? { directCounter: 'packetsAndBytes' as const } : {}),
  };
}

const tablesProgram: Program = {
  ...prog({
    name: 'tables',
    headerTypes: [K_TYPE, R_TYPE],
    headers: [
      { kind: 'header', name: 'k', type: 'k_t' },
      { kind: 'header', name: 'r', type: 'r_t' },
    ],
    parser: { kind: 'parser', start: 'start', states: [{ kind: 'parserState', name: 'start', ops: [{ kind: 'extract', header: 'k' }, { kind: 'extract', header: 'r' }], transition: goto('accept') }] },
    stages: TABLES.map(tableStage),
    deparser: ['k', 'r'],
  }),
  control: {
    kind: 'control',
    entry: 'tern',
    nodes: [
      // a case going to null takes the default (reference: cases.find(...)?.to ?? default)
      { kind: 'applyStage', id: 'tern', stage: 'tern', next: { kind: 'actionRun', cases: [{ kind: 'actionCase', action: 'mark', to: null }, { kind: 'actionCase', action: 'set', to: 'lpm128' }], default: 'lpm32' } },
      { kind: 'applyStage', id: 'lpm128', stage: 'lpm128', next: { kind: 'hitMiss', hit: 'lpm32', miss: 'multi' } },
      { kind: 'applyStage', id: 'lpm32', stage: 'lpm32', next: { kind: 'always', to: 'multi' } },
      { kind: 'applyStage', id: 'multi', stage: 'multi', next: { kind: 'always', to: 'mixed' } },
      { kind: 'applyStage', id: 'mixed', stage: 'mixed', next: { kind: 'hitMiss', hit: 'opt', miss: 'opt' } },
      { kind: 'applyStage', id: 'opt', stage: 'opt', next: { kind: 'always', to: 'wide' } },
      { kind: 'applyStage', id: 'wide', stage: 'wide', next: { kind: 'always', to: null } },
    ],
  },
};

/** Values that overlap: a few bases per field, so random entries and keys collide often. */
class TableWorld {
  readonly pools = new Map<string, bigint[]>();

  constructor(private readonly rng: Rng) {
    for (const [f, w] of Object.entries(K_WIDTH)) this.pools.set(f, Array.from({ length: 6 }, () => rng.bits(w)).concat([0n, ones(w)]));
  }

  value(f: string): bigint {
    const w = K_WIDTH[f]!;
    const r = this.rng;
    const v = r.pick(this.pools.get(f)!);
    // flip a low or a high bit now and then: just inside or outside a prefix, mask or range
    return r.chance(0.3) ? v ^ (1n << BigInt(r.chance(0.5) ? r.int(Math.min(8, w)) : w - 1 - r.int(Math.min(8, w)))) : v;
  }

  match(f: string, kind: KeyKind): KeyMatch {
    const w = K_WIDTH[f]!;
    const r = this.rng;
    const v = this.value(f);
    if (kind === 'exact') return { kind: 'exact', value: hx(v) };
    if (r.chance(0.2)) return { kind: 'any' };
    switch (kind) {
      case 'optional':
        return { kind: 'optional', value: hx(v) };
      case 'lpm': {
        const len = r.pick([1, 8, Math.floor(w / 2), w - 8, w - 1, w, 1 + r.int(w)].filter((x) => x >= 1 && x <= w));
        const keep = ones(w) ^ ones(w - len);
        return { kind: 'lpm', value: hx(v & keep), prefixLength: len };
      }
      case 'ternary': {
        const masks = [ones(w), ones(w) ^ ones(Math.floor(w / 2)), ones(w) >> BigInt(Math.floor(w / 3)), 0xffn, (1n << BigInt(w - 1)) | 1n];
        const m = r.pick(masks) & ones(w) || 1n;
        return { kind: 'ternary', value: hx(v & m), mask: hx(m) };
      }
      case 'range': {
        const other = this.value(f);
        const [lo, hi] = v <= other ? [v, other] : [other, v];
        return r.chance(0.2) ? { kind: 'range', low: hx(v), high: hx(v) } : { kind: 'range', low: hx(lo), high: hx(hi) };
      }
    }
  }

  /** Exact keys of installed entries, so packets can hit the all-exact table. */
  readonly exactKeys: Map<string, bigint>[] = [];

  entry(t: (typeof TABLES)[number], type: Update['type'] = 'insert'): Update {
    const r = this.rng;
    if (t.keys.every(([, k]) => k === 'exact')) {
      const values = new Map(t.keys.map(([f]) => [f, this.value(f)]));
      this.exactKeys.push(values);
      const action = r.chance(0.7) ? call('set', { v: r.int(0x10000) }) : call(r.chance(0.5) ? 'mark' : 'none');
      return { type, entity: { kind: 'tableEntry', stage: t.name, matches: t.keys.map(([f]) => ({ kind: 'exact', value: hx(values.get(f)!) })), action } };
    }
    const priority = t.keys.some(([, k]) => k === 'ternary' || k === 'range' || k === 'optional') ? { priority: 1 + r.int(4) } : {};
    const action = r.chance(0.7) ? call('set', { v: r.int(0x10000) }) : call(r.chance(0.5) ? 'mark' : 'none');
    return { type, entity: { kind: 'tableEntry', stage: t.name, matches: t.keys.map(([f, k]) => this.match(f, k)), action, ...priority } };
  }

  packet(): PacketIn {
    const known = this.exactKeys.length > 0 && this.rng.chance(0.5) ? this.rng.pick(this.exactKeys) : undefined;
    const k = K_TYPE.fields.map((f) => (f.kind === 'bitField' && f.name !== 'pad' ? (known?.get(f.name) ?? this.value(f.name)) : 0n));
    let bits = 0n;
    K_TYPE.fields.forEach((f, i) => {
      if (f.kind === 'bitField') bits = (bits << BigInt(f.width)) | k[i]!;
    });
    const bytes = bits.toString(16).padStart(70, '0');
    const data = Uint8Array.from([...Buffer.from(bytes, 'hex'), ...new Array<number>(14).fill(0)]);
    return { port: this.rng.int(4), data };
  }
}

describe('tables of every match kind', () => {
  it.each([
    ['small tables (scanned best first)', 8],
    ['large tables (hashed by mask group)', 60],
  ] as const)('%s: random entries, overlapping priorities and prefixes, narrow, 33-bit, 48-bit and 128-bit keys', (_, size) => {
    const rng = new Rng(0x7ab1e + size);
    const world = new TableWorld(rng);
    const updates = TABLES.flatMap((t) => Array.from({ length: size }, () => world.entry(t)));
    const packets = Array.from({ length: 4000 }, () => world.packet());
    expect(differential(tablesProgram, packets, { updates }).mismatches).toEqual([]);
  });

  it('inserts, modifies, deletes and default actions written between packets', () => {
    const rng = new Rng(0x7ab1f);
    const world = new TableWorld(rng);
    const installed = new Map<string, Update[]>(TABLES.map((t) => [t.name, []]));
    // around the size where a table switches between a scan and hashed groups, both ways
    const updates = TABLES.flatMap((t) => Array.from({ length: 12 }, () => world.entry(t)));
    for (const u of updates) installed.get((u.entity as { stage: string }).stage)!.push(u);
    const packets = Array.from({ length: 4000 }, () => world.packet());
    const between = (i: number): Update[] => {
      if (i % 7 !== 0) return [];
      const t = rng.pick(TABLES);
      const mine = installed.get(t.name)!;
      switch (rng.int(5)) {
        case 0: {
          const u = world.entry(t);
          mine.push(u);
          return [u];
        }
        case 1:
          return mine.length > 0 ? [{ ...rng.pick(mine), type: 'delete' }] : [];
        case 2: {
          if (mine.length === 0) return [];
          const u = rng.pick(mine);
          return [{ type: 'modify', entity: { ...u.entity, action: call('set', { v: rng.int(0x10000) }) } as Update['entity'] }];
        }
        case 3:
          return [{ type: rng.chance(0.8) ? 'modify' : 'delete', entity: { kind: 'defaultAction', stage: t.name, action: rng.chance(0.5) ? call('mark') : call('set', { v: i }) } }];
        default:
          // a batch, some of it failing (duplicates): continueOnError applies the rest
          return Array.from({ length: 4 }, () => world.entry(t)).concat(mine.length > 0 ? [rng.pick(mine)] : []);
      }
    };
    const seen = new Map<string, Set<boolean>>(TABLES.map((t) => [t.name, new Set<boolean>()]));
    const observe = (t: CompiledTarget): void => {
      for (const u of t.resources().tables) seen.get(u.stage)?.add(u.used > SCAN_MAX);
    };
    expect(differential(tablesProgram, packets, { updates, between, observe }).mismatches).toEqual([]);
    // tables went from a scan to hashed groups (or back) along the way
    expect([...seen.values()].filter((s) => s.size === 2).length).toBeGreaterThanOrEqual(3);
  });
});

// ---------------------------------------------------------------- headers nothing writes

describe('headers the program never writes (copied, not re-serialised)', () => {
  it('moved, made valid without extraction, copied from, or only checked: the reference bytes', () => {
    const T = htype('t_t', [bf('x', 16), bf('y', 8), bf('z', 8)]);
    const stage: Stage = {
      kind: 'stage',
      name: 'k',
      keys: [{ kind: 'key', field: 'a.z', match: 'exact' }],
      actions: [
        // c takes b's fields: b is never written, but all its fields must be read
        { kind: 'action', name: 'copy', params: [], body: [{ kind: 'copyHeader', dst: 'c', src: 'b' }] },
        // d (never extracted, never written) takes b's place: same length, so zeros where b was
        { kind: 'action', name: 'swap', params: [], body: [{ kind: 'setInvalid', header: 'b' }, { kind: 'setValid', header: 'd' }] },
        // a's x is only ever read as the checksum being verified
        {
          kind: 'action',
          name: 'verify',
          params: [],
          body: [
            { kind: 'checksumVerify', algorithm: 'csum16', inputs: [F('a.y'), F('a.z')], checksum: 'a.x', payload: true },
            { kind: 'setValid', header: 'c' },
            assign('c.z', cast(F('standard.checksumError'), 8)),
          ],
        },
        // a moves behind d: emitted elsewhere than extracted
        { kind: 'action', name: 'shift', params: [], body: [{ kind: 'setValid', header: 'd' }] },
        { kind: 'action', name: 'drop_a', params: [], body: [{ kind: 'setInvalid', header: 'a' }] },
        { kind: 'action', name: 'none', params: [], body: [] },
      ],
      defaultAction: { kind: 'defaultAction', action: call('none'), const: false },
      size: 8,
      entries: [],
    };
    const ir = prog({
      name: 'clean',
      headerTypes: [T],
      headers: ['a', 'b', 'c', 'd'].map((name) => ({ kind: 'header' as const, name, type: 't_t' })),
      parser: {
        kind: 'parser',
        start: 'start',
        states: [
          st('start', [{ kind: 'extract', header: 'a' }], sel([F('a.y')], [[[ex(0)], 'accept'], [[DEF], 'parse_b']])),
          st('parse_b', [{ kind: 'extract', header: 'b' }], goto('accept')),
        ],
      },
      stages: [stage],
      deparser: ['d', 'a', 'b', 'c'],
    });
    const actions = ['copy', 'swap', 'verify', 'shift', 'drop_a', 'none'];
    const updates: Update[] = actions.map((action, i) => ({ type: 'insert', entity: { kind: 'tableEntry', stage: 'k', matches: [{ kind: 'exact', value: hx(i) }], action: call(action) } }));
    const rng = new Rng(0xc1ea);
    const packets = Array.from({ length: 2000 }, (): PacketIn => {
      const data = biasedBytes(rng, rng.int(16));
      if (data.length > 3) data[3] = rng.int(8);
      if (data.length > 2 && rng.chance(0.3)) data[2] = 0;
      // half of the verified packets carry the right checksum (over a.y, a.z and the payload after a)
      if (data.length > 3 && data[3] === 2 && rng.chance(0.5)) {
        data[2] = 0;
        const c = internetChecksum(data.subarray(2));
        data[0] = c >> 8;
        data[1] = c & 0xff;
      }
      return { port: 0, data };
    });
    expect(differential(ir, packets, { updates }).mismatches).toEqual([]);
  });
});

describe('the numeric hash table of exact lookups', () => {
  it('agrees with a Map through random inserts, replacements and deletions (keys that collide, up to 2^52)', () => {
    const rng = new Rng(0x4a5);
    const h = new NumHash<number>();
    const m = new Map<number, number>();
    // few distinct keys, so probe runs form and deletions must shift them back
    const keys = Array.from({ length: 200 }, () => rng.pick([rng.int(64), rng.int(64) * 4294967296, 2 ** 52 - 1 - rng.int(64), 2 ** 32 + rng.int(64), 0x020000000000 + rng.int(64)]));
    for (let i = 0; i < 60000; i++) {
      const k = rng.pick(keys);
      if (rng.chance(0.45)) {
        expect(h.delete(k)).toBe(m.delete(k));
      } else {
        h.set(k, i);
        m.set(k, i);
      }
      const probe = rng.pick(keys);
      expect(h.get(probe)).toBe(m.get(probe));
    }
    for (const k of keys) expect(h.get(k)).toBe(m.get(k));
    expect([...h.values()].sort((a, b) => a - b)).toEqual([...m.values()].sort((a, b) => a - b));
  });
});
