/**
 * The control-plane API of the reference target, through `target.write` and
 * `target.read`: every P4Runtime error code with its message, batches and
 * their atomicity, reads of every entity kind, counters and registers as the
 * NF sees them, and entries files (JSON and YAML).
 */
import { describe, expect, it } from 'vitest';
import { bit, header, MpvisorError, program, std, type ActionCall, type KeyMatch } from '@mpvisor/mpapi';
import {
  installEntries,
  loadPipeline,
  packet,
  ethernet,
  payload,
  type Entity,
  type ReadRequest,
  type Update,
  type UpdateResult,
  type WriteResult,
} from '@mpvisor/runtime';
import { ReferenceTarget } from '@mpvisor/targets';

// ---------------------------------------------------------------- the program under test

/** A test header carried after Ethernet (EtherType 0x88b5): keys, an index, and fields the NF writes. */
const probe = header('probe_t', {
  a: bit(32), // exact / lpm / direct-meter key
  b: bit(16), // ternary key
  c: bit(8), // range key
  d: bit(8), // optional key
  idx: bit(8), // register / counter / meter index
  mark: bit(8), // written by exact_t
  tag: bit(8), // written by tern_t
  opt: bit(8), // written by opt_t
  reg: bit(16), // register value read by the NF
  color: bit(8), // indexed meter colour
  dcolor: bit(8), // direct meter colour
});

const cp = program('cp')
  .headers({ ethernet: std.ethernet, p: probe })
  .register('reg', { width: 16, size: 4 })
  .counter('ctr', { size: 4 })
  .meter('mtr', { size: 2, unit: 'packets' })
  .parser((ps) =>
    ps
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_p']], 'accept'))
      .state('parse_p', (s) => s.extract('p').accept()),
  )
  .stage('exact_t', (t) =>
    t
      .key({ 'p.a': 'exact' })
      .action('mark', { v: bit(8) }, (a, x) => a.assign('p.mark', x.v))
      .size(2)
      .directCounter(),
  )
  .stage('lpm_t', (t) =>
    t
      .key({ 'p.a': 'lpm' })
      .action('route', { port: bit(9) }, (a, x) => a.setEgress(x.port))
      .action('to_group', { group: bit(16) }, (a, x) => a.multicast(x.group))
      .action('drop', (a) => a.drop())
      .defaultAction('route', { port: 7 })
      .size(16),
  )
  .stage('tern_t', (t) =>
    t
      .key({ 'p.b': 'ternary', 'p.c': 'range' })
      .action('tag', { v: bit(8) }, (a, x) => a.assign('p.tag', x.v))
      .size(16),
  )
  .stage('opt_t', (t) =>
    t
      .key({ 'p.d': 'optional' })
      .action('opt', { v: bit(8) }, (a, x) => a.assign('p.opt', x.v))
      .size(16),
  )
  .stage('dmeter_t', (t) =>
    t
      .key({ 'p.a': 'exact' })
      .action('colour', (a) => a.directMeterRead('p.dcolor'))
      .size(16)
      .directMeter('packets'),
  )
  .stage('stats', (t) =>
    t
      .action('account', (a) =>
        a.registerRead('p.reg', 'reg', a.get('p.idx')).count('ctr', a.get('p.idx')).meterExecute('mtr', a.get('p.idx'), 'p.color'),
      )
      .defaultAction('account', {}, { const: true }),
  )
  .stage('consts', (t) =>
    t
      .key({ 'p.d': 'exact' })
      .action('nop', (a) => a)
      .entries({ key: { 'p.d': 200 }, action: 'nop' }),
  )
  .control((c) => c.if(c.isValid('p'), (c) => c.apply('exact_t').apply('lpm_t').apply('tern_t').apply('opt_t').apply('dmeter_t').apply('stats').apply('consts')));

const pipeline = loadPipeline(cp);

function target(): ReferenceTarget {
  const t = new ReferenceTarget();
  t.load(pipeline);
  return t;
}

// ---------------------------------------------------------------- helpers

const call = (action: string, args: Record<string, string> = {}): ActionCall => ({ kind: 'actionCall', action, args });
const exact = (value: string): KeyMatch => ({ kind: 'exact', value });
const lpm = (value: string, prefixLength: number): KeyMatch => ({ kind: 'lpm', value, prefixLength });
const ternary = (value: string, mask: string): KeyMatch => ({ kind: 'ternary', value, mask });
const range = (low: string, high: string): KeyMatch => ({ kind: 'range', low, high });
const ANY: KeyMatch = { kind: 'any' };

const insert = (entity: Entity): Update => ({ type: 'insert', entity });
const modify = (entity: Entity): Update => ({ type: 'modify', entity });
const del = (entity: Entity): Update => ({ type: 'delete', entity });

const exactEntry = (a: string, v: string): Entity => ({ kind: 'tableEntry', stage: 'exact_t', matches: [exact(a)], action: call('mark', { v }) });
const route = (value: string, len: number, port: string): Entity => ({ kind: 'tableEntry', stage: 'lpm_t', matches: [lpm(value, len)], action: call('route', { port }) });
const tern = (b: KeyMatch, c: KeyMatch, v: string, priority?: number): Entity => ({
  kind: 'tableEntry',
  stage: 'tern_t',
  matches: [b, c],
  action: call('tag', { v }),
  ...(priority !== undefined ? { priority } : {}),
});

/** The single result of a one-update write. */
function one(w: WriteResult): UpdateResult {
  expect(w.results).toHaveLength(1);
  return w.results[0]!;
}

/** Write one update and expect it to fail with `code` and a message matching `message`. */
function expectFailure(t: ReferenceTarget, u: Update, code: string, message: RegExp | string): void {
  const w = t.write([u]);
  expect(w.ok).toBe(false);
  const r = one(w);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe(code);
  if (typeof message === 'string') expect(r.message).toContain(message);
  else expect(r.message).toMatch(message);
}

function expectOk(w: WriteResult): void {
  expect(w.results.filter((r) => !r.ok)).toEqual([]);
  expect(w.ok).toBe(true);
}

/** The probe packet: Ethernet (0x88b5) then the probe header. */
function probePacket(f: { a?: number; b?: number; c?: number; d?: number; idx?: number } = {}): Uint8Array {
  const h = new Uint8Array(17);
  const v = new DataView(h.buffer);
  v.setUint32(0, f.a ?? 0);
  v.setUint16(4, f.b ?? 0);
  h[6] = f.c ?? 0;
  h[7] = f.d ?? 0;
  h[8] = f.idx ?? 0;
  return packet(ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x88b5 }), payload(h));
}

/** The fields the NF wrote, read back from an output packet. */
function written(data: Uint8Array): { mark: number; tag: number; opt: number; reg: number; color: number; dcolor: number } {
  const o = 14;
  return {
    mark: data[o + 9]!,
    tag: data[o + 10]!,
    opt: data[o + 11]!,
    reg: (data[o + 12]! << 8) | data[o + 13]!,
    color: data[o + 14]!,
    dcolor: data[o + 15]!,
  };
}

const ALL_KINDS: readonly ReadRequest['kind'][] = [
  'tableEntry',
  'defaultAction',
  'register',
  'counter',
  'directCounter',
  'meter',
  'directMeter',
  'multicastGroup',
  'cloneSession',
];

/** Everything the control plane can read, kind by kind. */
function readAll(t: ReferenceTarget): Record<string, readonly Entity[]> {
  return Object.fromEntries(ALL_KINDS.map((kind) => [kind, t.read({ kind } as ReadRequest)]));
}

// ---------------------------------------------------------------- INVALID_ARGUMENT

describe('INVALID_ARGUMENT', () => {
  it('an LPM value with bits below the prefix', () => {
    expectFailure(t(), insert(route('0xa000001', 24, '0x1')), 'INVALID_ARGUMENT', 'value 0xa000001/24 has bits set below the prefix');
  });

  it('a ternary value with bits outside its mask', () => {
    expectFailure(t(), insert(tern(ternary('0xff', '0xf'), ANY, '0x1', 1)), 'INVALID_ARGUMENT', 'key p.b: value 0xff has bits outside mask 0xf');
  });

  it('a zero ternary mask (a don\'t-care must be written "any")', () => {
    expectFailure(t(), insert(tern(ternary('0x0', '0x0'), ANY, '0x1', 1)), 'INVALID_ARGUMENT', /key p\.b: a zero mask matches everything; write a don't-care/);
  });

  it('a range whose low is above its high', () => {
    expectFailure(t(), insert(tern(ANY, range('0x9', '0x3'), '0x1', 1)), 'INVALID_ARGUMENT', 'key p.c: range low 0x9 is greater than high 0x3');
  });

  it('a missing priority in a stage with ternary/range keys', () => {
    expectFailure(t(), insert(tern(ternary('0x1', '0xff'), ANY, '0x1')), 'INVALID_ARGUMENT', 'every entry needs a priority');
    // P4Runtime priorities start at 1
    expectFailure(t(), insert(tern(ternary('0x1', '0xff'), ANY, '0x1', 0)), 'INVALID_ARGUMENT', /malformed entry: .*priority/i);
  });

  it('a priority in a stage with only exact/lpm keys', () => {
    expectFailure(t(), insert({ ...route('0xa000000', 8, '0x1'), priority: 5 } as Entity), 'INVALID_ARGUMENT', 'an entry must not have a priority');
  });

  it('an action parameter wider than its declaration', () => {
    expectFailure(t(), insert(route('0xa000000', 8, '0x200')), 'INVALID_ARGUMENT', 'argument "port" = 0x200 does not fit in bit<9>');
  });

  it('a missing and an unknown action parameter', () => {
    expectFailure(
      t(),
      insert({ kind: 'tableEntry', stage: 'lpm_t', matches: [lpm('0xa000000', 8)], action: call('route', { prt: '0x1' }) }),
      'INVALID_ARGUMENT',
      /missing argument "port".*action "route" has no parameter "prt"/,
    );
  });

  it('a key value wider than its key', () => {
    expectFailure(t(), insert(exactEntry('0x100000000', '0x1')), 'INVALID_ARGUMENT', 'key p.a: value 0x100000000 does not fit in bit<32>');
  });

  it('a match kind the key does not have (exact key, don\'t-care match)', () => {
    expectFailure(
      t(),
      insert({ kind: 'tableEntry', stage: 'exact_t', matches: [ANY], action: call('mark', { v: '0x1' }) }),
      'INVALID_ARGUMENT',
      'key p.a is exact; a "any" match is not allowed',
    );
  });

  it('an unknown table (stage)', () => {
    expectFailure(
      t(),
      insert({ kind: 'tableEntry', stage: 'nope', matches: [exact('0x1')], action: call('mark', { v: '0x1' }) }),
      'INVALID_ARGUMENT',
      'program "cp" has no stage "nope"',
    );
  });

  it('an unknown action', () => {
    expectFailure(
      t(),
      insert({ kind: 'tableEntry', stage: 'lpm_t', matches: [lpm('0xa000000', 8)], action: call('fly') }),
      'INVALID_ARGUMENT',
      'unknown action "fly"; stage "lpm_t" has "route", "to_group", "drop"',
    );
  });

  it('an unknown program', () => {
    expectFailure(
      t(),
      insert({ ...exactEntry('0x1', '0x1'), program: 'nope' } as Entity),
      'INVALID_ARGUMENT',
      'unknown program "nope"; the pipeline runs cp',
    );
  });

  it('the wrong number of key matches', () => {
    expectFailure(
      t(),
      insert({ kind: 'tableEntry', stage: 'lpm_t', matches: [lpm('0xa000000', 8), exact('0x1')], action: call('drop') }),
      'INVALID_ARGUMENT',
      'entry has 2 key matches, stage "lpm_t" has 1 keys',
    );
    expectFailure(
      t(),
      del({ kind: 'tableEntry', stage: 'tern_t', matches: [ANY], action: call('tag', { v: '0x1' }), priority: 1 }),
      'INVALID_ARGUMENT',
      'entry has 1 key matches, stage "tern_t" has 2 keys',
    );
  });

  it('malformed hex in a key, an argument, or a register value', () => {
    expectFailure(t(), insert(exactEntry('0xZZ', '0x1')), 'INVALID_ARGUMENT', /stage "exact_t": malformed entry: .*canonical hex/);
    expectFailure(t(), insert(exactEntry('0x01', '0x1')), 'INVALID_ARGUMENT', /malformed entry: .*canonical hex/);
    expectFailure(t(), insert(exactEntry('0x1', '10')), 'INVALID_ARGUMENT', /malformed entry: .*canonical hex/);
    expectFailure(t(), modify({ kind: 'register', register: 'reg', index: 0, value: '0xG' }), 'INVALID_ARGUMENT', 'register "reg": value 0xG does not fit bit<16>');
  });

  it('a register value wider than the register', () => {
    expectFailure(t(), modify({ kind: 'register', register: 'reg', index: 0, value: '0x10000' }), 'INVALID_ARGUMENT', 'register "reg": value 0x10000 does not fit bit<16>');
  });

  it('a meter whose PIR is below its CIR (RFC 2698)', () => {
    const config = { cir: 20, cburst: 5, pir: 10, pburst: 5 };
    expectFailure(t(), modify({ kind: 'meter', meter: 'mtr', index: 0, config }), 'INVALID_ARGUMENT', 'meter "mtr": PIR 10 is below CIR 20 (RFC 2698 requires PIR >= CIR)');
    const tt = t();
    expectOk(tt.write([insert(exactEntry('0x1', '0x1'))]));
    expectOk(tt.write([insert({ kind: 'tableEntry', stage: 'dmeter_t', matches: [exact('0x1')], action: call('colour') })]));
    expectFailure(
      tt,
      modify({ kind: 'directMeter', stage: 'dmeter_t', matches: [exact('0x1')], config }),
      'INVALID_ARGUMENT',
      'stage "dmeter_t" direct meter: PIR 10 is below CIR 20',
    );
    expectFailure(t(), modify({ kind: 'meter', meter: 'mtr', index: 0, config: { cir: -1, cburst: 5, pir: 10, pburst: 5 } }), 'INVALID_ARGUMENT', 'cir must be a non-negative integer');
  });

  it('a multicast replica or clone session port out of range', () => {
    expectFailure(t(), insert({ kind: 'multicastGroup', id: 1, replicas: [{ port: 1, instance: 1 }, { port: 511, instance: 2 }] }), 'INVALID_ARGUMENT', 'multicast group 1: port 511 is not in 0..510');
    expectFailure(t(), insert({ kind: 'multicastGroup', id: 0, replicas: [] }), 'INVALID_ARGUMENT', 'multicast group id 0 is not in 1..65535');
    expectFailure(t(), insert({ kind: 'cloneSession', id: 1, port: 600 }), 'INVALID_ARGUMENT', 'clone session 1: port 600 is not in 0..510');
  });

  it('inserting (or deleting) a default action, which always exists', () => {
    expectFailure(t(), insert({ kind: 'defaultAction', stage: 'lpm_t', action: call('drop') }), 'INVALID_ARGUMENT', 'the default action of stage "lpm_t" always exists; modify it');
  });

  it('inserting or deleting a register, counter or meter cell, which can only be modified', () => {
    expectFailure(t(), insert({ kind: 'register', register: 'reg', index: 0, value: '0x1' }), 'INVALID_ARGUMENT', 'a register can only be modified, not inserted');
    expectFailure(t(), del({ kind: 'counter', counter: 'ctr', index: 0, packets: 0n, bytes: 0n }), 'INVALID_ARGUMENT', 'a counter can only be modified, not deleted');
    expectFailure(t(), insert({ kind: 'meter', meter: 'mtr', index: 0, config: null }), 'INVALID_ARGUMENT', 'a meter can only be modified, not inserted');
  });

  it('a direct counter or meter on a stage that has none', () => {
    expectFailure(t(), modify({ kind: 'directCounter', stage: 'lpm_t', matches: [lpm('0xa000000', 8)], packets: 0n, bytes: 0n }), 'INVALID_ARGUMENT', 'stage "lpm_t" has no direct counter');
    expectFailure(t(), modify({ kind: 'directMeter', stage: 'lpm_t', matches: [lpm('0xa000000', 8)], config: null }), 'INVALID_ARGUMENT', 'stage "lpm_t" has no direct meter');
  });

  it('an entry in a stage without keys (it would never be looked up)', () => {
    expectFailure(
      t(),
      insert({ kind: 'tableEntry', stage: 'opt_t', matches: [], action: call('opt', { v: '0x1' }), priority: 1 }),
      'INVALID_ARGUMENT',
      'entry has 0 key matches, stage "opt_t" has 1 keys',
    );
    const keyless = program('keyless')
      .headers({ ethernet: std.ethernet })
      .parser((ps) => ps.state('start', (s) => s.extract('ethernet').accept()))
      .stage('only', (st) => st.action('go', { port: bit(9) }, (a, x) => a.setEgress(x.port)).defaultAction('go', { port: 1 }));
    const tt = new ReferenceTarget();
    tt.load(loadPipeline(keyless));
    expectFailure(tt, insert({ kind: 'tableEntry', stage: 'only', matches: [], action: call('go', { port: '0x2' }) }), 'INVALID_ARGUMENT', 'stage "only" has no keys, so it cannot have entries; set its default action instead');
    expect(tt.read({ kind: 'tableEntry' })).toEqual([]);
  });

  it('an unknown register, counter or meter', () => {
    expectFailure(t(), modify({ kind: 'register', register: 'nope', index: 0, value: '0x1' }), 'INVALID_ARGUMENT', 'program "cp" has no register "nope"');
    expectFailure(t(), modify({ kind: 'counter', counter: 'nope', index: 0, packets: 0n, bytes: 0n }), 'INVALID_ARGUMENT', 'program "cp" has no counter "nope"');
    expectFailure(t(), modify({ kind: 'meter', meter: 'nope', index: 0, config: null }), 'INVALID_ARGUMENT', 'program "cp" has no meter "nope"');
  });
});

// ---------------------------------------------------------------- the other codes

describe('ALREADY_EXISTS', () => {
  it('a duplicate insert fails and leaves the entry unchanged', () => {
    const tt = t();
    expectOk(tt.write([insert(route('0xa000000', 8, '0x1'))]));
    expectFailure(tt, insert(route('0xa000000', 8, '0x2')), 'ALREADY_EXISTS', 'stage "lpm_t" already has an entry with these matches; the entry is unchanged');
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' })).toEqual([
      { kind: 'tableEntry', program: 'cp', stage: 'lpm_t', matches: [lpm('0xa000000', 8)], action: call('route', { port: '0x1' }) },
    ]);
    expect(tt.process({ port: 0, data: probePacket({ a: 0x0a010203 }) }).outputs[0]!.port).toBe(1);
  });

  it('the same entry with its match fields written in another property order is a duplicate too', () => {
    const tt = t();
    expectOk(tt.write([insert(route('0xa000000', 8, '0x1'))]));
    const reordered = { prefixLength: 8, value: '0xa000000', kind: 'lpm' } as KeyMatch;
    expectFailure(tt, insert({ kind: 'tableEntry', stage: 'lpm_t', matches: [reordered], action: call('route', { port: '0x2' }) }), 'ALREADY_EXISTS', 'already has an entry');
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' })).toHaveLength(1);
    expectOk(tt.write([del({ kind: 'tableEntry', stage: 'lpm_t', matches: [reordered], action: call('drop') })]));
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' })).toEqual([]);
  });

  it('a ternary entry is identified by its matches and its priority', () => {
    const tt = t();
    expectOk(tt.write([insert(tern(ternary('0x1', '0xff'), ANY, '0x1', 10)), insert(tern(ternary('0x1', '0xff'), ANY, '0x2', 20))]));
    expectFailure(tt, insert(tern(ternary('0x1', '0xff'), ANY, '0x3', 10)), 'ALREADY_EXISTS', 'already has an entry');
    expect(tt.read({ kind: 'tableEntry', stage: 'tern_t' }).map((e) => (e.kind === 'tableEntry' ? [e.priority, e.action.args['v']] : []))).toEqual([
      [10, '0x1'],
      [20, '0x2'],
    ]);
  });

  it('a duplicate multicast group or clone session', () => {
    const tt = t();
    expectOk(tt.write([insert({ kind: 'multicastGroup', id: 3, replicas: [{ port: 1, instance: 1 }] }), insert({ kind: 'cloneSession', id: 9, port: 4 })]));
    expectFailure(tt, insert({ kind: 'multicastGroup', id: 3, replicas: [] }), 'ALREADY_EXISTS', 'multicast group 3 already exists');
    expectFailure(tt, insert({ kind: 'cloneSession', id: 9, port: 5 }), 'ALREADY_EXISTS', 'clone session 9 already exists');
    expect(tt.read({ kind: 'multicastGroup' })).toEqual([{ kind: 'multicastGroup', id: 3, replicas: [{ port: 1, instance: 1 }] }]);
    expect(tt.read({ kind: 'cloneSession' })).toEqual([{ kind: 'cloneSession', id: 9, port: 4 }]);
  });
});

describe('NOT_FOUND', () => {
  it('modifying or deleting an entry that does not exist', () => {
    expectFailure(t(), modify(route('0xa000000', 8, '0x1')), 'NOT_FOUND', 'stage "lpm_t" has no entry with these matches to modify');
    expectFailure(t(), del(route('0xa000000', 8, '0x1')), 'NOT_FOUND', 'stage "lpm_t" has no entry with these matches to delete');
    // same matches, other priority: another entry
    const tt = t();
    expectOk(tt.write([insert(tern(ternary('0x1', '0xff'), ANY, '0x1', 10))]));
    expectFailure(tt, del(tern(ternary('0x1', '0xff'), ANY, '0x1', 11)), 'NOT_FOUND', 'no entry with these matches to delete');
  });

  it('the direct counter or meter of an entry that does not exist', () => {
    expectFailure(t(), modify({ kind: 'directCounter', stage: 'exact_t', matches: [exact('0x5')], packets: 1n, bytes: 1n }), 'NOT_FOUND', 'stage "exact_t" has no entry with these matches');
    expectFailure(t(), modify({ kind: 'directMeter', stage: 'dmeter_t', matches: [exact('0x5')], config: null }), 'NOT_FOUND', 'stage "dmeter_t" has no entry with these matches');
  });

  it('modifying or deleting a multicast group or clone session that does not exist', () => {
    expectFailure(t(), modify({ kind: 'multicastGroup', id: 4, replicas: [] }), 'NOT_FOUND', 'multicast group 4 does not exist');
    expectFailure(t(), del({ kind: 'multicastGroup', id: 4, replicas: [] }), 'NOT_FOUND', 'multicast group 4 does not exist');
    expectFailure(t(), del({ kind: 'cloneSession', id: 4, port: 0 }), 'NOT_FOUND', 'clone session 4 does not exist');
  });
});

describe('RESOURCE_EXHAUSTED', () => {
  it('an insert into a table holding its size in entries; a delete makes room', () => {
    const tt = t();
    expectOk(tt.write([insert(exactEntry('0x1', '0x1')), insert(exactEntry('0x2', '0x2'))]));
    expectFailure(tt, insert(exactEntry('0x3', '0x3')), 'RESOURCE_EXHAUSTED', 'stage "exact_t" is full (2 entries)');
    expect(tt.read({ kind: 'tableEntry', stage: 'exact_t' })).toHaveLength(2);
    expect(tt.resources().tables.find((x) => x.stage === 'exact_t')).toMatchObject({ size: 2, used: 2 });
    // a duplicate of a full table is still ALREADY_EXISTS
    expectFailure(tt, insert(exactEntry('0x1', '0x9')), 'ALREADY_EXISTS', 'already has an entry');
    expectOk(tt.write([del(exactEntry('0x1', '0x1')), insert(exactEntry('0x3', '0x3'))]));
  });
});

describe('OUT_OF_RANGE', () => {
  it('a register, counter or meter index past the end', () => {
    expectFailure(t(), modify({ kind: 'register', register: 'reg', index: 4, value: '0x1' }), 'OUT_OF_RANGE', 'register "reg" has 4 cells; index 4 is out of range');
    expectFailure(t(), modify({ kind: 'register', register: 'reg', index: -1, value: '0x1' }), 'OUT_OF_RANGE', 'index -1 is out of range');
    expectFailure(t(), modify({ kind: 'counter', counter: 'ctr', index: 4, packets: 0n, bytes: 0n }), 'OUT_OF_RANGE', 'counter "ctr" has 4 cells; index 4 is out of range');
    expectFailure(t(), modify({ kind: 'meter', meter: 'mtr', index: 2, config: null }), 'OUT_OF_RANGE', 'meter "mtr" has 2 cells; index 2 is out of range');
    expectFailure(t(), modify({ kind: 'meter', meter: 'mtr', index: 0.5, config: null }), 'OUT_OF_RANGE', 'index 0.5 is out of range');
  });
});

describe('PERMISSION_DENIED', () => {
  it('changing a const default action', () => {
    expectFailure(t(), modify({ kind: 'defaultAction', stage: 'stats', action: call('account') }), 'PERMISSION_DENIED', 'the default action of stage "stats" is const');
    expectFailure(t(), del({ kind: 'defaultAction', stage: 'stats', action: call('account') }), 'PERMISSION_DENIED', 'is const');
  });

  it('writing entries of a stage with const entries', () => {
    const msg = 'stage "consts" has const entries; the control plane cannot change its entries';
    expectFailure(t(), insert({ kind: 'tableEntry', stage: 'consts', matches: [exact('0x1')], action: call('nop') }), 'PERMISSION_DENIED', msg);
    expectFailure(t(), del({ kind: 'tableEntry', stage: 'consts', matches: [exact('0xc8')], action: call('nop') }), 'PERMISSION_DENIED', msg);
    expectFailure(t(), modify({ kind: 'tableEntry', stage: 'consts', matches: [exact('0xc8')], action: call('nop') }), 'PERMISSION_DENIED', msg);
    expect(t().read({ kind: 'tableEntry', stage: 'consts' })).toEqual([
      { kind: 'tableEntry', program: 'cp', stage: 'consts', matches: [exact('0xc8')], action: call('nop') },
    ]);
  });
});

// ---------------------------------------------------------------- batches

/** A batch with one update of every kind that succeeds on a fresh target (after `setup`). */
const goodUpdates: readonly Update[] = [
  insert(route('0xa000000', 8, '0x2')),
  modify(exactEntry('0xa010203', '0x22')),
  del(tern(ternary('0x1', '0xffff'), ANY, '0x5', 3)),
  modify({ kind: 'defaultAction', stage: 'lpm_t', action: call('drop') }),
  modify({ kind: 'register', register: 'reg', index: 1, value: '0xbeef' }),
  modify({ kind: 'counter', counter: 'ctr', index: 1, packets: 100n, bytes: 6400n }),
  modify({ kind: 'meter', meter: 'mtr', index: 1, config: { cir: 0, cburst: 0, pir: 0, pburst: 0 } }),
  modify({ kind: 'directCounter', stage: 'exact_t', matches: [exact('0xa010203')], packets: 7n, bytes: 700n }),
  modify({ kind: 'directMeter', stage: 'dmeter_t', matches: [exact('0xa010203')], config: { cir: 0, cburst: 0, pir: 0, pburst: 0 } }),
  insert({ kind: 'multicastGroup', id: 2, replicas: [{ port: 3, instance: 1 }] }),
  modify({ kind: 'multicastGroup', id: 1, replicas: [{ port: 9, instance: 9 }] }),
  del({ kind: 'cloneSession', id: 5, port: 0 }),
  insert({ kind: 'cloneSession', id: 6, port: 8 }),
];

function setup(): ReferenceTarget {
  const tt = t();
  expectOk(
    tt.write([
      insert(exactEntry('0xa010203', '0x11')),
      insert({ kind: 'tableEntry', stage: 'dmeter_t', matches: [exact('0xa010203')], action: call('colour') }),
      insert(tern(ternary('0x1', '0xffff'), ANY, '0x5', 3)),
      insert({ kind: 'multicastGroup', id: 1, replicas: [{ port: 1, instance: 1 }] }),
      insert({ kind: 'cloneSession', id: 5, port: 4 }),
      modify({ kind: 'register', register: 'reg', index: 1, value: '0x1234' }),
    ]),
  );
  return tt;
}

const bad = insert(route('0xa000001', 24, '0x1')); // bits below the prefix
const flow = probePacket({ a: 0x0a010203, b: 1, idx: 1 });

describe('batches', () => {
  it('report one result per update, in order', () => {
    const tt = t();
    const w = tt.write([insert(exactEntry('0x1', '0x1')), insert(exactEntry('0x1', '0x2')), modify(exactEntry('0x9', '0x1')), insert(exactEntry('0x2', '0x2')), insert(exactEntry('0x3', '0x3'))]);
    expect(w.ok).toBe(false);
    expect(w.results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ALREADY_EXISTS', 'NOT_FOUND', 'ok', 'RESOURCE_EXHAUSTED']);
  });

  it('continueOnError (the default) applies the good updates and skips the bad ones', () => {
    const tt = setup();
    const w = tt.write([...goodUpdates.slice(0, 5), bad, ...goodUpdates.slice(5)], { atomicity: 'continueOnError' });
    expect(w.ok).toBe(false);
    expect(w.results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([...goodUpdates.slice(0, 5).map(() => 'ok'), 'INVALID_ARGUMENT', ...goodUpdates.slice(5).map(() => 'ok')]);
    expect(tt.read({ kind: 'register', register: 'reg', index: 1 })).toEqual([{ kind: 'register', program: 'cp', register: 'reg', index: 1, value: '0xbeef' }]);
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' })).toHaveLength(1);
    expect(tt.read({ kind: 'cloneSession' })).toEqual([{ kind: 'cloneSession', id: 6, port: 8 }]);
    expect(tt.process({ port: 0, data: flow }).outputs[0]!.port).toBe(2);
  });

  for (const atomicity of ['rollbackOnError', 'dataplaneAtomic'] as const) {
    it(`${atomicity} with one bad update changes nothing and reports ABORTED for the others`, () => {
      const tt = setup();
      const out0 = tt.process({ port: 0, data: flow });
      const before = readAll(tt);
      const w = tt.write([...goodUpdates.slice(0, 6), bad, ...goodUpdates.slice(6)], { atomicity });
      expect(w.ok).toBe(false);
      const codes = w.results.map((r) => (r.ok ? 'ok' : r.code));
      expect(codes).toEqual([...goodUpdates.slice(0, 6).map(() => 'ABORTED'), 'INVALID_ARGUMENT', ...goodUpdates.slice(6).map(() => 'ABORTED')]);
      for (const r of w.results) if (!r.ok && r.code === 'ABORTED') expect(r.message).toBe('not applied: the batch was rolled back because update 6 failed');
      expect(readAll(tt)).toEqual(before);
      // the data plane sees no trace either: same outputs (the counters it bumps were read above)
      const out1 = tt.process({ port: 0, data: flow });
      expect(out1).toEqual(out0);
      // and the same batch without the bad update applies whole
      expectOk(tt.write(goodUpdates, { atomicity }));
      expect(readAll(tt)).not.toEqual(before);
      expect(tt.process({ port: 0, data: flow }).outputs.map((o) => o.port)).toEqual([2]);
    });
  }

  it('a failed all-or-nothing batch restores a deleted entry in its place (installation order and tie-breaks kept)', () => {
    const tt = t();
    expectOk(tt.write([insert(tern(ANY, ANY, '0x1', 5)), insert(tern(ternary('0x2', '0xff'), ANY, '0x2', 5)), insert(tern(ternary('0x0', '0xf0'), ANY, '0x3', 5))]));
    const before = tt.read({ kind: 'tableEntry', stage: 'tern_t' });
    const w = tt.write([del(tern(ANY, ANY, '0x1', 5)), bad], { atomicity: 'rollbackOnError' });
    expect(w.ok).toBe(false);
    expect(tt.read({ kind: 'tableEntry', stage: 'tern_t' })).toEqual(before);
    // equal priorities: the first installed (the catch-all) still wins
    expect(written(tt.process({ port: 0, data: probePacket({ b: 2 }) }).outputs[0]!.data).tag).toBe(1);
  });

  it('a packet sees a batch wholly applied or not at all', () => {
    const tt = setup();
    expectOk(tt.write([insert(route('0xa000000', 8, '0x1'))]));
    const before = tt.process({ port: 0, data: flow }).outputs[0]!;
    expect([before.port, written(before.data).mark]).toEqual([1, 0x11]);
    // one batch moves the route and re-marks the flow
    expectOk(tt.write([modify(route('0xa000000', 8, '0x2')), modify(exactEntry('0xa010203', '0x22'))], { atomicity: 'dataplaneAtomic' }));
    const after = tt.process({ port: 0, data: flow }).outputs[0]!;
    expect([after.port, written(after.data).mark]).toEqual([2, 0x22]);
    // a failed batch with the same two changes back is invisible
    const w = tt.write([modify(route('0xa000000', 8, '0x1')), bad, modify(exactEntry('0xa010203', '0x11'))], { atomicity: 'dataplaneAtomic' });
    expect(w.ok).toBe(false);
    const again = tt.process({ port: 0, data: flow }).outputs[0]!;
    expect([again.port, written(again.data).mark]).toEqual([2, 0x22]);
  });
});

// ---------------------------------------------------------------- reads

describe('reads', () => {
  it('wildcard and narrowed reads of every kind', () => {
    const tt = setup();
    expectOk(tt.write([insert(route('0xa000000', 8, '0x1')), modify({ kind: 'meter', meter: 'mtr', index: 0, config: { cir: 1, cburst: 2, pir: 3, pburst: 4 } })]));

    const entries = tt.read({ kind: 'tableEntry' });
    expect(entries.map((e) => (e.kind === 'tableEntry' ? e.stage : ''))).toEqual(['exact_t', 'lpm_t', 'tern_t', 'dmeter_t', 'consts']);
    expect(tt.read({ kind: 'tableEntry', program: 'cp' })).toEqual(entries);
    expect(tt.read({ kind: 'tableEntry', program: 'other' })).toEqual([]);
    expect(tt.read({ kind: 'tableEntry', stage: 'tern_t' })).toEqual([
      { kind: 'tableEntry', program: 'cp', stage: 'tern_t', matches: [ternary('0x1', '0xffff'), ANY], action: call('tag', { v: '0x5' }), priority: 3 },
    ]);

    const defaults = tt.read({ kind: 'defaultAction' });
    expect(defaults.map((e) => (e.kind === 'defaultAction' ? e.stage : ''))).toEqual(['exact_t', 'lpm_t', 'tern_t', 'opt_t', 'dmeter_t', 'stats', 'consts']);
    expect(tt.read({ kind: 'defaultAction', stage: 'lpm_t' })).toEqual([{ kind: 'defaultAction', program: 'cp', stage: 'lpm_t', action: call('route', { port: '0x7' }) }]);
    expect(tt.read({ kind: 'defaultAction', stage: 'exact_t' })).toEqual([{ kind: 'defaultAction', program: 'cp', stage: 'exact_t', action: call('NoAction') }]);

    expect(tt.read({ kind: 'register' }).map((e) => (e.kind === 'register' ? e.value : ''))).toEqual(['0x0', '0x1234', '0x0', '0x0']);
    expect(tt.read({ kind: 'register', register: 'reg', index: 1 })).toEqual([{ kind: 'register', program: 'cp', register: 'reg', index: 1, value: '0x1234' }]);
    expect(tt.read({ kind: 'register', register: 'nope' })).toEqual([]);

    expect(tt.read({ kind: 'counter' })).toHaveLength(4);
    expect(tt.read({ kind: 'counter', counter: 'ctr', index: 3 })).toEqual([{ kind: 'counter', program: 'cp', counter: 'ctr', index: 3, packets: 0n, bytes: 0n }]);

    expect(tt.read({ kind: 'directCounter' })).toEqual([{ kind: 'directCounter', program: 'cp', stage: 'exact_t', matches: [exact('0xa010203')], packets: 0n, bytes: 0n }]);
    expect(tt.read({ kind: 'directCounter', stage: 'lpm_t' })).toEqual([]);

    expect(tt.read({ kind: 'meter' })).toEqual([
      { kind: 'meter', program: 'cp', meter: 'mtr', index: 0, config: { cir: 1, cburst: 2, pir: 3, pburst: 4 } },
      { kind: 'meter', program: 'cp', meter: 'mtr', index: 1, config: null },
    ]);
    expect(tt.read({ kind: 'meter', meter: 'mtr', index: 1 })).toHaveLength(1);

    expect(tt.read({ kind: 'directMeter' })).toEqual([{ kind: 'directMeter', program: 'cp', stage: 'dmeter_t', matches: [exact('0xa010203')], config: null }]);
    expect(tt.read({ kind: 'directMeter', stage: 'dmeter_t' })).toHaveLength(1);

    expectOk(tt.write([insert({ kind: 'multicastGroup', id: 7, replicas: [] }), insert({ kind: 'cloneSession', id: 2, port: 2 })]));
    expect(tt.read({ kind: 'multicastGroup' }).map((e) => (e.kind === 'multicastGroup' ? e.id : 0))).toEqual([1, 7]);
    expect(tt.read({ kind: 'multicastGroup', id: 7 })).toEqual([{ kind: 'multicastGroup', id: 7, replicas: [] }]);
    expect(tt.read({ kind: 'cloneSession' }).map((e) => (e.kind === 'cloneSession' ? e.id : 0))).toEqual([2, 5]);
    expect(tt.read({ kind: 'cloneSession', id: 5 })).toEqual([{ kind: 'cloneSession', id: 5, port: 4 }]);
  });

  it('a read of an unknown kind is refused', () => {
    expect(() => t().read({ kind: 'tableEntries' } as unknown as ReadRequest)).toThrow(/INVALID_ARGUMENT: unknown entity kind "tableEntries" to read/);
  });

  it('reads come back in installation order; a modify keeps an entry in its place', () => {
    const tt = t();
    expectOk(tt.write([insert(route('0xb000000', 8, '0x1')), insert(route('0xa000000', 8, '0x1')), insert(route('0xc000000', 8, '0x1'))]));
    expectOk(tt.write([modify(route('0xb000000', 8, '0x5'))]));
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' }).map((e) => (e.kind === 'tableEntry' ? [e.matches[0], e.action.args['port']] : []))).toEqual([
      [lpm('0xb000000', 8), '0x5'],
      [lpm('0xa000000', 8), '0x1'],
      [lpm('0xc000000', 8), '0x1'],
    ]);
  });

  it('counters and direct counters count packets and bytes', () => {
    const tt = setup();
    const small = probePacket({ a: 0x0a010203, idx: 2 });
    const big = packet(ethernet({ type: 0x88b5 }), payload(Uint8Array.from([0x0a, 0x01, 0x02, 0x03, 0, 0, 0, 0, 2, ...new Uint8Array(91)])));
    tt.process({ port: 0, data: small });
    tt.process({ port: 0, data: small });
    tt.process({ port: 0, data: big });
    tt.process({ port: 0, data: probePacket({ a: 0x0a0a0a0a, idx: 3 }) }); // misses exact_t
    expect(tt.read({ kind: 'counter', counter: 'ctr', index: 2 })).toEqual([
      { kind: 'counter', program: 'cp', counter: 'ctr', index: 2, packets: 3n, bytes: BigInt(2 * small.length + big.length) },
    ]);
    expect(tt.read({ kind: 'counter', counter: 'ctr', index: 3 })).toMatchObject([{ packets: 1n, bytes: 31n }]);
    expect(tt.read({ kind: 'directCounter', stage: 'exact_t' })).toMatchObject([{ matches: [exact('0xa010203')], packets: 3n, bytes: BigInt(2 * small.length + big.length) }]);
    // the control plane can reset them
    expectOk(tt.write([modify({ kind: 'counter', counter: 'ctr', index: 2, packets: 0n, bytes: 0n }), modify({ kind: 'directCounter', stage: 'exact_t', matches: [exact('0xa010203')], packets: 0n, bytes: 0n })]));
    tt.process({ port: 0, data: small });
    expect(tt.read({ kind: 'counter', counter: 'ctr', index: 2 })).toMatchObject([{ packets: 1n, bytes: BigInt(small.length) }]);
    expect(tt.read({ kind: 'directCounter' })).toMatchObject([{ packets: 1n, bytes: BigInt(small.length) }]);
    expect(tt.resources().tables.find((x) => x.stage === 'exact_t')).toMatchObject({ hits: 4, misses: 1 });
  });

  it('register writes are visible to the NF, and a modify replaces the cell', () => {
    const tt = t();
    expectOk(tt.write([modify({ kind: 'register', register: 'reg', index: 3, value: '0xabcd' })]));
    expect(written(tt.process({ port: 0, data: probePacket({ idx: 3 }) }).outputs[0]!.data).reg).toBe(0xabcd);
    expect(written(tt.process({ port: 0, data: probePacket({ idx: 2 }) }).outputs[0]!.data).reg).toBe(0);
    expectOk(tt.write([modify({ kind: 'register', register: 'reg', index: 3, value: '0x7' })]));
    expect(written(tt.process({ port: 0, data: probePacket({ idx: 3 }) }).outputs[0]!.data).reg).toBe(7);
    // out-of-range index in the data plane reads 0
    expect(written(tt.process({ port: 0, data: probePacket({ idx: 200 }) }).outputs[0]!.data).reg).toBe(0);
  });

  it('a default action set by the control plane runs on a miss; deleting it restores the program\'s', () => {
    const tt = t();
    expect(tt.process({ port: 0, data: flow }).outputs.map((o) => o.port)).toEqual([7]);
    expectOk(tt.write([modify({ kind: 'defaultAction', stage: 'lpm_t', action: call('route', { port: '0x3' }) })]));
    expect(tt.process({ port: 0, data: flow }).outputs.map((o) => o.port)).toEqual([3]);
    expectOk(tt.write([del({ kind: 'defaultAction', stage: 'lpm_t', action: call('drop') })]));
    expect(tt.read({ kind: 'defaultAction', stage: 'lpm_t' })).toMatchObject([{ action: call('route', { port: '0x7' }) }]);
    expect(tt.process({ port: 0, data: flow }).outputs.map((o) => o.port)).toEqual([7]);
  });
});

// ---------------------------------------------------------------- entries files

describe('entries files', () => {
  const json = JSON.stringify({
    tables: {
      lpm_t: [{ key: { 'p.a': '10.0.0.0/8' }, action: 'route', args: { port: 2 } }],
      exact_t: [{ key: { 'p.a': '10.1.2.3' }, action: 'mark', args: { v: '0x33' } }],
      tern_t: [{ key: { 'p.b': { value: 1, mask: '0xffff' }, 'p.c': [0, 10] }, action: 'tag', args: { v: 9 }, priority: 4 }],
      opt_t: [{ key: { 'p.d': '_' }, action: 'opt', args: { v: 1 }, priority: 1 }],
    },
    defaults: { lpm_t: { action: 'route', args: { port: 5 } } },
    registers: [{ register: 'reg', index: 1, value: 4660 }],
    counters: [{ counter: 'ctr', index: 0, packets: 5, bytes: 500 }],
    meters: [{ meter: 'mtr', index: 0, cir: 10, cburst: 10, pir: 20, pburst: 20 }],
    multicastGroups: [{ id: 1, ports: [1, 2] }, { id: 2, replicas: [{ port: 3, instance: 7 }] }],
    cloneSessions: [{ id: 5, port: 9 }],
  });

  const yaml = `
tables:
  lpm_t:
    - key: { p.a: 10.0.0.0/8 }
      action: route
      args: { port: 2 }
  exact_t:
    - key: { p.a: 10.1.2.3 }
      action: mark
      args: { v: "0x33" }
  tern_t:
    - key:
        p.b: { value: 1, mask: "0xffff" }
        p.c: [0, 10]
      action: tag
      args: { v: 9 }
      priority: 4
  opt_t:
    - key: { p.d: _ }
      action: opt
      args: { v: 1 }
      priority: 1
defaults:
  lpm_t: { action: route, args: { port: 5 } }
registers:
  - { register: reg, index: 1, value: 4660 }
counters:
  - { counter: ctr, index: 0, packets: 5, bytes: 500 }
meters:
  - { meter: mtr, index: 0, cir: 10, cburst: 10, pir: 20, pburst: 20 }
multicastGroups:
  - { id: 1, ports: [1, 2] }
  - { id: 2, replicas: [{ port: 3, instance: 7 }] }
cloneSessions:
  - { id: 5, port: 9 }
`;

  function expectInstalled(tt: ReferenceTarget): void {
    // stage by stage in program order, each stage's entries in installation order
    expect(tt.read({ kind: 'tableEntry' })).toEqual([
      { kind: 'tableEntry', program: 'cp', stage: 'exact_t', matches: [exact('0xa010203')], action: call('mark', { v: '0x33' }) },
      { kind: 'tableEntry', program: 'cp', stage: 'lpm_t', matches: [lpm('0xa000000', 8)], action: call('route', { port: '0x2' }) },
      { kind: 'tableEntry', program: 'cp', stage: 'tern_t', matches: [ternary('0x1', '0xffff'), range('0x0', '0xa')], action: call('tag', { v: '0x9' }), priority: 4 },
      { kind: 'tableEntry', program: 'cp', stage: 'opt_t', matches: [ANY], action: call('opt', { v: '0x1' }), priority: 1 },
      { kind: 'tableEntry', program: 'cp', stage: 'consts', matches: [exact('0xc8')], action: call('nop') },
    ]);
    expect(tt.read({ kind: 'defaultAction', stage: 'lpm_t' })).toMatchObject([{ action: call('route', { port: '0x5' }) }]);
    expect(tt.read({ kind: 'register', index: 1 })).toMatchObject([{ value: '0x1234' }]);
    expect(tt.read({ kind: 'counter', index: 0 })).toMatchObject([{ packets: 5n, bytes: 500n }]);
    expect(tt.read({ kind: 'meter', index: 0 })).toMatchObject([{ config: { cir: 10, cburst: 10, pir: 20, pburst: 20 } }]);
    expect(tt.read({ kind: 'multicastGroup' })).toEqual([
      { kind: 'multicastGroup', id: 1, replicas: [{ port: 1, instance: 0 }, { port: 2, instance: 0 }] },
      { kind: 'multicastGroup', id: 2, replicas: [{ port: 3, instance: 7 }] },
    ]);
    expect(tt.read({ kind: 'cloneSession' })).toEqual([{ kind: 'cloneSession', id: 5, port: 9 }]);
    const out = tt.process({ port: 0, data: probePacket({ a: 0x0a010203, b: 1, c: 3, idx: 1 }) }).outputs[0]!;
    expect(out.port).toBe(2);
    expect(written(out.data)).toMatchObject({ mark: 0x33, tag: 9, opt: 1, reg: 0x1234 });
  }

  it('installs a JSON file', () => {
    const tt = t();
    expect(installEntries(tt, pipeline, json, 'entries.json')).toBe(11);
    expectInstalled(tt);
  });

  it('installs the same entries from YAML', () => {
    const tt = t();
    expect(installEntries(tt, pipeline, yaml, 'entries.yaml')).toBe(11);
    expectInstalled(tt);
  });

  function installError(text: string, source: string, tt = t()): MpvisorError {
    try {
      installEntries(tt, pipeline, text, source);
    } catch (e) {
      expect(e).toBeInstanceOf(MpvisorError);
      return e as MpvisorError;
    }
    return expect.fail('installEntries accepted a bad file');
  }

  it('a value the format cannot convert is reported with the file and its JSON path, and nothing is installed', () => {
    const file = JSON.parse(json) as { tables: { lpm_t: { key: Record<string, unknown> }[] } };
    file.tables.lpm_t.push({ key: { 'p.a': '10.0.0.300/8' }, action: 'route', args: { port: 1 } } as never);
    const tt = t();
    const err = installError(JSON.stringify(file), 'routes.json', tt);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.path).toBe('$.tables.lpm_t[1]');
    expect(err.issues[0]!.message).toMatch(/^routes\.json: key p\.a: value: "10\.0\.0\.300" is not an IPv4 address/);
    expect(err.message).toContain('(at $.tables.lpm_t[1])');
    expect(readAll(tt)).toEqual(readAll(t()));
  });

  it('an entry the target refuses is reported with its code, file and JSON path, and nothing is installed', () => {
    const file = JSON.parse(json) as { tables: { tern_t: unknown[] } };
    file.tables.tern_t.push({ key: { 'p.b': { value: '0xff', mask: '0xf' }, 'p.c': '_' }, action: 'tag', args: { v: 1 }, priority: 2 });
    const tt = t();
    const err = installError(JSON.stringify(file), 'acl.json', tt);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.issues).toEqual([{ path: '$.tables.tern_t[1]', message: expect.stringMatching(/^acl\.json: INVALID_ARGUMENT: stage "tern_t": key p\.b: value 0xff has bits outside mask 0xf/) }]);
    expect(readAll(tt)).toEqual(readAll(t()));
  });

  it('a file with a duplicate entry names both codes right: ALREADY_EXISTS at the second', () => {
    const file = { tables: { lpm_t: [{ key: { 'p.a': '10.0.0.0/8' }, action: 'route', args: { port: 2 } }, { key: { 'p.a': '10.0.0.0/8' }, action: 'drop' }] } };
    const tt = t();
    const err = installError(JSON.stringify(file), 'dup.json', tt);
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(err.issues.map((i) => i.path)).toEqual(['$.tables.lpm_t[1]']);
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' })).toEqual([]);
  });

  it('a bad YAML entry is reported the same way, and a register index out of range is OUT_OF_RANGE', () => {
    const tt = t();
    const err = installError(`${yaml}\n`.replace('{ register: reg, index: 1, value: 4660 }', '{ register: reg, index: 9, value: 4660 }'), 'state.yaml', tt);
    expect(err.code).toBe('OUT_OF_RANGE');
    expect(err.issues).toEqual([{ path: '$.registers[0]', message: expect.stringMatching(/^state\.yaml: OUT_OF_RANGE: register "reg" has 4 cells; index 9 is out of range/) }]);
    expect(readAll(tt)).toEqual(readAll(t()));
  });

  it('unknown stages, keys and malformed documents name the file and path', () => {
    const e1 = installError(JSON.stringify({ tables: { nope: [] } }), 'a.json');
    expect(e1.issues).toEqual([{ path: '$.tables.nope', message: 'a.json: program "cp" has no stage "nope"' }]);
    const e2 = installError(JSON.stringify({ tables: { lpm_t: [{ key: { 'p.b': 1 }, action: 'drop' }] } }), 'b.json');
    expect(e2.issues).toEqual([{ path: '$.tables.lpm_t[0]', message: 'b.json: "p.b" is not a key of stage "lpm_t"' }]);
    const e3 = installError('{ "tables": ', 'c.json');
    expect(e3.message).toMatch(/c\.json: not valid JSON/);
    const e4 = installError('tables: [1, 2', 'd.yml');
    expect(e4.message).toMatch(/d\.yml: not valid YAML/);
    const e5 = installError(JSON.stringify({ tables: { lpm_t: [{ key: { 'p.a': '10.0.0.0/8' } }] } }), 'e.json');
    expect(e5.issues).toEqual([{ path: '$.tables.lpm_t[0].action', message: expect.stringMatching(/^e\.json: missing property "action"/) }]);
    const e6 = installError(JSON.stringify({ multicastGroups: [{ id: 'x' }] }), 'f.json');
    expect(e6.issues).toEqual([{ path: '$.multicastGroups[0].id', message: 'f.json: expected number, got "x"' }]);
  });

  it('a misspelt property is an error, not silently ignored', () => {
    const tt = t();
    const e1 = installError(JSON.stringify({ table: { lpm_t: [] } }), 'typo.json', tt);
    expect(e1.issues).toEqual([{ path: '$.table', message: expect.stringMatching(/^typo\.json: unknown property "table" \(expected tables, defaults, /) }]);
    const e2 = installError(
      JSON.stringify({ tables: { lpm_t: [{ key: { 'p.a': '10.0.0.0/8' }, action: 'route', arg: { port: 1 } }] }, multicastGroups: [{ id: 1, replicas: [{ port: 1, instance: 1, rid: 2 }] }] }),
      'typo.json',
      tt,
    );
    expect(e2.issues.map((i) => i.path)).toEqual(['$.tables.lpm_t[0].arg', '$.multicastGroups[0].replicas[0].rid']);
    const e3 = installError(JSON.stringify({ programs: { cp: { tables: {}, cloneSessions: [] } } }), 'typo.json', tt);
    expect(e3.issues.map((i) => i.path)).toEqual(['$.programs.cp.cloneSessions']);
    expect(readAll(tt)).toEqual(readAll(t()));
  });

  it('per-program sections name the program', () => {
    const tt = t();
    expect(installEntries(tt, pipeline, JSON.stringify({ programs: { cp: { tables: { lpm_t: [{ key: { 'p.a': '10.0.0.0/8' }, action: 'drop' }] } } } }), 'p.json')).toBe(1);
    expect(tt.read({ kind: 'tableEntry', stage: 'lpm_t' })).toMatchObject([{ program: 'cp', action: call('drop') }]);
    const err = installError(JSON.stringify({ programs: { other: { tables: { lpm_t: [] } } } }), 'p.json');
    expect(err.issues).toEqual([{ path: '$.programs.other.tables.lpm_t', message: 'p.json: stage "lpm_t": unknown program "other"; the pipeline runs cp' }]);
  });
});

function t(): ReferenceTarget {
  return target();
}
