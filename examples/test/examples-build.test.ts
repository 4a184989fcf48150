/**
 * The example NFs build to valid IR with the structure their docs describe,
 * and behave as documented on the reference target: each check loads the NF,
 * installs the entries it needs, and runs packets built with the packet
 * library through it (the end-to-end tests, e2e-*.test.ts, do the same with
 * the shipped captures and `mpvisor run`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeIR, type Program, type Stage } from '@mpvisor/mpapi';
import {
  arp,
  dissect,
  ethernet,
  findLayer,
  hex,
  icmp,
  installEntries,
  ipv4,
  loadPipeline,
  packet,
  payload,
  tcp,
  udp,
  type PipelineSource,
  type ProcessResult,
} from '@mpvisor/runtime';
import { ReferenceTarget } from '@mpvisor/targets';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_THRESHOLD, DEFAULT_WINDOW_US, ECMP_BUCKETS, policies, programs } from '../nfs/index.js';

const stageOf = (p: Program, name: string): Stage => {
  const s = p.stages.find((x) => x.name === name);
  if (!s) throw new Error(`${p.name} has no stage ${name}`);
  return s;
};

/** A reference target with `nf` loaded and `entries` (the entries-file format) installed. */
function targetWith(nf: PipelineSource, entries: object = {}): ReferenceTarget {
  const pipeline = loadPipeline(nf);
  const target = new ReferenceTarget();
  target.load(pipeline);
  installEntries(target, pipeline, JSON.stringify(entries), 'test.json');
  return target;
}
/** Run one packet with a trace. */
const send = (target: ReferenceTarget, data: Uint8Array, port = 1, timestamp?: number): ProcessResult =>
  target.process({ port, data, ...(timestamp !== undefined ? { timestamp: BigInt(timestamp) } : {}) }, { trace: true });
/** The stages a packet went through and the action each ran, in order. */
const stagesRun = (r: ProcessResult): [string, string][] => (r.trace ?? []).flatMap((e) => (e.kind === 'stage' ? [[e.stage, e.action] as [string, string]] : []));
/** The last value a stage's action gave `field` (as the trace records it), or undefined if none changed it. */
const lastWrite = (r: ProcessResult, field: string): bigint | undefined => {
  let v: bigint | undefined;
  for (const e of r.trace ?? []) if (e.kind === 'stage') for (const c of e.changes) if (c.field === field) v = BigInt(c.to);
  return v;
};
/** The one output of a packet. */
const only = (r: ProcessResult) => {
  expect(r.outputs.length).toBe(1);
  return r.outputs[0]!;
};
const arpFrame = () => packet(ethernet({ src: '02:00:00:00:00:01' }), arp({ op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }));

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
    const any = '_';
    const target = targetWith(programs.firewall, {
      tables: { acl: [{ key: { 'ipv4.srcAddr': any, 'ipv4.dstAddr': any, 'ipv4.protocol': any, 'meta.l4SrcPort': any, 'meta.l4DstPort': any }, action: 'deny', priority: 1 }] },
    });
    const nonIp = send(target, arpFrame());
    expect(stagesRun(nonIp)).toEqual([]);
    expect(nonIp.dropped).toBeUndefined();
    expect(hex(only(nonIp).data)).toBe(hex(arpFrame()));
    const v4 = send(target, packet(ethernet(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), payload(8)));
    expect(stagesRun(v4)).toEqual([['acl', 'deny']]);
    expect(v4.dropped).toBe('dropped');
    expect(v4.outputs).toEqual([]);
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
  const routes = {
    tables: {
      ipv4_lpm: [{ key: { 'ipv4.dstAddr': '10.0.1.0/24' }, action: 'set_nhop', args: { nhop: '10.0.1.1', port: 3 } }],
      forward: [{ key: { 'meta.nextHop': '10.0.1.1' }, action: 'set_dmac', args: { dmac: 0xaa, smac: 0xbb } }],
    },
  };
  const v4 = (ttl: number) =>
    packet(ethernet({ dst: '00:00:00:00:00:01', src: '00:00:00:00:00:02' }), ipv4({ src: '10.0.0.9', dst: '10.0.1.7', id: 0x1c46, flags: 'DF', ttl }), tcp({ sport: 40000, dport: 80 }));

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
    const r = send(targetWith(programs.router, routes), v4(64));
    expect(stagesRun(r)).toEqual([['ipv4_lpm', 'set_nhop'], ['forward', 'set_dmac']]);
    expect(r.dropped).toBeUndefined();
    expect(lastWrite(r, 'meta.nextHop')).toBe(0x0a000101n);
    const out = only(r);
    expect(out.port).toBe(3);
    const d = dissect(out.data);
    expect(findLayer(d, 'ipv4')).toMatchObject({ ttl: 63, checksumOk: true, src: '10.0.0.9', dst: '10.0.1.7' });
    expect(findLayer(d, 'ethernet')).toMatchObject({ dst: '00:00:00:00:00:aa', src: '00:00:00:00:00:bb' });
    // the whole frame: the same packet built with the new TTL and MACs (the builder computes the checksum)
    expect(hex(out.data)).toBe(
      hex(packet(ethernet({ dst: '00:00:00:00:00:aa', src: '00:00:00:00:00:bb' }), ipv4({ src: '10.0.0.9', dst: '10.0.1.7', id: 0x1c46, flags: 'DF', ttl: 63 }), tcp({ sport: 40000, dport: 80 }))),
    );
  });
  it('drops expiring packets before any lookup, and unroutable ones', () => {
    for (const ttl of [0, 1]) {
      const r = send(targetWith(programs.router, routes), v4(ttl));
      expect(r).toMatchObject({ dropped: 'dropped', outputs: [] });
      expect(stagesRun(r)).toEqual([['ttl_expired', 'drop_expired']]);
    }
    expect(stagesRun(send(targetWith(programs.router), v4(64)))).toEqual([['ipv4_lpm', 'drop']]);
  });
  it('leaves non-IPv4 packets alone', () => {
    const r = send(targetWith(programs.router, routes), arpFrame());
    expect(stagesRun(r)).toEqual([]);
    expect(r.dropped).toBeUndefined();
    expect(hex(only(r).data)).toBe(hex(arpFrame()));
  });
});

describe('arp-proxy', () => {
  const ir = programs.arpProxy.toIR();
  const mac = '02:00:00:00:00:99';
  const proxy = () => targetWith(programs.arpProxy, { tables: { arp_reply: [{ key: { 'arp.targetProtoAddr': '10.0.0.99', 'arp.opcode': 1 }, action: 'reply', args: { mac } }] } });
  const request = (protoType = 0x0800) =>
    packet(ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01' }), arp({ op: 'request', protoType, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.99' }));
  it('keys on the asked-for address and the opcode; misses do nothing', () => {
    expect(stageOf(ir, 'arp_reply').keys.map((k) => k.field)).toEqual(['arp.targetProtoAddr', 'arp.opcode']);
    expect(stageOf(ir, 'arp_reply').defaultAction.action.action).toBe('NoAction');
    const r = send(targetWith(programs.arpProxy), request());
    expect(stagesRun(r)).toEqual([['arp_reply', 'NoAction']]);
    expect(hex(only(r).data)).toBe(hex(request()));
  });
  it('turns a request into the reply, sent back out of the ingress port', () => {
    const out = only(send(proxy(), request(), 7));
    expect(out.port).toBe(7);
    expect(hex(out.data)).toBe(
      hex(packet(ethernet({ dst: '02:00:00:00:00:01', src: mac }), arp({ op: 'reply', senderMac: mac, senderIp: '10.0.0.99', targetMac: '02:00:00:00:00:01', targetIp: '10.0.0.1' }))),
    );
    expect(findLayer(dissect(out.data), 'arp')).toMatchObject({ hwType: 1, protoType: 0x0800, hwLen: 6, protoLen: 4, op: 2 });
  });
  it('ignores non-Ethernet/IPv4 ARP', () => {
    const r = send(proxy(), request(0x86dd));
    expect(stagesRun(r)).toEqual([]);
    expect(hex(only(r).data)).toBe(hex(request(0x86dd)));
  });
});

describe('nat', () => {
  const ir = programs.nat.toIR();
  const snat = stageOf(ir, 'nat_snat');
  const inside = { addr: '10.0.0.5', port: 40000 };
  const outside = { addr: '203.0.113.1', port: 61000 };
  const dst = '198.51.100.7';
  const nat = (proto: 6 | 17) =>
    targetWith(programs.nat, {
      tables: { nat_snat: [{ key: { 'ipv4.srcAddr': inside.addr, 'ipv4.protocol': proto, 'meta.l4SrcPort': inside.port }, action: proto === 6 ? 'rewrite_tcp' : 'rewrite_udp', args: outside }] },
    });
  const segment = { dport: 443, seq: 0x1234_5678, ack: 0x9abc_def0, flags: 0x18, window: 0xffff };

  it('keys on source address, protocol and L4 source port', () => {
    expect(snat.keys.map((k) => [k.field, k.match])).toEqual([['ipv4.srcAddr', 'exact'], ['ipv4.protocol', 'exact'], ['meta.l4SrcPort', 'exact']]);
  });
  it('rewrites TCP and keeps both checksums valid', () => {
    const input = packet(ethernet(), ipv4({ src: inside.addr, dst }), tcp({ sport: inside.port, ...segment }));
    expect(findLayer(dissect(input), 'tcp')?.checksumOk).toBe(true);
    const out = only(send(nat(6), input)).data;
    const d = dissect(out);
    expect(findLayer(d, 'ipv4')).toMatchObject({ src: outside.addr, checksumOk: true });
    expect(findLayer(d, 'tcp')).toMatchObject({ sport: outside.port, checksumOk: true });
    expect(hex(out)).toBe(hex(packet(ethernet(), ipv4({ src: outside.addr, dst }), tcp({ sport: outside.port, ...segment }))));
  });
  it('rewrites UDP, keeps its checksum valid, and leaves a zero (absent) checksum zero', () => {
    for (const withChecksum of [true, false]) {
      const zero = withChecksum ? {} : { checksum: 0 };
      const input = packet(ethernet(), ipv4({ src: inside.addr, dst }), udp({ sport: inside.port, dport: 53, ...zero }));
      const out = only(send(nat(17), input)).data;
      const d = dissect(out);
      expect(findLayer(d, 'udp')?.sport).toBe(outside.port);
      expect(findLayer(d, 'ipv4')?.checksumOk).toBe(true);
      expect(findLayer(d, 'udp')?.checksumOk).toBe(true);
      if (!withChecksum) expect(findLayer(d, 'udp')?.checksum).toBe(0);
      expect(hex(out)).toBe(hex(packet(ethernet(), ipv4({ src: outside.addr, dst }), udp({ sport: outside.port, dport: 53, ...zero }))));
    }
  });
  it('does not look up packets without TCP or UDP', () => {
    const input = packet(ethernet(), ipv4({ src: inside.addr, dst }), icmp(), payload(8));
    const r = send(nat(6), input);
    expect(stagesRun(r)).toEqual([]);
    expect(hex(only(r).data)).toBe(hex(input));
  });
});

describe('stateful-firewall', () => {
  const ir = programs.statefulFirewall.toIR();
  /** Whether a packet from `src` arriving at `at` µs passes (the defaults: DEFAULT_THRESHOLD per DEFAULT_WINDOW_US). */
  const pass = (target: ReferenceTarget, src: string, at: number): boolean =>
    !target.process({ port: 1, data: packet(ethernet(), ipv4({ src, dst: '10.9.0.1' }), udp()), timestamp: BigInt(at) }).dropped;

  it('declares its state and configuration', () => {
    expect(ir.registers.map((r) => [r.name, r.width])).toEqual([['pkt_count', 32], ['window_start', 48]]);
    expect(stageOf(ir, 'track').defaultAction).toMatchObject({ const: false, action: { args: { threshold: `0x${DEFAULT_THRESHOLD.toString(16)}`, window: `0x${DEFAULT_WINDOW_US.toString(16)}` } } });
    expect(stageOf(ir, 'block').defaultAction).toMatchObject({ const: true, action: { action: 'drop' } });
  });
  it('blocks a fast source for the rest of its window and lets a slow one through', () => {
    const target = targetWith(programs.statefulFirewall);
    const t0 = 5_000_000;
    // fast: 3 × threshold packets within 0.3 s
    const fast = Array.from({ length: 3 * DEFAULT_THRESHOLD }, (_, i) => pass(target, '10.0.0.1', t0 + i * 1000));
    expect(fast.slice(0, DEFAULT_THRESHOLD).every(Boolean)).toBe(true);
    expect(fast.slice(DEFAULT_THRESHOLD).some(Boolean)).toBe(false);
    // slow: threshold packets per window, for five windows
    const slow = Array.from({ length: 5 * DEFAULT_THRESHOLD }, (_, i) => pass(target, '10.0.0.2', t0 + i * (DEFAULT_WINDOW_US / DEFAULT_THRESHOLD)));
    expect(slow.every(Boolean)).toBe(true);
    // still blocked late in its window; a new window lets it through again
    expect(pass(target, '10.0.0.1', t0 + DEFAULT_WINDOW_US - 1)).toBe(false);
    expect(pass(target, '10.0.0.1', t0 + DEFAULT_WINDOW_US)).toBe(true);
  });
  it('passes a source from the first packet, even at time 0', () => {
    const target = targetWith(programs.statefulFirewall);
    expect(Array.from({ length: DEFAULT_THRESHOLD }, (_, i) => pass(target, '10.0.0.3', i)).every(Boolean)).toBe(true);
    expect(pass(target, '10.0.0.3', DEFAULT_THRESHOLD)).toBe(false);
  });
  it('passes non-IPv4 packets unchecked', () => {
    const r = send(targetWith(programs.statefulFirewall), arpFrame());
    expect(stagesRun(r)).toEqual([]);
    expect(r.dropped).toBeUndefined();
  });
});

describe('ecmp', () => {
  const ir = programs.ecmp.toIR();
  const flow = (sport: number) => packet(ethernet(), ipv4({ src: '10.0.0.1', dst: '10.1.0.1', ttl: 64 }), tcp({ sport, dport: 80 }));
  /** Group 7 for 10.1.0.0/16; bucket b → MAC 0x100 + b out of port 1 + b mod 4; every port's own MAC 0xee. */
  const entries = {
    tables: {
      ecmp_group: [{ key: { 'ipv4.dstAddr': '10.1.0.0/16' }, action: 'set_ecmp', args: { group: 7 } }],
      ecmp_nhop: Array.from({ length: ECMP_BUCKETS }, (_, b) => ({ key: { 'meta.ecmpGroup': 7, 'meta.ecmpSelect': b }, action: 'set_nhop', args: { dmac: 0x100 + b, port: 1 + (b % 4) } })),
      send_frame: [1, 2, 3, 4].map((port) => ({ key: { 'standard.egressPort': port }, action: 'rewrite_mac', args: { smac: 0xee } })),
    },
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
    const target = targetWith(programs.ecmp, entries);
    const ports = new Set<number>();
    for (let sport = 1000; sport < 1064; sport++) {
      const a = send(target, flow(sport));
      const b = send(target, flow(sport));
      expect(only(a).port).toBe(only(b).port);
      const bucket = lastWrite(a, 'meta.ecmpSelect') ?? 0n;
      expect(bucket).toBeLessThan(BigInt(ECMP_BUCKETS));
      expect(only(a).port).toBe(1 + Number(bucket % 4n));
      const d = dissect(only(a).data);
      expect(findLayer(d, 'ipv4')).toMatchObject({ ttl: 63, checksumOk: true });
      expect(findLayer(d, 'ethernet')).toMatchObject({ src: '00:00:00:00:00:ee', dst: `00:00:00:00:01:${bucket.toString(16).padStart(2, '0')}` });
      ports.add(only(a).port);
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
