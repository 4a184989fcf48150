/**
 * Adversarial isolation suite against the running hypervisor (issue
 * acceptance: "at least 30 distinct attempts by one tenant's NF or control
 * plane to read, write or send outside its vPDP — each refused at check time
 * or contained at run time, with a test each; zero escapes").
 *
 * Two tenants share one hypervisor on the reference slot engine. Tenant A
 * (vPDP 1: ports 1-3, multicast group 10, clone session 20, small quotas) is
 * the attacker; tenant B (vPDP 2: ports 4-6, group 11, session 21) runs a
 * forwarding NF with entries, a multicast group, a clone session and
 * register cells set by its control plane. Port 7, group 12 and session 22
 * belong to nobody.
 *
 * Every attempt ends by checking that B is unaffected: B's entries, default
 * actions, registers, counters, groups, sessions and hypervisor counters are
 * exactly as before the attempt, and B's packets give the same outputs as
 * before it. Attempts are grouped by where they are stopped:
 *
 *   (a) hv.install — refused at check time, with the MpvisorError code and an
 *       issue naming the program, stage, action and reference; nothing is
 *       installed (same epoch, same steps, A's packets as before);
 *   (b) the tenant control plane — refused (PERMISSION_DENIED and friends),
 *       nothing applied;
 *   (c) run time — the packet is contained (egress filter, A's own groups and
 *       sessions only, bounded state indices, per-vPDP state and queues, the
 *       classifier's port check).
 *
 * Check-time isolation of single programs is covered exhaustively in
 * packages/runtime/test/hypervisor-isolation.test.ts; here every attempt goes
 * through the Hypervisor's public API end to end.
 */
import { describe, expect, it } from 'vitest';
import { bit, header, MpvisorError, policy, program, std, type ActionCall, type AnyProgramBuilder, type Program } from '@mpvisor/mpapi';
import {
  ethernet,
  Hypervisor,
  ipv4,
  packet,
  payload,
  udp,
  vlan,
  vxlan,
  writeDescriptionHeader,
  type ClassifierRule,
  type Entity,
  type HypervisorResult,
  type PacketIn,
  type ReadRequest,
  type TenantControl,
  type Update,
  type VirtualResult,
  type WriteResult,
} from '@mpvisor/runtime';
import { ReferenceSlotEngine } from '@mpvisor/targets';

// ---------------------------------------------------------------- the two tenants

const A = 1;
const B = 2;
const A_PORTS = [1, 2, 3];
const B_PORTS = [4, 5, 6];
const A_GROUP = 10;
const B_GROUP = 11;
const A_SESSION = 20;
const B_SESSION = 21;
/** Owned by nobody. */
const NOBODY_PORT = 7;
const NOBODY_GROUP = 12;
const NOBODY_SESSION = 22;
const A_QUOTAS = { stages: 6, tableEntries: 256, registerCells: 16, counterCells: 16, meterCells: 4 };

/** A test header after Ethernet (EtherType 0x88b5): the values an attacker steers with. */
const probe = header('probe_t', { port: bit(16), group: bit(16), session: bit(32), idx: bit(32), val: bit(32) });

/** An NF skeleton parsing Ethernet and, for EtherType 0x88b5, the probe. */
const base = (name: string) =>
  program(name)
    .headers({ ethernet: std.ethernet, probe })
    .parser((p) =>
      p
        .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_probe']], 'accept'))
        .state('parse_probe', (s) => s.extract('probe').accept()),
    );

/** B: forwarding by destination MAC, flooding to its group, reading a register cell into every packet it forwards. */
const bFwd = base('b-fwd')
  .register('reg', { width: 32, size: 4 })
  .counter('ctr', { size: 4 })
  .stage('dmac', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port).count('ctr', 0))
      .action('flood', (a) => a.multicast(B_GROUP).count('ctr', 1))
      .action('drop', (a) => a.drop())
      .defaultAction('drop')
      .size(16),
  )
  .stage('state', (t) => t.action('read', (a) => a.registerRead('probe.val', 'reg', 1)).defaultAction('read', {}, { const: true }).size(1));

/** A's everyday NF: the actions its control plane could abuse with arguments. */
const aFwd = base('a-fwd')
  .register('reg', { width: 32, size: 4 })
  .counter('ctr', { size: 4 })
  .meter('mtr', { size: 2, unit: 'packets' })
  .stage('dmac', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port))
      .action('flood', { group: bit(16) }, (a, p) => a.multicast(p.group))
      .action('mirror', { session: bit(32), port: bit(9) }, (a, p) => a.clone(p.session).setEgress(p.port))
      .action('steer', { port: bit(9) }, (a, p) => a.assign('standard.egressPort', p.port))
      .action('drop', (a) => a.drop())
      .defaultAction('drop')
      .size(16),
  );

// ---------------------------------------------------------------- packets and control-plane helpers

const A1 = '02:00:00:00:0a:01';
const B1 = '02:00:00:00:0b:01';
const B2 = '02:00:00:00:0b:02';
const UNKNOWN = '02:00:00:00:0e:ee';

interface ProbeFields {
  port?: number;
  group?: number;
  session?: number;
  idx?: number;
  val?: number;
}

function probeBytes(f: ProbeFields = {}): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint16(0, f.port ?? 0);
  v.setUint16(2, f.group ?? 0);
  v.setUint32(4, f.session ?? 0);
  v.setUint32(8, f.idx ?? 0);
  v.setUint32(12, f.val ?? 0);
  return out;
}

/** An Ethernet frame to `dst` carrying a probe (EtherType 0x88b5). */
const frame = (dst: string, f: ProbeFields = {}): Uint8Array => packet(ethernet({ dst, src: '02:00:00:00:00:99' }), payload(probeBytes(f)));

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const mac = (m: string): string => hex(BigInt(`0x${m.replaceAll(':', '')}`));
const call = (action: string, args: Record<string, number> = {}): ActionCall => ({
  kind: 'actionCall',
  action,
  args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, hex(v)])),
});
const entry = (dst: string, action: string, args: Record<string, number> = {}, program?: string): Entity => ({
  kind: 'tableEntry',
  ...(program !== undefined ? { program } : {}),
  stage: 'dmac',
  matches: [{ kind: 'exact', value: mac(dst) }],
  action: call(action, args),
});
const insert = (entity: Entity): Update => ({ type: 'insert', entity });
const modify = (entity: Entity): Update => ({ type: 'modify', entity });
const del = (entity: Entity): Update => ({ type: 'delete', entity });

function expectAllOk(w: WriteResult): void {
  expect(w.results.filter((r) => !r.ok)).toEqual([]);
  expect(w.ok).toBe(true);
}

/** One update of the batch was refused with `code`, its message matching. */
function expectRefused(w: WriteResult, index: number, message: RegExp, code = 'PERMISSION_DENIED'): void {
  expect(w.ok).toBe(false);
  expect(w.results[index]).toEqual({ ok: false, code, message: expect.stringMatching(message) as unknown as string });
}

/** `f` throws an MpvisorError with this code and a message matching. */
function expectThrows(f: () => unknown, code: string, message: RegExp): MpvisorError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a refusal').toBeInstanceOf(MpvisorError);
  const err = caught as MpvisorError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  return err;
}

/** Everything a tenant's control plane can see of its vPDP, plus the hypervisor's counters of it (a deep copy). */
function snapshot(hv: Hypervisor, ctl: TenantControl) {
  const kinds: ReadRequest['kind'][] = ['tableEntry', 'defaultAction', 'register', 'counter', 'meter', 'directCounter', 'directMeter', 'multicastGroup', 'cloneSession'];
  return structuredClone({ ...Object.fromEntries(kinds.map((kind) => [kind, ctl.read({ kind } as ReadRequest)])), hv: hv.counters(ctl.vpdp) });
}

/** What a packet did, comparable across runs. */
const view = (r: HypervisorResult) => ({ vpdp: r.vpdp, outputs: r.outputs.map((o) => ({ port: o.port, instance: o.instance, data: [...o.data] })), dropped: r.dropped ?? null });

/** The packet ran in `vpdp` (was classified to it and arrived on one of its ports). */
function ran(r: HypervisorResult, vpdp = A): VirtualResult {
  if (r.vpdp === undefined) throw new Error(`expected vPDP ${vpdp} to run the packet, it was unclassified: ${r.reason}`);
  expect(r.vpdp).toBe(vpdp);
  return r;
}

/** B's traffic: a unicast, a flood to B's group, a miss. */
const B_PACKETS: PacketIn[] = [
  { port: 4, data: frame(B1) },
  { port: 5, data: frame(B2) },
  { port: 6, data: frame(UNKNOWN) },
];
const A_PACKETS: PacketIn[] = [
  { port: 1, data: frame(A1) },
  { port: 2, data: frame(UNKNOWN) },
];

interface World {
  readonly hv: Hypervisor;
  readonly a: TenantControl;
  readonly b: TenantControl;
  readonly aBaseline: ReturnType<typeof view>[];
  readonly bBaseline: ReturnType<typeof view>[];
  readonly bBefore: ReturnType<typeof snapshot>;
}

const portRules: ClassifierRule[] = [...A_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: A })), ...B_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: B }))];

/** A fresh hypervisor with A and B installed and configured; `classifier` rules go before the port rules. */
function world(classifier: readonly ClassifierRule[] = []): World {
  const hv = new Hypervisor({ executor: new ReferenceSlotEngine(), image: { slots: 4 } });
  hv.createVpdp({ id: A, name: 'tenant-a', ports: A_PORTS, multicastGroups: [A_GROUP], cloneSessions: [A_SESSION], quotas: A_QUOTAS });
  hv.createVpdp({ id: B, name: 'tenant-b', ports: B_PORTS, multicastGroups: [B_GROUP], cloneSessions: [B_SESSION] });
  hv.setClassifier([...classifier, ...portRules]);
  hv.install(A, aFwd);
  hv.install(B, bFwd);
  const a = hv.tenant(A);
  const b = hv.tenant(B);
  expectAllOk(
    a.write([
      insert(entry(A1, 'forward', { port: 2 })),
      insert({ kind: 'multicastGroup', id: A_GROUP, replicas: [{ port: 2, instance: 1 }, { port: 3, instance: 2 }] }),
      insert({ kind: 'cloneSession', id: A_SESSION, port: 3 }),
    ]),
  );
  expectAllOk(
    b.write([
      insert(entry(B1, 'forward', { port: 5 })),
      insert(entry(B2, 'flood')),
      insert({ kind: 'multicastGroup', id: B_GROUP, replicas: [{ port: 4, instance: 1 }, { port: 6, instance: 2 }] }),
      insert({ kind: 'cloneSession', id: B_SESSION, port: 6 }),
      ...[0, 1, 2, 3].map((index): Update => modify({ kind: 'register', register: 'reg', index, value: hex(0xb0b00000 + index) })),
    ]),
  );
  const bBaseline = B_PACKETS.map((p) => view(hv.process(p)));
  const aBaseline = A_PACKETS.map((p) => view(hv.process(p)));
  // the baseline is what it should be: B forwards, floods and drops; B's packets carry its register cell 1
  expect(bBaseline.map((r) => [r.outputs.map((o) => o.port), r.dropped])).toEqual([
    [[5], null],
    [[4, 6], null],
    [[], 'dropped'],
  ]);
  expect(bBaseline[0]!.outputs[0]!.data.slice(-4)).toEqual([0xb0, 0xb0, 0x00, 0x01]);
  expect(aBaseline.map((r) => [r.outputs.map((o) => o.port), r.dropped])).toEqual([
    [[2], null],
    [[], 'dropped'],
  ]);
  return { hv, a, b, aBaseline, bBaseline, bBefore: snapshot(hv, b) };
}

/** B is exactly as before the attempt, and its packets behave as before. */
function expectBUnaffected(w: World): void {
  expect(snapshot(w.hv, w.b)).toEqual(w.bBefore);
  expect(w.b.drainDigests()).toEqual([]);
  expect(B_PACKETS.map((p) => view(w.hv.process(p)))).toEqual(w.bBaseline);
}

/** No output of the result left through a port outside A. */
function expectNothingOutsideA(r: HypervisorResult): void {
  for (const o of r.outputs) expect(A_PORTS).toContain(o.port);
}

// ---------------------------------------------------------------- (a) refused at install

/** An issue the refusal must carry: which program, stage, action and reference, and a message. */
interface ExpectedIssue {
  readonly program: string;
  readonly stage?: string;
  readonly action?: string;
  readonly reference?: string;
  readonly path?: string;
  readonly message: RegExp;
}

/**
 * Install `source` on A and expect the refusal: the error's code, an issue
 * naming what is expected, and nothing installed — the same epoch (no swap
 * happened), the same steps and state, A's packets as before, B unaffected.
 */
function expectInstallRefused(w: World, source: unknown, code: 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'INVALID_ARGUMENT', ...issues: ExpectedIssue[]): void {
  const epoch = w.hv.epoch;
  const steps = epoch.vpdps.get(A)!.steps;
  const aBefore = snapshot(w.hv, w.a);
  const err = expectThrows(() => w.hv.install(A, source), code, /./);
  for (const { message, ...where } of issues) {
    expect(err.issues).toContainEqual(expect.objectContaining({ ...where, message: expect.stringMatching(message) as unknown as string }));
  }
  expect(w.hv.epoch).toBe(epoch);
  expect(w.hv.epoch.vpdps.get(A)!.steps).toBe(steps);
  expect(steps.map((s) => s.generic.name)).toEqual(['a-fwd']);
  expect(snapshot(w.hv, w.a)).toEqual(aBefore);
  expect(A_PACKETS.map((p) => view(w.hv.process(p)))).toEqual(w.aBaseline);
  expectBUnaffected(w);
}

describe('(a) refused at install: a tenant NF that reaches outside its vPDP is never installed', () => {
  it('a1. a metadata field named like the vPDP-id control field (hv_vpdp)', () => {
    const w = world();
    const nf = base('fake-vpdp')
      .metadata({ hv_vpdp: bit(16) })
      .stage('out', (t) => t.action('tag', (a) => a.assign('meta.hv_vpdp', B).setEgress(2)).defaultAction('tag').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'fake-vpdp', reference: 'hv_vpdp', path: '$.metadata[0].name', message: /tenant-a.*metadata field "hv_vpdp" uses the hypervisor's reserved prefix "hv_"/ });
  });

  it('a2. a register named like the next-stage control field (hv_next_stage), to steer the slots', () => {
    const w = world();
    const nf = base('fake-next')
      .register('hv_next_stage', { width: 16, size: 1 })
      .stage('out', (t) => t.action('jump', (a) => a.registerWrite('hv_next_stage', 0, 0).setEgress(2)).defaultAction('jump').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'fake-next', reference: 'hv_next_stage', path: '$.registers[0].name', message: /register "hv_next_stage" uses the hypervisor's reserved prefix/ });
  });

  it('a3. a header instance, a stage and an action named with the reserved prefix (hv_valid, hv_stage, hv_action)', () => {
    const w = world();
    const nf = program('fake-ids')
      .headers({ ethernet: std.ethernet, hv_valid: std.vlan })
      .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
      .stage('hv_stage', (t) => t.action('hv_action', (a) => a.setEgress(2)).defaultAction('hv_action').size(1));
    expectInstallRefused(
      w,
      nf,
      'PERMISSION_DENIED',
      { program: 'fake-ids', reference: 'hv_valid', path: '$.headers[1].name', message: /header "hv_valid" uses the hypervisor's reserved prefix/ },
      { program: 'fake-ids', reference: 'hv_stage', path: '$.stages[0].name', message: /stage "hv_stage" uses/ },
      { program: 'fake-ids', reference: 'hv_action', path: '$.stages[0].actions[0].name', message: /action "hv_action" uses/ },
    );
  });

  it("a4. a constant egress to B's port", () => {
    const w = world();
    const nf = base('to-b').stage('out', (t) => t.action('leak', (a) => a.setEgress(4)).defaultAction('leak').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'to-b', stage: 'out', action: 'leak', reference: 'port 4', path: '$.stages[0].actions[0].body[0]', message: /tenant-a.*sends to port 4, which is not one of its ports \(1, 2, 3\)/ });
  });

  it("a5. a constant egress to a port of nobody, written as assign('standard.egressPort', 7)", () => {
    const w = world();
    const nf = base('to-nobody').stage('out', (t) => t.action('leak', (a) => a.assign('standard.egressPort', NOBODY_PORT)).defaultAction('leak').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'to-nobody', stage: 'out', action: 'leak', reference: 'port 7', message: /sends to port 7,/ });
  });

  it("a6. a default action whose argument is B's port", () => {
    const w = world();
    const nf = base('default-to-b').stage('dmac', (t) =>
      t.key({ 'ethernet.dstAddr': 'exact' }).action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('forward', { port: 5 }).size(16),
    );
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'default-to-b', stage: 'dmac', action: 'forward', reference: 'port 5', message: /sends to port 5 \(its default action\)/ });
  });

  it("a7. a const entry whose argument is B's port", () => {
    const w = world();
    const nf = base('entry-to-b').stage('dmac', (t) =>
      t
        .key({ 'ethernet.dstAddr': 'exact' })
        .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port))
        .entries({ key: { 'ethernet.dstAddr': A1 }, action: 'forward', args: { port: 2 } }, { key: { 'ethernet.dstAddr': B1 }, action: 'forward', args: { port: 6 } })
        .size(16),
    );
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'entry-to-b', stage: 'dmac', action: 'forward', reference: 'port 6', message: /sends to port 6 \(const entry 1\)/ });
  });

  it("a8. a mux on a packet field with B's port in one arm (some packets would go to B)", () => {
    const w = world();
    const nf = base('mux-to-b').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.get('probe.idx').eq(0x5ec7e7).select(a.const(4, 9), 2))).defaultAction('fwd').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'mux-to-b', stage: 'out', action: 'fwd', reference: 'port 4', message: /sends to port 4,/ });
  });

  it("a9. a hash into egressPort whose range is one value: B's port (base 4, max 1)", () => {
    const w = world();
    const nf = base('hash-to-b').stage('out', (t) => t.action('fwd', (a) => a.hash('standard.egressPort', 'crc16', [a.get('ethernet.srcAddr')], { base: 4, max: 1 })).defaultAction('fwd').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'hash-to-b', stage: 'out', action: 'fwd', reference: 'port 4', message: /sends to port 4,/ });
  });

  it("a10. a multicast to B's group", () => {
    const w = world();
    const nf = base('mc-b').stage('out', (t) => t.action('flood', (a) => a.multicast(B_GROUP)).defaultAction('flood').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'mc-b', stage: 'out', action: 'flood', reference: 'multicast group 11', message: /multicasts to group 11, which is not one of its groups/ });
  });

  it("a11. a multicast to nobody's group, written as assign('standard.mcastGroup', 12)", () => {
    const w = world();
    const nf = base('mc-nobody').stage('out', (t) => t.action('flood', (a) => a.assign('standard.mcastGroup', NOBODY_GROUP)).defaultAction('flood').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'mc-nobody', stage: 'out', action: 'flood', reference: 'multicast group 12', message: /multicasts to group 12,/ });
  });

  it("a12. a clone to B's session", () => {
    const w = world();
    const nf = base('clone-b').stage('out', (t) => t.action('mirror', (a) => a.clone(B_SESSION).setEgress(2)).defaultAction('mirror').size(1));
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'clone-b', stage: 'out', action: 'mirror', reference: 'clone session 21', message: /clones to session 21, which is not one of its clone sessions/ });
  });

  it("a13. an egress clone to nobody's session, by a default-action argument", () => {
    const w = world();
    const nf = base('clone-nobody').stage('out', (t) =>
      t
        .action('mirror', { session: bit(32) }, (a, p) => a.setEgress(2).clone(p.session, 'egress'))
        .defaultAction('mirror', { session: NOBODY_SESSION })
        .size(1),
    );
    expectInstallRefused(w, nf, 'PERMISSION_DENIED', { program: 'clone-nobody', stage: 'out', action: 'mirror', reference: 'clone session 22', message: /clones to session 22 \(its default action\)/ });
  });

  /** n one-entry stages, each forwarding to A's port 2. */
  const stages = (name: string, n: number, size = 1) => {
    let b: AnyProgramBuilder = base(name);
    for (let i = 0; i < n; i++) b = b.stage(`s${i}`, (t) => t.action('fwd', (a) => a.setEgress(2)).size(size));
    return b;
  };

  it('a14. more stages than the quota (7 > 6)', () => {
    const w = world();
    expectInstallRefused(w, stages('deep', 7), 'RESOURCE_EXHAUSTED', { program: 'deep', reference: 'quota stages', message: /tenant-a.*needs 7 stages, its quota is 6/ });
  });

  it('a15. a table larger than the entry quota (257 > 256)', () => {
    const w = world();
    expectInstallRefused(w, stages('wide', 1, 257), 'RESOURCE_EXHAUSTED', { program: 'wide', reference: 'quota tableEntries', message: /needs 257 tableEntries, its quota is 256/ });
  });

  it('a16. register cells over the quota, split across two registers (16 + 1 > 16)', () => {
    const w = world();
    const nf = base('regs')
      .register('r1', { width: 32, size: 16 })
      .register('r2', { width: 32, size: 1 })
      .stage('out', (t) => t.action('fwd', (a) => a.registerWrite('r1', 0, 1).registerWrite('r2', 0, 1).setEgress(2)).size(1));
    expectInstallRefused(w, nf, 'RESOURCE_EXHAUSTED', { program: 'regs', reference: 'quota registerCells', message: /needs 17 registerCells, its quota is 16/ });
  });

  it('a17. counter cells over the quota through a direct counter (one per entry: 17 > 16)', () => {
    const w = world();
    const nf = base('direct').stage('dmac', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('fwd', (a) => a.setEgress(2)).directCounter().size(17));
    expectInstallRefused(w, nf, 'RESOURCE_EXHAUSTED', { program: 'direct', reference: 'quota counterCells', message: /needs 17 counterCells, its quota is 16/ });
  });

  it('a18. meter cells over the quota (5 > 4)', () => {
    const w = world();
    const nf = base('meters')
      .metadata({ colour: bit(8) })
      .meter('rate', { size: 5 })
      .stage('out', (t) => t.action('fwd', (a) => a.meterExecute('rate', 0, 'meta.colour').setEgress(2)).size(1));
    expectInstallRefused(w, nf, 'RESOURCE_EXHAUSTED', { program: 'meters', reference: 'quota meterCells', message: /needs 5 meterCells, its quota is 4/ });
  });

  it('a19. a policy whose programs each fit the entry quota but together do not (200 + 100 > 256)', () => {
    const w = world();
    const chain = policy('split').chain(stages('half-1', 1, 200), stages('half-2', 1, 100));
    expectInstallRefused(w, chain, 'RESOURCE_EXHAUSTED', { program: 'half-1 + half-2', reference: 'quota tableEntries', message: /needs 300 tableEntries, its quota is 256/ });
  });

  it("a20. a policy chaining a compliant NF and one that sends to B: neither is installed", () => {
    const w = world();
    const ok = base('honest').stage('out', (t) => t.action('fwd', (a) => a.setEgress(3)).size(1));
    const bad = base('smuggler').stage('out', (t) => t.action('fwd', (a) => a.setEgress(6)).size(1));
    expectInstallRefused(w, policy('mixed').chain(ok, bad), 'PERMISSION_DENIED', { program: 'smuggler', stage: 'out', action: 'fwd', reference: 'port 6', message: /sends to port 6,/ });
  });

  it("a21. more user metadata than the shared image's area (600 > 512 bits)", () => {
    const w = world();
    const nf = base('hog')
      .metadata({ big: bit(600) })
      .stage('out', (t) => t.action('fwd', (a) => a.assign('meta.big', 1).setEgress(2)).size(1));
    expectInstallRefused(w, nf, 'RESOURCE_EXHAUSTED', { program: 'hog', message: /^does not fit the image: needs 600 user metadata bits, the image has 512$/ });
  });

  it('a22. a forged NF (a { toIR } that skips validation) hiding an over-quota table behind a negative-size one', () => {
    // ESCAPE (reported): loadPipeline trusts whatever toIR() returns and never decodes/validates it,
    // and the quota sums stage sizes as given: 300 + (-200) = 100 <= 256 passes.
    const w = world();
    const honest = base('forged')
      .stage('big', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port)).size(300))
      .toIR();
    const padded: Program = { ...honest, stages: [...honest.stages, { ...honest.stages[0]!, name: 'pad', size: -200 }] };
    const forged = { toIR: (): Program => padded };
    const epoch = w.hv.epoch;
    let caught: unknown;
    try {
      w.hv.install(A, forged);
    } catch (e) {
      caught = e;
    }
    // the impact, if it was installed: the tenant fills its table past its quota
    const held =
      caught === undefined
        ? w.a.write(Array.from({ length: 300 }, (_, i) => insert({ kind: 'tableEntry', stage: 'big', matches: [{ kind: 'exact', value: hex(0x100 + i) }], action: call('forward', { port: 2 }) }))).results.filter((r) => r.ok)
            .length
        : 0;
    expect(caught, `ESCAPE: the forged NF was installed; tenant A now holds ${held} table entries against its quota of ${A_QUOTAS.tableEntries}`).toBeInstanceOf(MpvisorError);
    expect(['INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED']).toContain((caught as MpvisorError).code);
    expect(w.hv.epoch).toBe(epoch);
    expectBUnaffected(w);
  });
});

// ---------------------------------------------------------------- (b) refused by the tenant control plane

/** Run a control-plane attempt of A that must change nothing at all: A's and B's state are as before, and so is their traffic. */
function expectNoChange(w: World, attempt: () => void): void {
  const aBefore = snapshot(w.hv, w.a);
  attempt();
  expect(snapshot(w.hv, w.a)).toEqual(aBefore);
  expect(A_PACKETS.map((p) => view(w.hv.process(p)))).toEqual(w.aBaseline);
  expectBUnaffected(w);
}

describe('(b) refused by the tenant control plane: A writes and reads only its own vPDP', () => {
  it("b1. an entry whose argument forwards to B's port", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([insert(entry(B1, 'forward', { port: 4 }))]), 0, /tenant-a.*dmac\/forward sends to port 4, outside the vPDP/));
  });

  it("b2. a default action whose argument forwards to nobody's port", () => {
    const w = world();
    expectNoChange(w, () =>
      expectRefused(w.a.write([modify({ kind: 'defaultAction', stage: 'dmac', action: call('forward', { port: NOBODY_PORT }) })]), 0, /dmac\/forward sends to port 7, outside the vPDP/),
    );
    expect(w.a.read({ kind: 'defaultAction', stage: 'dmac' })).toEqual([{ kind: 'defaultAction', program: 'a-fwd', stage: 'dmac', action: { kind: 'actionCall', action: 'drop', args: {} } }]);
  });

  it("b3. an entry whose argument multicasts to B's group", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([insert(entry(B2, 'flood', { group: B_GROUP }))]), 0, /dmac\/flood multicasts to group 11, not the vPDP's/));
  });

  it("b4. modifying A's own entry to clone into B's session", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([modify(entry(A1, 'mirror', { session: B_SESSION, port: 2 }))]), 0, /dmac\/mirror clones to session 21, not the vPDP's/));
  });

  it("b5. inserting an entry into B's program by name", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([insert(entry(UNKNOWN, 'forward', { port: 5 }, 'b-fwd'))]), 0, /tenant-a.*it runs no program "b-fwd"/));
  });

  it("b6. deleting and modifying B's entries by B's program name", () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write([del(entry(B1, 'forward', { port: 5 }, 'b-fwd')), modify(entry(B2, 'forward', { port: 1 }, 'b-fwd'))]);
      expectRefused(r, 0, /runs no program "b-fwd"/);
      expectRefused(r, 1, /runs no program "b-fwd"/);
    });
  });

  it("b7. deleting 'B's entry' without naming a program: only A's own table is searched", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([del(entry(B1, 'forward', { port: 5 }))]), 0, /stage "dmac" has no entry with these matches to delete/, 'NOT_FOUND'));
  });

  it("b8. setting the default action of a stage only B has ('state')", () => {
    const w = world();
    expectNoChange(w, () =>
      expectRefused(w.a.write([modify({ kind: 'defaultAction', stage: 'state', action: call('read') })]), 0, /program "a-fwd" has no stage "state"/, 'INVALID_ARGUMENT'),
    );
  });

  it("b9. overwriting B's register cells and resetting B's counters by program name", () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write([
        modify({ kind: 'register', program: 'b-fwd', register: 'reg', index: 1, value: '0xdead' }),
        modify({ kind: 'counter', program: 'b-fwd', counter: 'ctr', index: 0, packets: 0n, bytes: 0n }),
      ]);
      expectRefused(r, 0, /runs no program "b-fwd"/);
      expectRefused(r, 1, /runs no program "b-fwd"/);
    });
  });

  it("b10. a register write one cell past A's register, where a neighbour's state would lie in flat memory", () => {
    const w = world();
    expectNoChange(w, () =>
      expectRefused(w.a.write([modify({ kind: 'register', register: 'reg', index: 4, value: '0xdead' })]), 0, /register "reg" has 4 cells; index 4 is out of range/, 'OUT_OF_RANGE'),
    );
  });

  it("b11. reading B's table entries, default actions and direct counters by B's program name", () => {
    const w = world();
    expectNoChange(w, () => {
      for (const kind of ['tableEntry', 'defaultAction', 'directCounter', 'directMeter'] as const) {
        expectThrows(() => w.a.read({ kind, program: 'b-fwd' }), 'PERMISSION_DENIED', /tenant-a" runs no program "b-fwd"/);
      }
    });
  });

  it("b12. reading B's registers, counters and meters by B's program name", () => {
    const w = world();
    expectNoChange(w, () => {
      expectThrows(() => w.a.read({ kind: 'register', program: 'b-fwd', register: 'reg' }), 'PERMISSION_DENIED', /runs no program "b-fwd"/);
      expectThrows(() => w.a.read({ kind: 'counter', program: 'b-fwd', counter: 'ctr', index: 0 }), 'PERMISSION_DENIED', /runs no program "b-fwd"/);
      expectThrows(() => w.a.read({ kind: 'meter', program: 'b-fwd' }), 'PERMISSION_DENIED', /runs no program "b-fwd"/);
    });
  });

  it("b13. reading B's multicast group and clone session (and nobody's) by id", () => {
    const w = world();
    expectNoChange(w, () => {
      expectThrows(() => w.a.read({ kind: 'multicastGroup', id: B_GROUP }), 'PERMISSION_DENIED', /tenant-a" has no multicast group 11/);
      expectThrows(() => w.a.read({ kind: 'multicastGroup', id: NOBODY_GROUP }), 'PERMISSION_DENIED', /has no multicast group 12/);
      expectThrows(() => w.a.read({ kind: 'cloneSession', id: B_SESSION }), 'PERMISSION_DENIED', /tenant-a" has no clone session 21/);
      expectThrows(() => w.a.read({ kind: 'cloneSession', id: NOBODY_SESSION }), 'PERMISSION_DENIED', /has no clone session 22/);
    });
  });

  it('b14. wildcard reads of every kind return A’s own objects only, never B’s', () => {
    const w = world();
    expectNoChange(w, () => {
      const all = (['tableEntry', 'defaultAction', 'register', 'counter', 'meter', 'multicastGroup', 'cloneSession'] as const).flatMap((kind) => w.a.read({ kind }));
      const text = JSON.stringify(all, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(text).not.toMatch(/b-fwd|0xb0b0|"state"/);
      expect(all.filter((e) => 'program' in e).every((e) => (e as { program: string }).program === 'a-fwd')).toBe(true);
      expect(w.a.read({ kind: 'multicastGroup' }).map((g) => (g as { id: number }).id)).toEqual([A_GROUP]);
      expect(w.a.read({ kind: 'cloneSession' }).map((s) => (s as { id: number }).id)).toEqual([A_SESSION]);
      expect(w.a.read({ kind: 'tableEntry' })).toHaveLength(1);
    });
  });

  it("b15. creating (and modifying) B's multicast group", () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write([insert({ kind: 'multicastGroup', id: B_GROUP, replicas: [{ port: 2, instance: 1 }] }), modify({ kind: 'multicastGroup', id: B_GROUP, replicas: [] })]);
      expectRefused(r, 0, /multicast group 11 is not the vPDP's/);
      expectRefused(r, 1, /multicast group 11 is not the vPDP's/);
    });
  });

  it("b16. creating a multicast group nobody owns, with A's ports only", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([insert({ kind: 'multicastGroup', id: NOBODY_GROUP, replicas: [{ port: 1, instance: 1 }] })]), 0, /multicast group 12 is not the vPDP's/));
  });

  it("b17. adding a replica on B's port to A's own group", () => {
    const w = world();
    expectNoChange(w, () =>
      expectRefused(
        w.a.write([modify({ kind: 'multicastGroup', id: A_GROUP, replicas: [{ port: 2, instance: 1 }, { port: 5, instance: 2 }] })]),
        0,
        /multicast group 10 replicates to port 5, outside the vPDP/,
      ),
    );
  });

  it("b18. deleting B's multicast group and B's clone session", () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write([del({ kind: 'multicastGroup', id: B_GROUP, replicas: [] }), del({ kind: 'cloneSession', id: B_SESSION, port: 0 })]);
      expectRefused(r, 0, /multicast group 11 is not the vPDP's/);
      expectRefused(r, 1, /clone session 21 is not the vPDP's/);
    });
  });

  it("b19. pointing A's own clone session at B's port", () => {
    const w = world();
    expectNoChange(w, () => expectRefused(w.a.write([modify({ kind: 'cloneSession', id: A_SESSION, port: 4 })]), 0, /clone session 20 sends to port 4, outside the vPDP/));
  });

  it("b20. creating B's clone session, or one nobody owns, towards A's own port", () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write([insert({ kind: 'cloneSession', id: B_SESSION, port: 1 }), insert({ kind: 'cloneSession', id: NOBODY_SESSION, port: 1 })]);
      expectRefused(r, 0, /clone session 21 is not the vPDP's/);
      expectRefused(r, 1, /clone session 22 is not the vPDP's/);
    });
  });

  it('b21. an all-or-nothing batch (rollbackOnError) hiding a denied update behind legal ones applies nothing', () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write(
        [
          insert(entry('02:00:00:00:0a:02', 'forward', { port: 3 })),
          modify({ kind: 'register', register: 'reg', index: 0, value: '0x1' }),
          insert({ kind: 'multicastGroup', id: B_GROUP, replicas: [{ port: 1, instance: 1 }] }),
        ],
        'rollbackOnError',
      );
      expect(r.results.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['ABORTED', 'ABORTED', 'PERMISSION_DENIED']);
      expectRefused(r, 0, /rolled back because update 2 failed/, 'ABORTED');
    });
  });

  it('b22. a dataplaneAtomic batch whose denied update comes first applies nothing either', () => {
    const w = world();
    expectNoChange(w, () => {
      const r = w.a.write([insert(entry(B1, 'forward', { port: 6 })), modify({ kind: 'cloneSession', id: A_SESSION, port: 2 }), modify(entry(A1, 'forward', { port: 3 }))], 'dataplaneAtomic');
      expect(r.results.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['PERMISSION_DENIED', 'ABORTED', 'ABORTED']);
    });
  });

  it('b23. with continueOnError the legal update goes through and the denied one is refused in place', () => {
    const w = world();
    const r = w.a.write([insert(entry(B1, 'forward', { port: 4 })), insert(entry('02:00:00:00:0a:02', 'forward', { port: 3 })), insert(entry(B2, 'flood', { group: B_GROUP }))]);
    expect(r.results.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['PERMISSION_DENIED', 'ok', 'PERMISSION_DENIED']);
    expect(w.a.read({ kind: 'tableEntry' }).map((e) => (e.kind === 'tableEntry' ? e.matches : undefined))).toEqual([[{ kind: 'exact', value: mac(A1) }], [{ kind: 'exact', value: mac('02:00:00:00:0a:02') }]]);
    expectBUnaffected(w);
  });

  it("b24. a stale control-plane handle after A's vPDP is deleted and its id reused for tenant C", () => {
    // ESCAPE (reported): TenantControl keeps only the vPDP id and looks the record up on every call,
    // so a handle that outlives its vPDP reaches whichever vPDP gets the id next.
    const w = world();
    const stale = w.a;
    w.hv.deleteVpdp(A);
    expectThrows(() => stale.read({ kind: 'tableEntry' }), 'NOT_FOUND', /no vPDP 1/);
    w.hv.createVpdp({ id: A, name: 'tenant-c', ports: [7, 8], multicastGroups: [12], cloneSessions: [22] });
    w.hv.install(A, aFwd);
    const c = w.hv.tenant(A);
    expectAllOk(c.write([insert(entry('02:00:00:00:0c:01', 'forward', { port: 8 }))]));
    const cBefore = snapshot(w.hv, c);
    const seen: unknown[] = [];
    try {
      seen.push(...stale.read({ kind: 'tableEntry' }));
    } catch {
      // refusing by throwing is right
    }
    try {
      stale.write([modify(entry('02:00:00:00:0c:01', 'forward', { port: 7 })), insert({ kind: 'multicastGroup', id: 12, replicas: [{ port: 7, instance: 1 }] })]);
    } catch {
      // refusing by throwing is right
    }
    expect.soft(seen, "ESCAPE: tenant A's old handle read tenant C's entries").toEqual([]);
    expect.soft(snapshot(w.hv, c), "ESCAPE: tenant A's old handle wrote into tenant C's vPDP").toEqual(cBefore);
    expectBUnaffected(w);
  });
});

// ---------------------------------------------------------------- (c) contained at run time

/** Install an attack NF or policy on A (it passes the checks: what it does depends on packets or state). */
function installA(w: World, source: unknown) {
  return w.hv.install(A, source);
}

/** Send a packet A's NF runs; nothing it outputs leaves A. */
function sendA(w: World, port: number, data: Uint8Array): VirtualResult {
  const r = ran(w.hv.process({ port, data }));
  expectNothingOutsideA(r);
  return r;
}

/** The packet's only output was stopped at the egress filter: dropped as outsideVpdp, counted as contained. */
function expectContained(w: World, port: number, data: Uint8Array, contained = 1): VirtualResult {
  const before = w.hv.counters(A).contained;
  const r = sendA(w, port, data);
  expect(r.outputs).toEqual([]);
  expect(r.dropped).toBe('outsideVpdp');
  expect(r.slots.contained).toBe(contained);
  expect(w.hv.counters(A).contained).toBe(before + contained);
  return r;
}

const ports = (r: HypervisorResult): number[] => r.outputs.map((o) => o.port);

/** Forward to the port a probe field names. */
const fieldSteer = base('field-steer').stage('out', (t) => t.action('go', (a) => a.setEgress(a.get('probe.port').cast(9))).defaultAction('go').size(1));

describe('(c) contained at run time: what only packets or state decide never leaves the vPDP', () => {
  it("c1. an egress port taken from a packet field that names B's port", () => {
    const w = world();
    installA(w, fieldSteer);
    expect(ports(sendA(w, 1, frame(A1, { port: 2 })))).toEqual([2]);
    expectContained(w, 1, frame(A1, { port: 4 }));
    expectBUnaffected(w);
  });

  it('c2. a sweep of every port the field can name: only A’s ports ever emerge', () => {
    const w = world();
    installA(w, fieldSteer);
    const emerged = new Set<number>();
    let contained = 0;
    for (let port = 0; port < 512; port++) {
      const r = sendA(w, 1, frame(A1, { port }));
      for (const o of r.outputs) emerged.add(o.port);
      contained += r.slots.contained;
      if (port === 511) expect(r.dropped).toBe('dropped');
    }
    expect([...emerged].sort()).toEqual(A_PORTS);
    expect(contained).toBe(512 - A_PORTS.length - 1);
    expect(w.hv.counters(A).contained).toBe(contained);
    expectBUnaffected(w);
  });

  it("c3. an egress port read from a register the control plane set to B's port", () => {
    const w = world();
    installA(
      w,
      base('reg-steer')
        .metadata({ next: bit(32) })
        .register('next_hop', { width: 32, size: 1 })
        .stage('out', (t) => t.action('go', (a) => a.registerRead('meta.next', 'next_hop', 0).setEgress(a.get('meta.next').cast(9))).defaultAction('go').size(1)),
    );
    // a register value is data, not a port: the write is accepted …
    expectAllOk(w.a.write([modify({ kind: 'register', register: 'next_hop', index: 0, value: '0x5' })]));
    // … and the packet it steers is contained
    expectContained(w, 1, frame(A1));
    expectBUnaffected(w);
  });

  it("c4. an entry's port argument plus a packet field: legal when written, B's port when run", () => {
    const w = world();
    installA(
      w,
      base('offset-steer').stage('dmac', (t) =>
        t
          .key({ 'ethernet.dstAddr': 'exact' })
          .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port.add(a.get('probe.port').cast(9))))
          .defaultAction('forward', { port: 1 })
          .size(4),
      ),
    );
    expectAllOk(w.a.write([insert(entry(A1, 'forward', { port: 1 }))]));
    expect(ports(sendA(w, 1, frame(A1, { port: 1 })))).toEqual([2]);
    expectContained(w, 1, frame(A1, { port: 3 }));
    expectBUnaffected(w);
  });

  it("c5. an entry whose action assigns standard.egressPort from its argument, with B's port", () => {
    const w = world();
    const r = w.a.write([insert(entry(B1, 'steer', { port: 5 }))]);
    if (r.ok) {
      // the control plane's argument check looks at setEgress/multicast/clone only (reported): the egress filter contains it
      expectContained(w, 1, frame(B1));
    } else {
      expectRefused(r, 0, /sends to port 5, outside the vPDP/);
      expect(sendA(w, 1, frame(B1)).dropped).toBe('dropped');
    }
    expectBUnaffected(w);
  });

  it("c6. an identity hash of a packet field that wraps to B's port (517 mod 512 = 5)", () => {
    const w = world();
    installA(w, base('hash-steer').stage('out', (t) => t.action('go', (a) => a.hash('standard.egressPort', 'identity', [a.get('probe.port')], { max: 512 })).defaultAction('go').size(1)));
    expect(ports(sendA(w, 1, frame(A1, { port: 512 + 3 })))).toEqual([3]);
    expectContained(w, 1, frame(A1, { port: 512 + 5 }));
    expectBUnaffected(w);
  });

  it("c7. an egress port set by the parser to B's port is refused at install, naming the parser state", () => {
    const w = world();
    const before = w.hv.epoch.vpdps.get(A)!.steps;
    const sneaky = program('parser-steer')
      .headers({ ethernet: std.ethernet })
      .parser((p) => p.state('start', (s) => s.extract('ethernet').set('standard.egressPort', 4).accept()))
      .stage('noop', (t) => t.action('nothing', (a) => a).defaultAction('nothing').size(1));
    let error: unknown;
    try {
      installA(w, sneaky);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MpvisorError);
    expect((error as MpvisorError).code).toBe('PERMISSION_DENIED');
    expect((error as MpvisorError).issues[0]).toMatchObject({ program: 'parser-steer', reference: 'port 4', path: '$.parser.states[0].ops[1]' });
    expect((error as MpvisorError).issues[0]!.message).toMatch(/parser state "start" sets standard\.egressPort to 4/);
    expect(w.hv.epoch.vpdps.get(A)!.steps).toBe(before);
    expectBUnaffected(w);
  });

  it("c8. a multicast group taken from a packet field that names B's group", () => {
    const w = world();
    installA(w, base('field-mc').stage('out', (t) => t.action('flood', (a) => a.multicast(a.get('probe.group'))).defaultAction('flood').size(1)));
    expect(ports(sendA(w, 1, frame(A1, { group: A_GROUP })))).toEqual([2, 3]);
    // A's vPDP has no group 11: B's replicas are not A's to use
    const r = sendA(w, 1, frame(A1, { group: B_GROUP }));
    expect(r.outputs).toEqual([]);
    expect(r.dropped).toBe('unknownMulticastGroup');
    expectBUnaffected(w);
  });

  it("c9. a policy step that multicasts to a group it tries to create at run time towards B's ports", () => {
    const w = world();
    const hijack = base('mc-hijack').stage('mc', (t) => t.action('flood', (a) => a.multicast(a.get('probe.group'))).defaultAction('flood').size(1));
    const report = installA(w, policy('a-chain').chain(aFwd, hijack));
    expect(report.programs.map((p) => [p.program, p.kept])).toEqual([
      ['a-fwd', true],
      ['mc-hijack', false],
    ]);
    // its control plane cannot make a group reach B: not B's group, not a new one, not A's own widened
    const r = w.a.write([
      insert({ kind: 'multicastGroup', id: B_GROUP, replicas: [{ port: 4, instance: 1 }] }),
      insert({ kind: 'multicastGroup', id: NOBODY_GROUP, replicas: [{ port: 5, instance: 1 }] }),
      modify({ kind: 'multicastGroup', id: A_GROUP, replicas: [{ port: 6, instance: 1 }] }),
    ]);
    expect(r.results.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['PERMISSION_DENIED', 'PERMISSION_DENIED', 'PERMISSION_DENIED']);
    expect(sendA(w, 1, frame(A1, { group: B_GROUP })).dropped).toBe('unknownMulticastGroup');
    expect(sendA(w, 1, frame(A1, { group: NOBODY_GROUP })).dropped).toBe('unknownMulticastGroup');
    expect(ports(sendA(w, 1, frame(A1, { group: A_GROUP })))).toEqual([2, 3]);
    expectBUnaffected(w);
  });

  it("c10. a clone session taken from a packet field that names B's session", () => {
    const w = world();
    installA(w, base('field-clone').stage('out', (t) => t.action('mirror', (a) => a.clone(a.get('probe.session')).setEgress(2)).defaultAction('mirror').size(1)));
    expect(sendA(w, 1, frame(A1, { session: A_SESSION })).outputs.map((o) => [o.port, o.instance])).toEqual([
      [3, 'ingressClone'],
      [2, 'normal'],
    ]);
    // A's vPDP has no session 21: no copy is made
    expect(sendA(w, 1, frame(A1, { session: B_SESSION })).outputs.map((o) => [o.port, o.instance])).toEqual([[2, 'normal']]);
    expectBUnaffected(w);
  });

  it("c11. an egress clone to A's own session while the packet itself goes to B's port: only the clone leaves", () => {
    const w = world();
    installA(w, base('split').stage('out', (t) => t.action('go', (a) => a.setEgress(a.get('probe.port').cast(9)).clone(A_SESSION, 'egress')).defaultAction('go').size(1)));
    const before = w.hv.counters(A).contained;
    const r = sendA(w, 1, frame(A1, { port: 6 }));
    expect(r.outputs.map((o) => [o.port, o.instance])).toEqual([[3, 'egressClone']]);
    expect(r.dropped).toBeUndefined();
    expect(r.slots.contained).toBe(1);
    expect(w.hv.counters(A).contained).toBe(before + 1);
    expectBUnaffected(w);
  });

  it("c12. a recirculation that only turns to B's port on its second pass", () => {
    const w = world();
    installA(
      w,
      base('second-pass')
        .stage('again', (t) => t.action('loop', (a) => a.recirculate().setEgress(2)).defaultAction('loop').size(1))
        .stage('out', (t) => t.action('go', (a) => a.setEgress(a.get('probe.port').cast(9))).defaultAction('go').size(1))
        .control((c) => c.if(c.get('standard.instanceType').eq(0), (c) => c.apply('again'), (c) => c.apply('out'))),
    );
    const r = expectContained(w, 1, frame(A1, { port: 5 }));
    expect(r.passes).toBe(2);
    expectBUnaffected(w);
  });

  it('c13. a recirculation loop that never ends is cut at the pass bound, on A’s account only', () => {
    const w = world();
    installA(w, base('spin').stage('again', (t) => t.action('loop', (a) => a.recirculate().setEgress(2)).defaultAction('loop').size(1)));
    const r = sendA(w, 1, frame(A1));
    expect(r.outputs).toEqual([]);
    expect(r.dropped).toBe('resubmitLimit');
    expect(r.passes).toBe(16);
    expect(w.hv.counters(A).slotPasses).toBeGreaterThanOrEqual(16);
    expectBUnaffected(w);
  });

  /** An NF with a 4-cell register named like B's, written at a packet-chosen index. */
  const indexWriter = base('idx-writer')
    .register('reg', { width: 32, size: 4 })
    .stage('out', (t) => t.action('store', (a) => a.registerWrite('reg', a.get('probe.idx'), a.get('probe.val')).setEgress(2)).defaultAction('store').size(1));

  it("c14. a register index from packet bytes past the register's end: no cell changes, A's or B's same-named one", () => {
    const w = world();
    installA(w, indexWriter);
    const cells = () => w.a.read({ kind: 'register', register: 'reg' }).map((e) => (e as { value: string }).value);
    expect(cells()).toEqual(['0x0', '0x0', '0x0', '0x0']);
    for (const idx of [4, 5, 8, 1024, 0x7fffffff, 0xffffffff]) sendA(w, 1, frame(A1, { idx, val: 0xdead }));
    expect(cells()).toEqual(['0x0', '0x0', '0x0', '0x0']);
    // in range it works: the cell is A's own
    sendA(w, 1, frame(A1, { idx: 3, val: 0xbeef }));
    expect(cells()).toEqual(['0x0', '0x0', '0x0', '0xbeef']);
    expectBUnaffected(w);
  });

  it("c15. a register read past the register's end gives 0, never a neighbour's cell", () => {
    const w = world();
    installA(w, base('idx-reader').register('reg', { width: 32, size: 4 }).stage('out', (t) => t.action('load', (a) => a.registerRead('probe.val', 'reg', a.get('probe.idx')).setEgress(2)).defaultAction('load').size(1)));
    expectAllOk(w.a.write([0, 1, 2, 3].map((index) => modify({ kind: 'register', register: 'reg', index, value: hex(0xa0a00000 + index) }))));
    const valOf = (r: VirtualResult): number => new DataView(r.outputs[0]!.data.buffer, r.outputs[0]!.data.byteOffset).getUint32(14 + 12);
    expect(valOf(sendA(w, 1, frame(A1, { idx: 1, val: 0x1234 })))).toBe(0xa0a00001);
    for (const idx of [4, 5, 6, 7, 0xffffffff]) expect(valOf(sendA(w, 1, frame(A1, { idx, val: 0x1234 })))).toBe(0);
    expectBUnaffected(w);
  });

  it('c16. a counter index from packet bytes past the counter’s end counts nothing anywhere', () => {
    const w = world();
    installA(w, base('idx-counter').counter('ctr', { size: 4 }).stage('out', (t) => t.action('tally', (a) => a.count('ctr', a.get('probe.idx')).setEgress(2)).defaultAction('tally').size(1)));
    for (const idx of [4, 5, 0xffffffff]) sendA(w, 1, frame(A1, { idx }));
    expect(w.a.read({ kind: 'counter', counter: 'ctr' }).map((e) => (e as { packets: bigint }).packets)).toEqual([0n, 0n, 0n, 0n]);
    sendA(w, 1, frame(A1, { idx: 2 }));
    expect(w.a.read({ kind: 'counter', counter: 'ctr' }).map((e) => (e as { packets: bigint }).packets)).toEqual([0n, 0n, 1n, 0n]);
    expectBUnaffected(w);
  });

  it('c17. a meter index from packet bytes past the meter’s end reaches no configured meter', () => {
    const w = world();
    installA(w, base('idx-meter').meter('mtr', { size: 2, unit: 'packets' }).stage('out', (t) => t.action('police', (a) => a.meterExecute('mtr', a.get('probe.idx'), 'probe.val').setEgress(2)).defaultAction('police').size(1)));
    // both of A's cells configured so that every packet is red
    const red = { cir: 0, cburst: 0, pir: 0, pburst: 0 };
    expectAllOk(w.a.write([0, 1].map((index) => modify({ kind: 'meter', meter: 'mtr', index, config: red }))));
    const colour = (idx: number): number => {
      const o = sendA(w, 1, frame(A1, { idx, val: 0x77 })).outputs[0]!;
      return new DataView(o.data.buffer, o.data.byteOffset).getUint32(14 + 12);
    };
    expect(colour(1)).toBe(2);
    for (const idx of [2, 3, 0xffffffff]) expect(colour(idx)).toBe(0);
    expect(w.a.read({ kind: 'meter', meter: 'mtr' }).map((e) => (e as { config: unknown }).config)).toEqual([red, red]);
    expectBUnaffected(w);
  });

  /** An NF named like B's, with B's register and counter names, writing both from packets. */
  const lookalike = base('b-fwd')
    .register('reg', { width: 32, size: 4 })
    .counter('ctr', { size: 4 })
    .stage('out', (t) => t.action('store', (a) => a.registerWrite('reg', a.get('probe.idx'), a.get('probe.val')).count('ctr', a.get('probe.idx')).setEgress(2)).defaultAction('store').size(1));

  it("c18. an NF with B's program, register and counter names shares no state with B", () => {
    const w = world();
    installA(w, lookalike);
    for (const idx of [0, 1, 2, 3]) sendA(w, 1, frame(A1, { idx, val: 0xdead0000 + idx }));
    // A reads its own cells under the name "b-fwd" …
    expect(w.a.read({ kind: 'register', program: 'b-fwd', register: 'reg' }).map((e) => (e as { value: string }).value)).toEqual(['0xdead0000', '0xdead0001', '0xdead0002', '0xdead0003']);
    expect(w.a.read({ kind: 'counter', program: 'b-fwd', counter: 'ctr' }).map((e) => (e as { packets: bigint }).packets)).toEqual([1n, 1n, 1n, 1n]);
    // … and B's cells and counters are untouched (its packets still carry 0xb0b00001)
    expectBUnaffected(w);
  });

  it("c19. reloading a changed NF under B's program name carries A's own cells, never B's", () => {
    const w = world();
    installA(w, lookalike);
    sendA(w, 1, frame(A1, { idx: 1, val: 0xa1 }));
    const changed = lookalike.derive('b-fwd').resize('out', 2);
    const report = installA(w, changed);
    expect(report.programs[0]).toMatchObject({ program: 'b-fwd', kept: false, carriedRegisters: ['reg'] });
    expect(w.a.read({ kind: 'register', register: 'reg' }).map((e) => (e as { value: string }).value)).toEqual(['0x0', '0xa1', '0x0', '0x0']);
    expectBUnaffected(w);
  });

  it("c20. digests sent by A's NF under a name B might use reach A's control plane only", () => {
    const w = world();
    installA(
      w,
      base('chatty')
        .digest('mac_learn', { srcAddr: bit(48), ingressPort: bit(9) })
        .stage('out', (t) => t.action('tell', (a) => a.digest('mac_learn', { srcAddr: a.get('ethernet.srcAddr'), ingressPort: a.get('standard.ingressPort') }).setEgress(2)).defaultAction('tell').size(1)),
    );
    for (let i = 0; i < 3; i++) sendA(w, 1, frame(A1));
    expect(w.a.drainDigests().map((d) => [d.program, d.digest, d.values['ingressPort']])).toEqual([
      ['chatty', 'mac_learn', '0x1'],
      ['chatty', 'mac_learn', '0x1'],
      ['chatty', 'mac_learn', '0x1'],
    ]);
    expectBUnaffected(w); // B's digest queue is empty
  });
});

// ---------------------------------------------------------------- (c) classification: a packet is run only by the vPDP that owns its port

const A_VID = 100;
const A_VNI = 5001;
/** A's VLAN, VXLAN and description-header rules, ahead of the port rules and not limited to A's ports. */
const taggedRules: ClassifierRule[] = [{ kind: 'descriptionHeader' }, { kind: 'vlan', vid: A_VID, vpdp: A }, { kind: 'vxlan', vni: A_VNI, vpdp: A }];

const vlanFrame = (vid: number): Uint8Array => packet(ethernet({ dst: A1, src: '02:00:00:00:00:99' }), vlan({ vid }), payload(probeBytes()));
const vxlanFrame = (vni: number): Uint8Array =>
  packet(ethernet({ dst: '02:00:00:00:0f:02', src: '02:00:00:00:0f:01' }), ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }), udp({ sport: 49152, dport: 4789 }), vxlan({ vni }), payload(frame(A1)));
const dhFrame = (vpdp: number): Uint8Array => writeDescriptionHeader(vpdp, 14, frame(A1));

/** Neither tenant runs the packet: it is unclassified, and neither's counters move. */
function expectRunByNobody(w: World, port: number, data: Uint8Array, reason: RegExp): void {
  const aBefore = w.hv.counters(A);
  const r = w.hv.process({ port, data });
  expect(r.vpdp).toBeUndefined();
  expect(r.outputs).toEqual([]);
  expect(r.dropped).toBe('unclassified');
  expect((r as { reason: string }).reason).toMatch(reason);
  expect(w.hv.counters(A)).toEqual(aBefore);
}

/**
 * A's tag rules apply on A's ports only: on B's port the frame is B's
 * traffic, classified by B's own rule, and A never sees it.
 */
function expectNotRunByA(w: World, port: number, data: Uint8Array): void {
  const aBefore = w.hv.counters(A);
  const r = w.hv.process({ port, data });
  expect(r.vpdp).toBe(B);
  for (const o of r.outputs) expect(B_PORTS).toContain(o.port);
  expect(w.hv.counters(A)).toEqual(aBefore);
  expect(w.a.drainDigests()).toEqual([]);
}

describe('(c) classification: crafted tags do not move a packet into another vPDP', () => {
  it("c21. a frame on B's port tagged with A's VLAN id is not run by A", () => {
    const w = world(taggedRules);
    // on A's own port the tag is A's: A runs it and puts the tag back
    const own = ran(w.hv.process({ port: 1, data: vlanFrame(A_VID) }));
    expect(own.outputs.map((o) => [o.port, o.data[12], o.data[13], ((o.data[14]! << 8) | o.data[15]!) & 0xfff])).toEqual([[2, 0x81, 0x00, A_VID]]);
    expectNotRunByA(w, 4, vlanFrame(A_VID));
  });

  it("c22. a VXLAN packet on B's port with A's VNI is not run by A", () => {
    const w = world(taggedRules);
    expect(ports(ran(w.hv.process({ port: 3, data: vxlanFrame(A_VNI) })))).toEqual([2]);
    expectNotRunByA(w, 5, vxlanFrame(A_VNI));
  });

  it("c23. a description header naming A on B's port is not run by A", () => {
    const w = world(taggedRules);
    expect(ports(ran(w.hv.process({ port: 1, data: dhFrame(A) })))).toEqual([2]);
    expectRunByNobody(w, 6, dhFrame(A), /port 6 is not a port of vPDP "tenant-a"/);
    expectBUnaffected(w);
  });

  it("c24. a description header naming B on A's port does not inject into B", () => {
    const w = world(taggedRules);
    expectRunByNobody(w, 1, dhFrame(B), /port 1 is not a port of vPDP "tenant-b"/);
    expectBUnaffected(w);
  });

  it('c25. a description header naming a vPDP that does not exist is run by nobody', () => {
    const w = world(taggedRules);
    expectRunByNobody(w, 2, dhFrame(999), /vPDP 999 does not exist/);
    expectBUnaffected(w);
  });

  it("c26. A's NF writing a fake description header naming B at the front of its frame: the real one put back names A", () => {
    const w = world(taggedRules);
    installA(
      w,
      base('fake-dh').stage('out', (t) =>
        // destination MAC 00:02:00:22:…: read as a DH, vPDP 2 and length 0x22
        t.action('relabel', (a) => a.assign('ethernet.dstAddr', 0x0002_0022_0000n).setEgress(2)).defaultAction('relabel').size(1),
      ),
    );
    const r = ran(w.hv.process({ port: 1, data: dhFrame(A) }));
    expect(r.outputs).toHaveLength(1);
    const out = r.outputs[0]!.data;
    expect(r.outputs[0]!.port).toBe(2);
    expect([...out.subarray(0, 2)]).toEqual([0x00, A]);
    expect([...out.subarray(4, 6)]).toEqual([0x00, B]);
    expectBUnaffected(w);
  });
});
