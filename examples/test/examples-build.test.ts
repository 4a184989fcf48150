import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeIR, type ActionCall, type Program, type Stage } from '@mpvisor/mpapi';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_THRESHOLD, DEFAULT_WINDOW_US, ECMP_BUCKETS, policies, programs } from '../nfs/index.js';
import { device, internetChecksum, packet, runControl, type PacketState } from './ir-eval.js';

const stageOf = (p: Program, name: string): Stage => {
  const s = p.stages.find((x) => x.name === name);
  if (!s) throw new Error(`${p.name} has no stage ${name}`);
  return s;
};
const call = (action: string, args: Record<string, bigint | number> = {}): ActionCall => ({
  kind: 'actionCall',
  action,
  args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, `0x${BigInt(v).toString(16)}`])),
});
const ip = (s: string): bigint => s.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n);
const get = (pkt: PacketState, ref: string): bigint => pkt.fields.get(ref) ?? 0n;
/** The IPv4 header checksum the packet's fields call for (no options). */
const ipv4Checksum = (pkt: PacketState): bigint =>
  internetChecksum(
    ([['version', 4], ['ihl', 4], ['diffserv', 8], ['totalLen', 16], ['identification', 16], ['flags', 3], ['fragOffset', 13], ['ttl', 8], ['protocol', 8]] as const)
      .map(([f, w]): readonly [bigint, number] => [get(pkt, `ipv4.${f}`), w])
      .concat([[0n, 16], [get(pkt, 'ipv4.srcAddr'), 32], [get(pkt, 'ipv4.dstAddr'), 32]]),
  );

describe('every example builds', () => {
  for (const [key, nf] of Object.entries(programs)) {
    it(`program ${key} compiles to valid IR that survives a JSON round trip`, () => {
      const ir = nf.toIR();
      const decoded = decodeIR(JSON.parse(nf.canonicalJson()));
      expect(decoded).toEqual({ _tag: 'Right', right: ir });
      expect(ir.description).toBeTruthy();
    });
  }
  for (const [key, pol] of Object.entries(policies)) {
    it(`policy ${key} compiles to valid IR`, () => {
      const ir = pol.toIR();
      expect(decodeIR(JSON.parse(pol.canonicalJson()))).toEqual({ _tag: 'Right', right: ir });
      expect(ir.steps.length).toBeGreaterThan(0);
    });
  }

  it('digests are stable across calls and across a fresh import', async () => {
    const before = Object.fromEntries([...Object.entries(programs), ...Object.entries(policies)].map(([k, v]) => [k, v.irDigest()]));
    for (const [k, v] of [...Object.entries(programs), ...Object.entries(policies)]) expect(v.irDigest()).toBe(before[k]);
    vi.resetModules();
    const fresh = await import('../nfs/index.js');
    expect(fresh.programs.firewall).not.toBe(programs.firewall);
    const after = Object.fromEntries([...Object.entries(fresh.programs), ...Object.entries(fresh.policies)].map(([k, v]) => [k, v.irDigest()]));
    expect(after).toEqual(before);
    expect(new Set(Object.values(before)).size).toBe(Object.keys(before).length);
  });
});

describe('firewall', () => {
  const ir = programs.firewall.toIR();
  it('has an acl with ternary addresses and protocol, range ports, default allow', () => {
    const acl = stageOf(ir, 'acl');
    expect(acl.keys.map((k) => [k.field, k.match])).toEqual([
      ['ipv4.srcAddr', 'ternary'],
      ['ipv4.dstAddr', 'ternary'],
      ['ipv4.protocol', 'ternary'],
      ['meta.l4SrcPort', 'range'],
      ['meta.l4DstPort', 'range'],
    ]);
    expect(acl.defaultAction.action.action).toBe('allow');
    expect(acl.actions.find((a) => a.name === 'deny')?.body).toEqual([{ kind: 'drop' }]);
    expect(ir.deparser).toEqual(['ethernet', 'ipv4', 'tcp', 'udp']);
  });
  it('copies the L4 ports into metadata in the tcp and udp states', () => {
    for (const h of ['tcp', 'udp']) {
      const st = ir.parser.states.find((s) => s.name === `parse_${h}`)!;
      expect(st.ops).toContainEqual({ kind: 'set', target: 'meta.l4SrcPort', value: { kind: 'field', ref: `${h}.srcPort` } });
      expect(st.ops).toContainEqual({ kind: 'set', target: 'meta.l4DstPort', value: { kind: 'field', ref: `${h}.dstPort` } });
    }
  });
  it('applies the acl to IPv4 only', () => {
    const deny = (s: Stage) => (s.name === 'acl' ? call('deny') : undefined);
    expect(runControl(ir, packet({}, ['ethernet']), device(ir), deny).trace).toEqual([]);
    expect(runControl(ir, packet({}, ['ethernet', 'ipv4']), device(ir), deny).dropped).toBe(true);
  });
});

describe('fw-strict', () => {
  const ir = programs.fwStrict.toIR();
  it('is derived from the firewall, with a bigger acl, default deny and allow rules', () => {
    expect(ir.name).toBe('acme/fw-strict');
    expect(ir.lineage?.[0]).toEqual({ kind: 'ancestor', name: 'firewall', digest: programs.firewall.irDigest() });
    const acl = stageOf(ir, 'acl');
    expect(acl.size).toBe(8192);
    expect(acl.defaultAction.action.action).toBe('deny');
    expect(acl.entries.length).toBeGreaterThan(0);
    expect(acl.entries.every((e) => e.action.action === 'allow' && e.priority !== undefined)).toBe(true);
  });
  it('is written in at most 10 lines of code', () => {
    const text = readFileSync(fileURLToPath(new URL('../nfs/fw-strict.ts', import.meta.url)), 'utf8');
    const code = text
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('//') && !l.startsWith('import '));
    expect(code.length).toBeLessThanOrEqual(10);
  });
});

describe('router', () => {
  const ir = programs.router.toIR();
  const routes = (s: Stage) =>
    s.name === 'ipv4_lpm' ? call('set_nhop', { nhop: ip('10.0.1.1'), port: 3 }) : s.name === 'forward' ? call('set_dmac', { dmac: 0xaa, smac: 0xbb }) : undefined;
  const ipv4 = (ttl: number) =>
    packet(
      { 'ipv4.version': 4, 'ipv4.ihl': 5, 'ipv4.totalLen': 40, 'ipv4.identification': 0x1c46, 'ipv4.flags': 2, 'ipv4.ttl': ttl, 'ipv4.protocol': 6,
        'ipv4.srcAddr': ip('10.0.0.9'), 'ipv4.dstAddr': ip('10.0.1.7'), 'ethernet.dstAddr': 1, 'ethernet.srcAddr': 2 },
      ['ethernet', 'ipv4'],
    );

  it('has ttl_expired (keyless, const drop), ipv4_lpm and forward', () => {
    expect(ir.stages.map((s) => s.name).sort()).toEqual(['forward', 'ipv4_lpm', 'ttl_expired']);
    const ttl = stageOf(ir, 'ttl_expired');
    expect(ttl.keys).toEqual([]);
    expect(ttl.defaultAction).toMatchObject({ const: true, action: { action: 'drop_expired' } });
    expect(stageOf(ir, 'ipv4_lpm').keys).toEqual([{ kind: 'key', field: 'ipv4.dstAddr', match: 'lpm' }]);
    expect(stageOf(ir, 'forward').keys).toEqual([{ kind: 'key', field: 'meta.nextHop', match: 'exact' }]);
    const lpm = ir.control.nodes.find((n) => n.id === 'ipv4_lpm');
    expect(lpm?.kind === 'applyStage' && lpm.next).toEqual({ kind: 'actionRun', cases: [{ kind: 'actionCase', action: 'set_nhop', to: 'forward' }], default: null });
  });
  it('routes: next hop, port, TTL - 1 with a correct header checksum, MAC rewrite', () => {
    const pkt = runControl(ir, ipv4(64), device(ir), routes);
    expect(pkt.trace).toEqual([['ipv4_lpm', 'set_nhop'], ['forward', 'set_dmac']]);
    expect(pkt.dropped).toBe(false);
    expect(get(pkt, 'ipv4.ttl')).toBe(63n);
    expect(get(pkt, 'meta.nextHop')).toBe(ip('10.0.1.1'));
    expect(get(pkt, 'standard.egressPort')).toBe(3n);
    expect([get(pkt, 'ethernet.dstAddr'), get(pkt, 'ethernet.srcAddr')]).toEqual([0xaan, 0xbbn]);
    expect(get(pkt, 'ipv4.hdrChecksum')).toBe(ipv4Checksum(pkt));
  });
  it('drops expiring packets before any lookup, and unroutable ones', () => {
    for (const ttl of [0, 1]) expect(runControl(ir, ipv4(ttl), device(ir), routes)).toMatchObject({ dropped: true, trace: [['ttl_expired', 'drop_expired']] });
    expect(runControl(ir, ipv4(64), device(ir)).trace).toEqual([['ipv4_lpm', 'drop']]);
  });
  it('leaves non-IPv4 packets alone', () => {
    const pkt = runControl(ir, packet({ 'ipv4.ttl': 1 }, ['ethernet']), device(ir), routes);
    expect(pkt.trace).toEqual([]);
    expect(pkt.dropped).toBe(false);
  });
});

describe('arp-proxy', () => {
  const ir = programs.arpProxy.toIR();
  const mac = 0x02_00_00_00_00_99n;
  const request = () =>
    packet(
      {
        'ethernet.dstAddr': 0xffff_ffff_ffffn, 'ethernet.srcAddr': 0x02_00_00_00_00_01n, 'ethernet.etherType': 0x0806,
        'arp.hwType': 1, 'arp.protoType': 0x0800, 'arp.opcode': 1,
        'arp.senderHwAddr': 0x02_00_00_00_00_01n, 'arp.senderProtoAddr': ip('10.0.0.1'),
        'arp.targetHwAddr': 0, 'arp.targetProtoAddr': ip('10.0.0.99'),
        'standard.ingressPort': 7,
      },
      ['ethernet', 'arp'],
    );
  it('keys on the asked-for address and the opcode; misses do nothing', () => {
    expect(stageOf(ir, 'arp_reply').keys.map((k) => k.field)).toEqual(['arp.targetProtoAddr', 'arp.opcode']);
    expect(stageOf(ir, 'arp_reply').defaultAction.action.action).toBe('NoAction');
  });
  it('turns a request into the reply, sent back out of the ingress port', () => {
    const pkt = runControl(ir, request(), device(ir), () => call('reply', { mac }));
    expect(Object.fromEntries([...pkt.fields].filter(([k]) => !k.startsWith('meta.')))).toEqual({
      'ethernet.dstAddr': 0x02_00_00_00_00_01n, 'ethernet.srcAddr': mac, 'ethernet.etherType': 0x0806n,
      'arp.hwType': 1n, 'arp.protoType': 0x0800n, 'arp.opcode': 2n,
      'arp.senderHwAddr': mac, 'arp.senderProtoAddr': ip('10.0.0.99'),
      'arp.targetHwAddr': 0x02_00_00_00_00_01n, 'arp.targetProtoAddr': ip('10.0.0.1'),
      'standard.ingressPort': 7n, 'standard.egressPort': 7n,
    });
  });
  it('ignores non-Ethernet/IPv4 ARP', () => {
    const pkt = request();
    pkt.fields.set('arp.protoType', 0x86ddn);
    expect(runControl(ir, pkt, device(ir), () => call('reply', { mac })).trace).toEqual([]);
  });
});

describe('nat', () => {
  const ir = programs.nat.toIR();
  const snat = stageOf(ir, 'nat_snat');
  const inside = { addr: ip('10.0.0.5'), port: 40000 };
  const outside = { addr: ip('203.0.113.1'), port: 61000 };
  const dst = ip('198.51.100.7');

  const ipv4Fields = (proto: number, l4len: number) => ({
    'ipv4.version': 4, 'ipv4.ihl': 5, 'ipv4.totalLen': 20 + l4len, 'ipv4.ttl': 64, 'ipv4.protocol': proto,
    'ipv4.srcAddr': inside.addr, 'ipv4.dstAddr': dst,
  });
  // L4 checksum over the pseudo-header and an 8-byte (UDP) or 20-byte (TCP) header without payload
  const tcpChecksum = (pkt: PacketState, csum: bigint): bigint =>
    internetChecksum([
      [get(pkt, 'ipv4.srcAddr'), 32], [dst, 32], [0, 8], [6, 8], [20, 16],
      [get(pkt, 'tcp.srcPort'), 16], [443, 16], [0x1234_5678, 32], [0x9abc_def0, 32], [5, 4], [0, 4], [0x18, 8], [0xffff, 16], [csum, 16], [0, 16],
    ]);
  const udpChecksum = (pkt: PacketState, csum: bigint): bigint =>
    internetChecksum([[get(pkt, 'ipv4.srcAddr'), 32], [dst, 32], [0, 8], [17, 8], [8, 16], [get(pkt, 'udp.srcPort'), 16], [53, 16], [8, 16], [csum, 16]]);

  it('keys on source address, protocol and L4 source port', () => {
    expect(snat.keys.map((k) => [k.field, k.match])).toEqual([['ipv4.srcAddr', 'exact'], ['ipv4.protocol', 'exact'], ['meta.l4SrcPort', 'exact']]);
  });
  it('rewrites TCP and keeps both checksums valid', () => {
    const pkt = packet(
      { ...ipv4Fields(6, 20), 'tcp.srcPort': inside.port, 'tcp.dstPort': 443, 'tcp.seqNo': 0x1234_5678, 'tcp.ackNo': 0x9abc_def0, 'tcp.dataOffset': 5, 'tcp.flags': 0x18, 'tcp.window': 0xffff, 'meta.l4SrcPort': inside.port },
      ['ethernet', 'ipv4', 'tcp'],
    );
    pkt.fields.set('ipv4.hdrChecksum', ipv4Checksum(pkt));
    pkt.fields.set('tcp.checksum', tcpChecksum(pkt, 0n));
    expect(tcpChecksum(pkt, get(pkt, 'tcp.checksum'))).toBe(0n); // a valid segment sums to 0xffff
    runControl(ir, pkt, device(ir), () => call('rewrite_tcp', outside));
    expect([get(pkt, 'ipv4.srcAddr'), get(pkt, 'tcp.srcPort')]).toEqual([outside.addr, BigInt(outside.port)]);
    expect(get(pkt, 'ipv4.hdrChecksum')).toBe(ipv4Checksum(pkt));
    expect(tcpChecksum(pkt, get(pkt, 'tcp.checksum'))).toBe(0n);
  });
  it('rewrites UDP, keeps its checksum valid, and leaves a zero (absent) checksum zero', () => {
    for (const withChecksum of [true, false]) {
      const pkt = packet({ ...ipv4Fields(17, 8), 'udp.srcPort': inside.port, 'udp.dstPort': 53, 'udp.length': 8, 'meta.l4SrcPort': inside.port }, ['ethernet', 'ipv4', 'udp']);
      pkt.fields.set('udp.checksum', withChecksum ? udpChecksum(pkt, 0n) : 0n);
      runControl(ir, pkt, device(ir), () => call('rewrite_udp', outside));
      expect(get(pkt, 'udp.srcPort')).toBe(BigInt(outside.port));
      expect(get(pkt, 'ipv4.hdrChecksum')).toBe(ipv4Checksum(pkt));
      if (withChecksum) expect(udpChecksum(pkt, get(pkt, 'udp.checksum'))).toBe(0n);
      else expect(get(pkt, 'udp.checksum')).toBe(0n);
    }
  });
  it('does not look up packets without TCP or UDP', () => {
    expect(runControl(ir, packet(ipv4Fields(1, 8), ['ethernet', 'ipv4']), device(ir), () => call('rewrite_tcp', outside)).trace).toEqual([]);
  });
});

describe('stateful-firewall', () => {
  const ir = programs.statefulFirewall.toIR();
  const send = (dev: ReturnType<typeof device>, src: string, at: number): boolean =>
    !runControl(ir, packet({ 'ipv4.srcAddr': ip(src), 'standard.ingressTimestamp': at }, ['ethernet', 'ipv4']), dev).dropped;

  it('declares its state and configuration', () => {
    expect(ir.registers.map((r) => [r.name, r.width])).toEqual([['pkt_count', 32], ['window_start', 48]]);
    expect(stageOf(ir, 'track').defaultAction).toMatchObject({ const: false, action: { args: { threshold: `0x${DEFAULT_THRESHOLD.toString(16)}`, window: `0x${DEFAULT_WINDOW_US.toString(16)}` } } });
    expect(stageOf(ir, 'block').defaultAction).toMatchObject({ const: true, action: { action: 'drop' } });
  });
  it('blocks a fast source for the rest of its window and lets a slow one through', () => {
    const dev = device(ir);
    const t0 = 5_000_000;
    // fast: 3 × threshold packets within 0.3 s
    const fast = Array.from({ length: 3 * DEFAULT_THRESHOLD }, (_, i) => send(dev, '10.0.0.1', t0 + i * 1000));
    expect(fast.slice(0, DEFAULT_THRESHOLD).every(Boolean)).toBe(true);
    expect(fast.slice(DEFAULT_THRESHOLD).some(Boolean)).toBe(false);
    // slow: threshold packets per window, for five windows
    const slow = Array.from({ length: 5 * DEFAULT_THRESHOLD }, (_, i) => send(dev, '10.0.0.2', t0 + i * (DEFAULT_WINDOW_US / DEFAULT_THRESHOLD)));
    expect(slow.every(Boolean)).toBe(true);
    // still blocked late in its window; a new window lets it through again
    expect(send(dev, '10.0.0.1', t0 + DEFAULT_WINDOW_US - 1)).toBe(false);
    expect(send(dev, '10.0.0.1', t0 + DEFAULT_WINDOW_US)).toBe(true);
  });
  it('passes a source from the first packet, even at time 0', () => {
    const dev = device(ir);
    expect(Array.from({ length: DEFAULT_THRESHOLD }, (_, i) => send(dev, '10.0.0.3', i)).every(Boolean)).toBe(true);
    expect(send(dev, '10.0.0.3', DEFAULT_THRESHOLD)).toBe(false);
  });
  it('passes non-IPv4 packets unchecked', () => {
    expect(runControl(ir, packet({}, ['ethernet']), device(ir)).trace).toEqual([]);
  });
});

describe('ecmp', () => {
  const ir = programs.ecmp.toIR();
  const flow = (sport: number) =>
    packet(
      { 'ipv4.srcAddr': ip('10.0.0.1'), 'ipv4.dstAddr': ip('10.1.0.1'), 'ipv4.protocol': 6, 'ipv4.ttl': 64, 'meta.l4SrcPort': sport, 'meta.l4DstPort': 80 },
      ['ethernet', 'ipv4', 'tcp'],
    );
  const tables = (s: Stage, pkt: PacketState): ActionCall | undefined => {
    if (s.name === 'ecmp_group') return call('set_ecmp', { group: 7 });
    if (s.name === 'ecmp_nhop') return call('set_nhop', { dmac: 0x100n + get(pkt, 'meta.ecmpSelect'), port: 1 + Number(get(pkt, 'meta.ecmpSelect') % 4n) });
    return call('rewrite_mac', { smac: 0xee });
  };
  it('hashes the 5-tuple into a fixed number of buckets and looks up (group, bucket)', () => {
    const hash = stageOf(ir, 'ecmp_group').actions.find((a) => a.name === 'set_ecmp')!.body.find((p) => p.kind === 'hash');
    expect(hash).toMatchObject({ algorithm: 'crc16', target: 'meta.ecmpSelect', base: '0x0', max: `0x${ECMP_BUCKETS.toString(16)}` });
    expect(hash?.kind === 'hash' && hash.inputs.map((e) => (e.kind === 'field' ? e.ref : '?'))).toEqual([
      'ipv4.srcAddr', 'ipv4.dstAddr', 'ipv4.protocol', 'meta.l4SrcPort', 'meta.l4DstPort',
    ]);
    expect(stageOf(ir, 'ecmp_nhop').keys.map((k) => [k.field, k.match])).toEqual([['meta.ecmpGroup', 'exact'], ['meta.ecmpSelect', 'exact']]);
  });
  it('sends every packet of a flow the same way, and spreads flows', () => {
    const ports = new Set<bigint>();
    for (let sport = 1000; sport < 1064; sport++) {
      const a = runControl(ir, flow(sport), device(ir), tables);
      const b = runControl(ir, flow(sport), device(ir), tables);
      expect(get(a, 'standard.egressPort')).toBe(get(b, 'standard.egressPort'));
      expect(get(a, 'meta.ecmpSelect')).toBeLessThan(BigInt(ECMP_BUCKETS));
      expect(get(a, 'ipv4.ttl')).toBe(63n);
      expect(get(a, 'ethernet.srcAddr')).toBe(0xeen);
      ports.add(get(a, 'standard.egressPort'));
    }
    expect(ports.size).toBeGreaterThan(1);
  });
});

describe('policies', () => {
  it('tenant A chains the L2 switch and the firewall', () => {
    const ir = policies.tenantA.toIR();
    expect(ir.steps.map((s) => s.program)).toEqual(['l2-switch', 'firewall']);
  });
  it('tenant B runs NAT, then the router for IPv4 only', () => {
    const ir = policies.tenantB.toIR();
    expect(ir.steps).toEqual([
      { kind: 'step', program: 'nat' },
      { kind: 'step', program: 'router', when: { kind: 'isValid', header: 'ipv4' } },
    ]);
  });
});
