import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, validateProgram } from '@mpvisor/mpapi';
import { compileProgram, DEFAULT_IMAGE, fitsImage, idSpan, imageTables, metadataDeclaration, nextIds, sequenceProgram, spread, tableDeclaration, worstCasePasses, worstCaseSlotPasses } from '@mpvisor/runtime';
import { programs } from '../../../examples/nfs/index.js';
import { programArb } from '../../mpapi/test/support/ir-arbitraries.js';

describe('the generic image (HyperV Tables I and II)', () => {
  it('declares 2 config tables, 3 others, and per slot 1 condition, 4 match and K primitive tables', () => {
    for (const slots of [1, 2, 5, 8])
      for (const primitivesPerSlot of [1, 9, 16]) {
        const t = tableDeclaration({ ...DEFAULT_IMAGE, slots, primitivesPerSlot });
        expect(t).toEqual({ config: 2, other: 3, condition: 1, match: 4, action: primitivesPerSlot, perSlot: 5 + primitivesPerSlot, total: 5 + slots * (5 + primitivesPerSlot) });
      }
  });

  it('does not grow with the primitives a compound action has: only with K and N (HyperV Fig. 6)', () => {
    const names = imageTables({ ...DEFAULT_IMAGE, slots: 5, primitivesPerSlot: 9 }).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(5 + 5 * 14);
  });

  it('splits metadata into header, user and control bits', () => {
    const m = metadataDeclaration({ ...DEFAULT_IMAGE, headerBits: 800, userBits: 256, primitivesPerSlot: 16, paramBits: 128, maxHeaders: 16, matchKeyBits: 160 });
    expect(m.header).toBe(800);
    expect(m.user).toBe(256);
    // ids 4×16, pass 8, valid bitmap 16, parse state 8, cursor 16, match ids 3×16, action 16, bitmap 16, params 128, header and user keys 2×160, flags 3
    expect(m.control).toBe(64 + 8 + 16 + 8 + 16 + 48 + 16 + 16 + 128 + 320 + 3);
    expect(m.total).toBe(m.header + m.user + m.control);
  });

  it('every example NF fits the default image', () => {
    for (const nf of Object.values(programs)) expect(fitsImage(compileProgram(nf.toIR(), 16), DEFAULT_IMAGE)).toBeUndefined();
  });

  it('refuses a program that does not fit the image, naming the resource', () => {
    const g = compileProgram(programs.nat.toIR(), 16);
    expect(fitsImage(g, DEFAULT_IMAGE)).toBeUndefined();
    expect(fitsImage(g, { ...DEFAULT_IMAGE, headerBits: 400 })).toEqual({ resource: 'header area bits', need: g.layout.headerBits, have: 400 });
    expect(fitsImage(g, { ...DEFAULT_IMAGE, userBits: 8 })).toMatchObject({ resource: 'user metadata bits', have: 8 });
    expect(fitsImage(g, { ...DEFAULT_IMAGE, maxHeaders: 2 })).toMatchObject({ resource: 'header instances', need: 4, have: 2 });
    expect(fitsImage(g, { ...DEFAULT_IMAGE, paramBits: 16 })).toMatchObject({ resource: 'action parameter bits', need: 48, have: 16 });
    // nat_snat keys on 40 bits of header fields (address and protocol) and 16 of user metadata (the L4 port)
    expect(fitsImage(g, { ...DEFAULT_IMAGE, matchKeyBits: 39 })).toEqual({ resource: 'header match key bits (stage nat_snat)', need: 40, have: 39 });
    expect(fitsImage(g, { ...DEFAULT_IMAGE, matchKeyBits: 40 })).toBeUndefined();
  });

  it('spread gives min, median and max', () => {
    expect(spread([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(spread([])).toEqual({ min: 0, median: 0, max: 0 });
  });
});

describe('the dynamic compiler (HyperV §IV-E)', () => {
  /** Every name and reference in the copy, by walking it: they must all be positional. */
  function names(node: unknown, out: { names: string[]; refs: string[] }, parent = ''): void {
    if (Array.isArray(node)) return node.forEach((x) => names(x, out, parent));
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    // digest field names label a message's values, and lineage names ancestors: neither is data-plane state
    if (o.kind === 'digestField' || o.kind === 'ancestor') return;
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'string' && ['name', 'stage', 'action', 'register', 'counter', 'meter', 'digest', 'next', 'state', 'start', 'type', 'header', 'dst', 'src', 'id', 'to'].includes(k)) out.names.push(v);
      // a varbit's length names a field of its own header; everywhere else `field` is a reference
      if (typeof v === 'string' && k === 'field' && parent === 'length') out.names.push(v);
      else if (typeof v === 'string' && ['ref', 'target', 'field', 'checksum'].includes(k)) out.refs.push(v);
      if (k === 'deparser' && Array.isArray(v)) out.names.push(...(v as string[]));
      names(v, out, Array.isArray(o) ? parent : k);
    }
  }
  const POSITIONAL = /^(([thsuqgaprcmdnf][0-9]+)(\[[0-9]+\])?|accept|reject)$/;
  const POSITIONAL_REF = /^((h[0-9]+|s[0-9]+(\[[0-9]+\]|\.last))\.f[0-9]+|meta\.u[0-9]+|standard\.[A-Za-z]+)$/;

  it.each(Object.entries(programs))('%s: no tenant name survives in the image’s copy, and the copy is valid IR', (_, nf) => {
    const g = compileProgram(nf.toIR(), 16);
    const { name: _n, description: _d, lineage: _l, ...copy } = g.ir;
    const found = { names: [] as string[], refs: [] as string[] };
    names(copy, found);
    expect(found.names.length).toBeGreaterThan(0);
    for (const n of found.names) expect(n).toMatch(POSITIONAL);
    for (const r of found.refs) expect(r).toMatch(POSITIONAL_REF);
    expect(validateProgram(g.ir)).toEqual([]);
  });

  it('splits keys by class: header fields, standard metadata, user metadata', () => {
    const g = compileProgram(programs.nat.toIR(), 16);
    const snat = g.stages.find((s) => s.match?.stage === 'nat_snat')!;
    expect(snat.match!.columns.map((c) => [c.class, c.ref, c.width, c.kind])).toEqual([
      ['header', 'h1.f10', 32, 'exact'],
      ['header', 'h1.f8', 8, 'exact'],
      ['user', 'meta.u0', 16, 'exact'],
    ]);
  });

  it('gives an action longer than K primitives room to continue in the next slots', () => {
    const ir = programs.nat.toIR();
    const longest = Math.max(...ir.stages.flatMap((s) => s.actions.map((a) => a.body.length)));
    for (const k of [1, 2, 3, longest]) {
      const g = compileProgram(ir, k);
      const snat = g.stages.find((s) => s.match?.stage === 'nat_snat')!;
      expect(snat.span).toBe(Math.ceil(longest / k));
      // ids stay increasing and every next id lies beyond the stage's span
      for (const s of g.stages) {
        const n = s.next;
        const targets = n.kind === 'always' ? [n.to] : n.kind === 'hitMiss' ? [n.hit, n.miss] : n.kind === 'condition' ? [n.then, n.else] : [...Object.values(n.cases), n.default];
        for (const t of targets) if (t !== null) expect(t).toBeGreaterThanOrEqual(s.id + s.span);
      }
      expect(idSpan(g)).toBe(g.stages.reduce((a, s) => a + s.span, 0));
    }
  });

  it('compiles any valid program into a valid positional copy with forward next ids', () => {
    fc.assert(
      fc.property(programArb, fc.integer({ min: 1, max: 4 }), (p, k) => {
        const g = compileProgram(p, k);
        expect(validateProgram(g.ir)).toEqual([]);
        expect(g.stages.length).toBe(p.control.nodes.length);
        for (const s of g.stages) if (s.match) expect(s.match.generic.actions.length).toBe(p.stages.find((x) => x.name === s.match!.stage)!.actions.length);
      }),
      { numRuns: 100 },
    );
  });
});

describe('passes through the slots with multi-slot actions', () => {
  it('agrees with worstCasePasses when every stage takes one slot', () => {
    fc.assert(
      fc.property(programArb, fc.integer({ min: 1, max: 6 }), (p, slots) => {
        const seq = sequenceProgram(p, 3);
        const stages = seq.stages.map((s) => ({ id: s.id, span: 1, next: nextIds(s) }));
        expect(worstCaseSlotPasses(stages, seq.entry, slots)).toBe(worstCasePasses(seq, slots));
      }),
      { numRuns: 100 },
    );
  });

  it('counts a wrap inside a stage’s own span, and from where the span ends', () => {
    // stage 0 spans ids 0..2, then stage 3: with 2 slots, 0→1 same pass, 1→2 wraps, 2→3 same pass
    const stages = [
      { id: 0, span: 3, next: [3] },
      { id: 3, span: 1, next: [null] },
    ];
    expect(worstCaseSlotPasses(stages, 0, 2)).toBe(2);
    expect(worstCaseSlotPasses(stages, 0, 4)).toBe(1);
    expect(worstCaseSlotPasses(stages, 0, 1)).toBe(4);
    expect(worstCaseSlotPasses([], null, 4)).toBe(0);
  });
});
