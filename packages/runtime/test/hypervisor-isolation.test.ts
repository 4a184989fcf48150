/**
 * Adversarial isolation suite (issue 4, acceptance 2; DESIGN §5): a tenant's
 * NF tries to send or reach outside its vPDP. Each attempt must be refused at
 * check time with exactly the expected violation(s) — code, program, stage,
 * action, reference and message — and a compliant variant of the same NF
 * must pass with no violation at all, so the checker is not over-eager.
 * Values that only exist at run time (header fields, control-plane
 * arguments) are not check-time violations: the hypervisor enforces them
 * while packets run, and the tests that say so pin that boundary.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bit, program, std, validateProgram, type AnyProgramBuilder } from '@mpvisor/mpapi';
import { checkIsolation, type IsolationViolation, type Quotas, type VpdpSpec } from '@mpvisor/runtime';

// ---- the tenant and what it owns ---------------------------------------------

const QUOTAS: Quotas = { stages: 16, tableEntries: 65_536, registerCells: 1024, counterCells: 1024, meterCells: 1024 };
const tenant: VpdpSpec = { id: 1, name: 'tenantA', ports: [1, 2, 3, 4], multicastGroups: [10, 11], cloneSessions: [20], quotas: QUOTAS };
const withQuotas = (q: Partial<Quotas>): VpdpSpec => ({ ...tenant, quotas: { ...QUOTAS, ...q } });

/** Another tenant's port, group and session: what the attacker aims at. */
const FOREIGN_PORT = 7;
const FOREIGN_GROUP = 12;
const FOREIGN_SESSION = 21;
/** Owned counterparts for the compliant variants. */
const OWN_PORT = 3;
const OWN_GROUP = 10;
const OWN_SESSION = 20;

// ---- helpers -------------------------------------------------------------------

/** An Ethernet-only NF skeleton; each attempt adds its stages. */
const nf = (name: string) =>
  program(name)
    .headers({ ethernet: std.ethernet })
    .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()));

/**
 * Check NFs as one vPDP's policy. Every NF must first be a valid program, so
 * a refusal below is the isolation checker's and not a malformed program's.
 */
function check(vpdp: VpdpSpec, ...nfs: AnyProgramBuilder[]): IsolationViolation[] {
  const irs = nfs.map((b) => b.toIR());
  for (const ir of irs) expect(validateProgram(ir), `${ir.name} is a valid program`).toEqual([]);
  return checkIsolation(irs, vpdp);
}

const body = (stage: number, action: number, primitive: number): string => `$.stages[${stage}].actions[${action}].body[${primitive}]`;

function denied(program: string, stage: string, action: string, reference: string, message: RegExp, path: string): IsolationViolation {
  return { code: 'PERMISSION_DENIED', program, stage, action, message: expect.stringMatching(message) as unknown as string, reference, path };
}
function reservedName(program: string, reference: string, message: RegExp, path: string): IsolationViolation {
  return { code: 'PERMISSION_DENIED', program, message: expect.stringMatching(message) as unknown as string, reference, path };
}
function exhausted(program: string, quota: keyof Quotas, message: RegExp): IsolationViolation {
  return { code: 'RESOURCE_EXHAUSTED', program, message: expect.stringMatching(message) as unknown as string, reference: `quota ${quota}`, path: '$' };
}

/** The refusal is exactly `expected`, and the compliant variant has no violation at all. */
function refused(attempt: IsolationViolation[], expected: IsolationViolation[], compliant: IsolationViolation[]): void {
  expect(attempt).toStrictEqual(expected);
  expect(compliant).toStrictEqual([]);
}

/** A one-stage NF whose one action runs `act`; `fwd` is its default action. */
const oneAction = (name: string, port: number) =>
  nf(name).stage('out', (t) => t.action('fwd', (a) => a.setEgress(port)).defaultAction('fwd').size(1));

// ---- ports ------------------------------------------------------------------------

describe('isolation: a tenant cannot send to a port outside its vPDP', () => {
  it('1. setEgress to a foreign port by a constant', () => {
    refused(
      check(tenant, oneAction('const-port', FOREIGN_PORT)),
      [denied('const-port', 'out', 'fwd', `port ${FOREIGN_PORT}`, /tenantA.*sends to port 7, which is not one of its ports \(1, 2, 3, 4\)/, body(0, 0, 0))],
      check(tenant, oneAction('const-port', OWN_PORT)),
    );
  });

  it('2. setEgress to a foreign port by constant arithmetic (2 + 5)', () => {
    const attempt = (add: number) => nf('arith').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.const(2, 9).add(add))).size(1));
    refused(check(tenant, attempt(5)), [denied('arith', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(1)));
  });

  it('3. setEgress to a foreign port by a cast of a wider constant (0x1007 as bit<9> is 7)', () => {
    const attempt = (v: number) => nf('cast').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.const(v, 16).cast(9))).size(1));
    refused(check(tenant, attempt(0x1007)), [denied('cast', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(0x1003)));
  });

  it('4. setEgress to a foreign port by a slice of a constant (0x0070[12:4] is 7)', () => {
    const attempt = (v: number) => nf('slice').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.const(v, 16).slice(12, 4))).size(1));
    refused(check(tenant, attempt(0x0070)), [denied('slice', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(0x0030)));
  });

  it("5. assign('standard.egressPort', foreign) instead of setEgress", () => {
    const attempt = (port: number) => nf('assign').stage('out', (t) => t.action('fwd', (a) => a.assign('ethernet.etherType', 0x88b5).assign('standard.egressPort', port)).size(1));
    refused(check(tenant, attempt(FOREIGN_PORT)), [denied('assign', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 1))], check(tenant, attempt(OWN_PORT)));
  });

  it("6. an action parameter whose default-action argument is foreign", () => {
    const attempt = (port: number) =>
      nf('default-arg').stage('out', (t) =>
        t.key({ 'ethernet.dstAddr': 'exact' }).action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('fwd', { port }).size(16),
      );
    refused(
      check(tenant, attempt(FOREIGN_PORT)),
      [denied('default-arg', 'out', 'fwd', 'port 7', /sends to port 7 \(its default action\), which is not one of its ports/, body(0, 0, 0))],
      check(tenant, attempt(OWN_PORT)),
    );
  });

  it('7. a const entry whose argument is a foreign port', () => {
    const attempt = (port: number) =>
      nf('const-entry').stage('out', (t) =>
        t
          .key({ 'ethernet.dstAddr': 'exact' })
          .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
          .action('flood', (a) => a.multicast(OWN_GROUP))
          .defaultAction('flood')
          .entries({ key: { 'ethernet.dstAddr': '02:00:00:00:00:01' }, action: 'fwd', args: { port: OWN_PORT } }, { key: { 'ethernet.dstAddr': '02:00:00:00:00:02' }, action: 'fwd', args: { port } })
          .size(16),
      );
    refused(
      check(tenant, attempt(FOREIGN_PORT)),
      [denied('const-entry', 'out', 'fwd', 'port 7', /sends to port 7 \(const entry 1\)/, body(0, 0, 0))],
      check(tenant, attempt(OWN_PORT)),
    );
  });

  /** A compliant switch whose forwarding port comes from the control plane: the parent of the derived attempts. */
  const parent = nf('l2-fwd').stage('dmac', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port))
      .action('flood', (a) => a.multicast(OWN_GROUP))
      .defaultAction('flood')
      .size(64),
  );

  it("8. a derived NF's bind() turning the port parameter into a foreign constant", () => {
    expect(check(tenant, parent)).toStrictEqual([]);
    refused(
      check(tenant, parent.derive('pinned').bind('dmac', 'forward', { port: FOREIGN_PORT })),
      [denied('pinned', 'dmac', 'forward', 'port 7', /sends to port 7, which is not one of its ports/, body(0, 0, 0))],
      check(tenant, parent.derive('pinned').bind('dmac', 'forward', { port: OWN_PORT })),
    );
  });

  it("9. a derived NF's addEntries() with a foreign port", () => {
    const attempt = (port: number) => parent.derive('extra').addEntries('dmac', { key: { 'ethernet.dstAddr': '02:00:00:00:00:09' }, action: 'forward', args: { port } });
    refused(
      check(tenant, attempt(FOREIGN_PORT)),
      [denied('extra', 'dmac', 'forward', 'port 7', /sends to port 7 \(const entry 0\)/, body(0, 0, 0))],
      check(tenant, attempt(OWN_PORT)),
    );
  });

  it("10. a derived NF's defaultAction() with a foreign port argument", () => {
    const attempt = (port: number) => parent.derive('redefault').defaultAction('dmac', 'forward', { port });
    refused(
      check(tenant, attempt(FOREIGN_PORT)),
      [denied('redefault', 'dmac', 'forward', 'port 7', /sends to port 7 \(its default action\)/, body(0, 0, 0))],
      check(tenant, attempt(OWN_PORT)),
    );
  });

  it('11. a drop (port 511, or drop()) is NOT a violation', () => {
    const drops = nf('dropper').stage('out', (t) =>
      t.action('to_drop_port', (a) => a.setEgress(511)).action('mark', (a) => a.drop()).action('via_assign', (a) => a.assign('standard.egressPort', 511)).defaultAction('mark').size(1),
    );
    expect(check(tenant, drops)).toStrictEqual([]);
  });

  it('12. a port taken from a header field or a control-plane parameter is NOT a check-time violation (enforced at run time)', () => {
    const runtime = nf('runtime-port').stage('out', (t) =>
      t
        .key({ 'ethernet.dstAddr': 'exact' })
        .action('from_header', (a) => a.setEgress(a.get('ethernet.etherType').cast(9)))
        .action('from_ingress', (a) => a.assign('standard.egressPort', a.get('standard.ingressPort')))
        .action('from_param', { port: bit(9) }, (a, p) => a.setEgress(p.port.add(a.get('ethernet.srcAddr').cast(9))))
        .action('partial_mask', (a) => a.maskedAssign('standard.egressPort', FOREIGN_PORT, 0x7))
        .defaultAction('from_header')
        .size(64),
    );
    expect(check(tenant, runtime)).toStrictEqual([]);
  });

  it('13. concatenation of constants (0b0000 ++ 0b00111 is 7)', () => {
    const attempt = (low: number) => nf('concat').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.const(0, 4).concat(a.const(low, 5)))).size(1));
    refused(check(tenant, attempt(7)), [denied('concat', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(3)));
  });

  it('14. a mux whose condition is a constant (true ? 7 : 3)', () => {
    const attempt = (port: number) => nf('mux-const').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.true.select(a.const(port, 9), OWN_PORT))).size(1));
    refused(check(tenant, attempt(FOREIGN_PORT)), [denied('mux-const', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(2)));
  });

  it('15. a mux on a header field whose arms are constants: the foreign arm is a port it may send to', () => {
    const attempt = (port: number) =>
      nf('mux-field').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.get('ethernet.etherType').eq(0x88b5).select(a.const(port, 9), OWN_PORT))).size(1));
    refused(check(tenant, attempt(FOREIGN_PORT)), [denied('mux-field', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(2)));
  });

  it('16. a constant comparison turned into bits ((3 == 4) as bit<9> is port 0)', () => {
    const attempt = (port: number) => nf('bool-bits').stage('out', (t) => t.action('fwd', (a) => a.setEgress(a.const(3, 9).eq(port).toBit(9))).size(1));
    // 3 == 4 is false: port 0, not the tenant's; 3 == 3 is true: port 1, the tenant's
    refused(check(tenant, attempt(4)), [denied('bool-bits', 'out', 'fwd', 'port 0', /sends to port 0,/, body(0, 0, 0))], check(tenant, attempt(3)));
  });

  it('17. maskedAssign of egressPort with a mask covering every bit (a full write in disguise)', () => {
    const attempt = (port: number) => nf('masked').stage('out', (t) => t.action('fwd', (a) => a.maskedAssign('standard.egressPort', port, 0x1ff)).size(1));
    refused(check(tenant, attempt(FOREIGN_PORT)), [denied('masked', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(OWN_PORT)));
  });

  it('18. a hash into egressPort whose range is a single value (base 7, max 1)', () => {
    const attempt = (base: number) =>
      nf('hash-base').stage('out', (t) => t.action('fwd', (a) => a.hash('standard.egressPort', 'crc16', [a.get('ethernet.srcAddr')], { base, max: 1 })).size(1));
    refused(check(tenant, attempt(FOREIGN_PORT)), [denied('hash-base', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(OWN_PORT)));
  });

  it('19. a hash of constants into egressPort (identity of 0x0007 is 7)', () => {
    const attempt = (v: number) =>
      nf('hash-const').stage('out', (t) => t.action('fwd', (a) => a.hash('standard.egressPort', 'identity', [a.const(v, 16)], { max: 512 })).size(1));
    refused(check(tenant, attempt(FOREIGN_PORT)), [denied('hash-const', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0))], check(tenant, attempt(OWN_PORT)));
  });
});

// ---- multicast groups ------------------------------------------------------------------

describe('isolation: a tenant cannot multicast to a group outside its vPDP', () => {
  it('20. multicast to a foreign group by a constant', () => {
    const attempt = (g: number) => nf('mc-const').stage('out', (t) => t.action('flood', (a) => a.multicast(g)).defaultAction('flood').size(1));
    refused(
      check(tenant, attempt(FOREIGN_GROUP)),
      [denied('mc-const', 'out', 'flood', 'multicast group 12', /tenantA.*multicasts to group 12, which is not one of its groups/, body(0, 0, 0))],
      check(tenant, attempt(OWN_GROUP)),
    );
  });

  it("21. assign('standard.mcastGroup', foreign)", () => {
    const attempt = (g: number) => nf('mc-assign').stage('out', (t) => t.action('flood', (a) => a.assign('standard.mcastGroup', g)).size(1));
    refused(check(tenant, attempt(FOREIGN_GROUP)), [denied('mc-assign', 'out', 'flood', 'multicast group 12', /multicasts to group 12,/, body(0, 0, 0))], check(tenant, attempt(OWN_GROUP)));
  });

  it('22. multicast to a group given by a default-action argument', () => {
    const attempt = (group: number) => nf('mc-default').stage('out', (t) => t.action('flood', { group: bit(16) }, (a, p) => a.multicast(p.group)).defaultAction('flood', { group }).size(1));
    refused(
      check(tenant, attempt(FOREIGN_GROUP)),
      [denied('mc-default', 'out', 'flood', 'multicast group 12', /multicasts to group 12 \(its default action\)/, body(0, 0, 0))],
      check(tenant, attempt(OWN_GROUP)),
    );
  });

  it('23. multicast to a group made by a checksum of constants (~0xfff3 is 12)', () => {
    const attempt = (v: number) => nf('mc-csum').stage('out', (t) => t.action('flood', (a) => a.checksumUpdate('standard.mcastGroup', [a.const(v, 16)])).size(1));
    refused(
      check(tenant, attempt(0xffff - FOREIGN_GROUP)),
      [denied('mc-csum', 'out', 'flood', 'multicast group 12', /multicasts to group 12,/, body(0, 0, 0))],
      check(tenant, attempt(0xffff - OWN_GROUP)),
    );
  });

  it('24. group 0 (no multicast) is NOT a violation', () => {
    expect(check(tenant, nf('mc-none').stage('out', (t) => t.action('unicast', (a) => a.multicast(0).setEgress(OWN_PORT)).size(1)))).toStrictEqual([]);
  });
});

// ---- clone sessions -----------------------------------------------------------------

describe('isolation: a tenant cannot clone to a session outside its vPDP', () => {
  it('25. clone (ingress) to a foreign session', () => {
    const attempt = (s: number) => nf('clone-in').stage('out', (t) => t.action('mirror', (a) => a.clone(s, 'ingress').setEgress(OWN_PORT)).size(1));
    refused(
      check(tenant, attempt(FOREIGN_SESSION)),
      [denied('clone-in', 'out', 'mirror', 'clone session 21', /tenantA.*clones to session 21, which is not one of its clone sessions/, body(0, 0, 0))],
      check(tenant, attempt(OWN_SESSION)),
    );
  });

  it('26. clone (egress) to a foreign session', () => {
    const attempt = (s: number) => nf('clone-eg').stage('out', (t) => t.action('mirror', (a) => a.setEgress(OWN_PORT).clone(s, 'egress')).size(1));
    refused(check(tenant, attempt(FOREIGN_SESSION)), [denied('clone-eg', 'out', 'mirror', 'clone session 21', /clones to session 21,/, body(0, 0, 1))], check(tenant, attempt(OWN_SESSION)));
  });

  it("27. clone to a session given by a const entry's argument", () => {
    const attempt = (session: number) =>
      nf('clone-entry').stage('out', (t) =>
        t
          .key({ 'ethernet.etherType': 'exact' })
          .action('mirror', { session: bit(32) }, (a, p) => a.clone(p.session))
          .entries({ key: { 'ethernet.etherType': 0x88b5 }, action: 'mirror', args: { session } })
          .size(4),
      );
    refused(
      check(tenant, attempt(FOREIGN_SESSION)),
      [denied('clone-entry', 'out', 'mirror', 'clone session 21', /clones to session 21 \(const entry 0\)/, body(0, 0, 0))],
      check(tenant, attempt(OWN_SESSION)),
    );
  });
});

// ---- reserved names ----------------------------------------------------------------

describe("isolation: a tenant cannot name the hypervisor's reserved fields", () => {
  /** The compliant stage every NF below ends with. */
  const out = (b: AnyProgramBuilder): AnyProgramBuilder => b.stage('out', (t) => t.action('fwd', (a) => a.setEgress(OWN_PORT)).size(1));

  it('28. a header instance named with the reserved prefix (hv_dh)', () => {
    const parse = (b: AnyProgramBuilder): AnyProgramBuilder => b.parser((p) => p.state('start', (s) => s.extract('ethernet').accept()));
    refused(
      check(tenant, out(parse(program('hdr').headers({ ethernet: std.ethernet, hv_dh: std.vlan })))),
      [reservedName('hdr', 'hv_dh', /header "hv_dh" uses the hypervisor's reserved prefix "hv_"/, '$.headers[1].name')],
      check(tenant, out(parse(program('hdr').headers({ ethernet: std.ethernet, dh: std.vlan })))),
    );
  });

  it('29. a metadata field named like a control field (hv_vpdp)', () => {
    refused(
      check(tenant, out(nf('meta').metadata({ hv_vpdp: bit(16) }))),
      [reservedName('meta', 'hv_vpdp', /metadata field "hv_vpdp" uses the hypervisor's reserved prefix/, '$.metadata[0].name')],
      check(tenant, out(nf('meta').metadata({ vpdp: bit(16) }))),
    );
  });

  it('30. a register with the reserved prefix', () => {
    refused(
      check(tenant, out(nf('reg').register('hv_next_stage', { width: 16, size: 4 }))),
      [reservedName('reg', 'hv_next_stage', /register "hv_next_stage" uses the hypervisor's reserved prefix/, '$.registers[0].name')],
      check(tenant, out(nf('reg').register('next_stage', { width: 16, size: 4 }))),
    );
  });

  it('31. a counter with the reserved prefix', () => {
    refused(
      check(tenant, out(nf('ctr').counter('hv_stage', { size: 4 }))),
      [reservedName('ctr', 'hv_stage', /counter "hv_stage" uses the hypervisor's reserved prefix/, '$.counters[0].name')],
      check(tenant, out(nf('ctr').counter('stage', { size: 4 }))),
    );
  });

  it('32. a meter with the reserved prefix', () => {
    refused(
      check(tenant, out(nf('mtr').meter('hv_program', { size: 4 }))),
      [reservedName('mtr', 'hv_program', /meter "hv_program" uses the hypervisor's reserved prefix/, '$.meters[0].name')],
      check(tenant, out(nf('mtr').meter('program', { size: 4 }))),
    );
  });
});

// ---- quotas ----------------------------------------------------------------------

describe('isolation: a tenant cannot take more than its quotas', () => {
  const stages = (name: string, n: number, size = 8) => {
    let b: AnyProgramBuilder = nf(name);
    for (let i = 0; i < n; i++) b = b.stage(`s${i}`, (t) => t.action('fwd', (a) => a.setEgress(OWN_PORT)).size(size));
    return b;
  };

  it('33. too many stages', () => {
    const vpdp = withQuotas({ stages: 3 });
    refused(check(vpdp, stages('deep', 4)), [exhausted('deep', 'stages', /tenantA.*needs 4 stages, its quota is 3/)], check(vpdp, stages('deep', 3)));
  });

  it('34. a table larger than the entry quota', () => {
    const vpdp = withQuotas({ tableEntries: 4096 });
    refused(check(vpdp, stages('big', 1, 4097)), [exhausted('big', 'tableEntries', /needs 4097 tableEntries, its quota is 4096/)], check(vpdp, stages('big', 1, 4096)));
  });

  it('35. table entries summed across two programs of one policy', () => {
    const vpdp = withQuotas({ tableEntries: 4096 });
    refused(
      check(vpdp, stages('first', 1, 3000), stages('second', 1, 2000)),
      [exhausted('first + second', 'tableEntries', /needs 5000 tableEntries, its quota is 4096/)],
      check(vpdp, stages('first', 1, 3000), stages('second', 1, 1096)),
    );
  });

  it('36. register cells over quota', () => {
    const attempt = (size: number) => nf('regs').register('flows', { width: 32, size }).register('bytes', { width: 64, size: 24 }).stage('out', (t) => t.action('fwd', (a) => a.setEgress(OWN_PORT)).size(1));
    refused(check(tenant, attempt(1001)), [exhausted('regs', 'registerCells', /needs 1025 registerCells, its quota is 1024/)], check(tenant, attempt(1000)));
  });

  it('37. counter cells over quota', () => {
    const attempt = (size: number) => nf('ctrs').counter('hits', { size }).stage('out', (t) => t.action('fwd', (a) => a.count('hits', 0).setEgress(OWN_PORT)).size(1));
    refused(check(tenant, attempt(1025)), [exhausted('ctrs', 'counterCells', /needs 1025 counterCells, its quota is 1024/)], check(tenant, attempt(1024)));
  });

  it('38. meter cells over quota', () => {
    const attempt = (size: number) => nf('mtrs').meter('rate', { size }).stage('out', (t) => t.action('fwd', (a) => a.setEgress(OWN_PORT)).size(1));
    refused(check(tenant, attempt(2048)), [exhausted('mtrs', 'meterCells', /needs 2048 meterCells, its quota is 1024/)], check(tenant, attempt(512)));
  });

  it('39. direct counters (one per table entry) count against the counter quota', () => {
    const attempt = (size: number) =>
      nf('direct-ctr')
        .counter('misc', { size: 24 })
        .stage('out', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('fwd', (a) => a.setEgress(OWN_PORT)).directCounter().size(size));
    refused(check(tenant, attempt(1001)), [exhausted('direct-ctr', 'counterCells', /needs 1025 counterCells, its quota is 1024/)], check(tenant, attempt(1000)));
  });

  it('40. direct meters (one per table entry) count against the meter quota', () => {
    const attempt = (size: number) =>
      nf('direct-mtr').stage('out', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('fwd', (a) => a.setEgress(OWN_PORT)).directMeter().size(size));
    refused(check(tenant, attempt(4096)), [exhausted('direct-mtr', 'meterCells', /needs 4096 meterCells, its quota is 1024/)], check(tenant, attempt(1024)));
  });
});

// ---- reporting -------------------------------------------------------------------

describe('isolation: every violation is reported, each once', () => {
  it('41. violations in two different programs of one vPDP are all reported', () => {
    const a = (port: number) => oneAction('nf-a', port);
    const b = (group: number) => nf('nf-b').stage('mc', (t) => t.action('flood', (x) => x.multicast(group)).size(1));
    refused(
      check(tenant, a(FOREIGN_PORT), b(FOREIGN_GROUP)),
      [
        denied('nf-a', 'out', 'fwd', 'port 7', /sends to port 7,/, body(0, 0, 0)),
        denied('nf-b', 'mc', 'flood', 'multicast group 12', /multicasts to group 12,/, body(0, 0, 0)),
      ],
      check(tenant, a(OWN_PORT), b(OWN_GROUP)),
    );
  });

  it('42. several violations in one action (also its default action and a const entry) are each reported once', () => {
    const attempt = (port: number, other: number, group: number, session: number) =>
      nf('greedy').stage('out', (t) =>
        t
          .key({ 'ethernet.etherType': 'exact' })
          .action('escape', (a) => a.setEgress(port).multicast(group).clone(session).assign('standard.egressPort', other))
          .defaultAction('escape')
          .entries({ key: { 'ethernet.etherType': 0x0800 }, action: 'escape' })
          .size(4),
      );
    refused(
      check(tenant, attempt(FOREIGN_PORT, 8, FOREIGN_GROUP, FOREIGN_SESSION)),
      [
        denied('greedy', 'out', 'escape', 'port 7', /sends to port 7, which/, body(0, 0, 0)),
        denied('greedy', 'out', 'escape', 'multicast group 12', /multicasts to group 12,/, body(0, 0, 1)),
        denied('greedy', 'out', 'escape', 'clone session 21', /clones to session 21,/, body(0, 0, 2)),
        denied('greedy', 'out', 'escape', 'port 8', /sends to port 8, which/, body(0, 0, 3)),
      ],
      check(tenant, attempt(OWN_PORT, 4, OWN_GROUP, OWN_SESSION)),
    );
  });

  it('43. a default argument and a const entry of one action with different foreign ports: both reported, in a second stage', () => {
    const attempt = (d: number, e: number) =>
      nf('two-ways')
        .stage('first', (t) => t.action('ok', (a) => a.setEgress(OWN_PORT)).size(1))
        .stage('second', (t) =>
          t
            .key({ 'ethernet.etherType': 'exact' })
            .action('noop', (a) => a)
            .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
            .defaultAction('fwd', { port: d })
            .entries({ key: { 'ethernet.etherType': 0x0800 }, action: 'fwd', args: { port: e } })
            .size(4),
        );
    refused(
      check(tenant, attempt(FOREIGN_PORT, 8)),
      [
        denied('two-ways', 'second', 'fwd', 'port 7', /port 7 \(its default action\)/, body(1, 1, 0)),
        denied('two-ways', 'second', 'fwd', 'port 8', /port 8 \(const entry 0\)/, body(1, 1, 0)),
      ],
      check(tenant, attempt(OWN_PORT, 4)),
    );
  });
});

// ---- property ---------------------------------------------------------------------

describe('isolation: a constant egress port is accepted exactly when it is the vPDP’s (or the drop port)', () => {
  it('44. for random ports p and random port sets: setEgress(const p) passes iff p is owned or p == 511', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 511 }), fc.uniqueArray(fc.integer({ min: 0, max: 510 }), { maxLength: 8 }), (p, ports) => {
        const vpdp: VpdpSpec = { ...tenant, ports };
        const violations = checkIsolation([oneAction('prop', p).toIR()], vpdp);
        const allowed = ports.includes(p) || p === 511;
        expect(violations.length === 0).toBe(allowed);
        if (!allowed) expect(violations).toStrictEqual([denied('prop', 'out', 'fwd', `port ${p}`, new RegExp(`sends to port ${p},`), body(0, 0, 0))]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('reserved names beyond state', () => {
  it('a stage, an action or a digest may not use the hypervisor\'s reserved prefix', () => {
    const p = program('sneaky')
      .headers({ ethernet: std.ethernet })
      .digest('hv_note', { port: bit(9) })
      .parser((q) => q.state('start', (s) => s.extract('ethernet').accept()))
      .stage('hv_slot', (t) => t.action('hv_next', (a) => a.digest('hv_note', { port: a.get('standard.ingressPort') })).defaultAction('hv_next'))
      .toIR();
    const found = checkIsolation([p], { id: 1, name: 't', ports: [1], multicastGroups: [], cloneSessions: [], quotas: { stages: 10, tableEntries: 10_000, registerCells: 0, counterCells: 0, meterCells: 0 } });
    expect(found.map((v) => [v.code, v.reference, v.path])).toEqual([
      ['PERMISSION_DENIED', 'hv_note', '$.digests[0].name'],
      ['PERMISSION_DENIED', 'hv_slot', '$.stages[0].name'],
      ['PERMISSION_DENIED', 'hv_next', '$.stages[0].actions[0].name'],
    ]);
  });
});
