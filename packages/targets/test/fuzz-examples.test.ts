/**
 * Every example NF, fed random and mutated byte strings on the reference
 * target (issue 3, acceptance 2): no exception escapes the packet loop, and
 * every outcome is defined — a drop with a known reason, or outputs on real
 * ports — with only P4_16 core parser errors.
 *
 * Inputs: random bytes (0..200 long, bare or behind a plausible Ethernet
 * header), and mutations of well-formed packets built with the packet
 * library: truncations, flipped bytes, IPv4 IHL / total length, UDP length
 * and TCP data offset fields that lie, huge option lengths, appended junk.
 * Every truncation of every base packet is run as well. Each NF is loaded
 * with a few entries so that its tables hit on the base packets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PARSER_ERRORS, type KeyMatch } from '@mpvisor/mpapi';
import {
  arp,
  ethernet,
  icmp,
  ipv4,
  ipv6,
  loadPipeline,
  MAX_PORT,
  packet,
  payload,
  tcp,
  udp,
  vlan,
  type DropReason,
  type PipelineSource,
  type ProcessResult,
  type Update,
} from '@mpvisor/runtime';
import { ReferenceTarget } from '@mpvisor/targets';
import { ECMP_BUCKETS, policies, programs } from '../../../examples/nfs/index.js';

/** fast-check runs per NF; with 10 NFs and the truncation sweeps, over 100,000 packets in all. */
const RUNS_PER_NF = 10_000;
const MIN_TOTAL = 100_000;

const DROP_REASONS: ReadonlySet<DropReason> = new Set<DropReason>(['dropped', 'unknownMulticastGroup', 'emptyMulticastGroup', 'resubmitLimit']);
const CORE_ERRORS: ReadonlySet<string> = new Set<string>(PARSER_ERRORS);
const INSTANCES: ReadonlySet<string> = new Set(['normal', 'replica', 'ingressClone', 'egressClone']);

// ---------------------------------------------------------------- entries, so that tables hit

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const mac = (s: string): bigint => BigInt(`0x${s.replace(/:/g, '')}`);
const exact = (v: number | bigint): KeyMatch => ({ kind: 'exact', value: hex(v) });
const ANY: KeyMatch = { kind: 'any' };
const entry = (program: string, stage: string, matches: KeyMatch[], action: string, args: Record<string, number | bigint> = {}, priority?: number): Update => ({
  type: 'insert',
  entity: {
    kind: 'tableEntry',
    program,
    stage,
    matches,
    action: { kind: 'actionCall', action, args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, hex(v)])) },
    ...(priority !== undefined ? { priority } : {}),
  },
});

const HOST_A = '02:00:00:00:00:01';
const HOST_B = '02:00:00:00:00:02';

const l2Entries = (p: string): Update[] => [
  entry(p, 'smac', [exact(mac(HOST_A))], 'known'),
  entry(p, 'dmac', [exact(mac(HOST_B))], 'forward', { port: 2 }),
  entry(p, 'dmac', [exact(mac(HOST_A))], 'forward', { port: 1 }),
];
const firewallEntries = (p: string): Update[] => [
  entry(p, 'acl', [{ kind: 'ternary', value: hex(ip('10.0.0.0')), mask: hex(ip('255.0.0.0')) }, ANY, { kind: 'ternary', value: hex(17), mask: hex(255) }, ANY, { kind: 'range', low: hex(0), high: hex(1023) }], 'deny', {}, 10),
  entry(p, 'acl', [ANY, { kind: 'ternary', value: hex(ip('192.168.1.1')), mask: hex(0xffffffff) }, ANY, ANY, ANY], 'deny', {}, 20),
  entry(p, 'acl', [ANY, ANY, { kind: 'ternary', value: hex(6), mask: hex(255) }, ANY, { kind: 'range', low: hex(80), high: hex(80) }], 'allow', {}, 30),
];
const routerEntries = (p: string): Update[] => [
  entry(p, 'ipv4_lpm', [{ kind: 'lpm', value: hex(ip('10.0.0.0')), prefixLength: 8 }], 'set_nhop', { nhop: ip('10.0.0.254'), port: 1 }),
  entry(p, 'ipv4_lpm', [{ kind: 'lpm', value: hex(ip('192.168.0.0')), prefixLength: 16 }], 'set_nhop', { nhop: ip('192.168.0.254'), port: 2 }),
  entry(p, 'forward', [exact(ip('10.0.0.254'))], 'set_dmac', { dmac: mac('02:00:00:00:0a:fe'), smac: mac('02:00:00:00:01:00') }),
];
const natEntries = (p: string): Update[] => [
  entry(p, 'nat_snat', [exact(ip('10.0.0.1')), exact(17), exact(40000)], 'rewrite_udp', { addr: ip('203.0.113.1'), port: 61000 }),
  entry(p, 'nat_snat', [exact(ip('10.0.0.1')), exact(6), exact(40000)], 'rewrite_tcp', { addr: ip('203.0.113.1'), port: 61001 }),
];
const floodGroup: Update = { type: 'insert', entity: { kind: 'multicastGroup', id: 1, replicas: [1, 2, 3].map((port) => ({ port, instance: port })) } };

const NFS: readonly { readonly name: string; readonly nf: PipelineSource; readonly updates: readonly Update[] }[] = [
  { name: 'l2switch', nf: programs.l2switch, updates: [...l2Entries('l2-switch'), floodGroup] },
  { name: 'firewall', nf: programs.firewall, updates: firewallEntries('firewall') },
  { name: 'router', nf: programs.router, updates: routerEntries('router') },
  { name: 'arpProxy', nf: programs.arpProxy, updates: [entry('arp-proxy', 'arp_reply', [exact(ip('10.0.0.1')), exact(1)], 'reply', { mac: mac('02:00:00:00:0a:01') })] },
  { name: 'nat', nf: programs.nat, updates: natEntries('nat') },
  {
    name: 'statefulFirewall',
    nf: programs.statefulFirewall,
    // a low threshold and a short window, so that sources get blocked and windows roll over
    updates: [{ type: 'modify', entity: { kind: 'defaultAction', stage: 'track', action: { kind: 'actionCall', action: 'track', args: { threshold: '0x3', window: hex(2000) } } } }],
  },
  {
    name: 'ecmp',
    nf: programs.ecmp,
    updates: [
      entry('ecmp', 'ecmp_group', [{ kind: 'lpm', value: hex(ip('10.0.0.0')), prefixLength: 8 }], 'set_ecmp', { group: 1 }),
      ...Array.from({ length: ECMP_BUCKETS }, (_, i) => entry('ecmp', 'ecmp_nhop', [exact(1), exact(i)], 'set_nhop', { dmac: mac(`02:00:00:00:0b:0${i % 4}`), port: 1 + (i % 4) })),
      ...[1, 2, 3, 4].map((port) => entry('ecmp', 'send_frame', [exact(port)], 'rewrite_mac', { smac: mac(`02:00:00:00:0c:0${port}`) })),
    ],
  },
  { name: 'fwStrict', nf: programs.fwStrict, updates: [] },
  { name: 'tenantA', nf: policies.tenantA, updates: [...l2Entries('l2-switch'), ...firewallEntries('firewall'), floodGroup] },
  { name: 'tenantB', nf: policies.tenantB, updates: [...natEntries('nat'), ...routerEntries('router')] },
];

it('covers every example NF and policy', () => {
  expect(NFS.map((n) => n.name).sort()).toEqual([...Object.keys(programs), ...Object.keys(policies)].sort());
});

// ---------------------------------------------------------------- inputs

const eth = (type?: number) => ethernet({ dst: HOST_B, src: HOST_A, ...(type !== undefined ? { type } : {}) });

/** Well-formed packets that reach the examples' tables. */
const BASES: readonly Uint8Array[] = [
  packet(eth(), ipv4({ src: '10.0.0.1', dst: '10.1.2.3' }), udp({ sport: 40000, dport: 53 }), payload(24)),
  packet(eth(), ipv4({ src: '10.0.0.1', dst: '192.168.1.1' }), tcp({ sport: 40000, dport: 80, options: Uint8Array.of(2, 4, 5, 0xb4) }), payload(10)),
  packet(eth(), ipv4({ src: '172.16.0.9', dst: '10.9.8.7', ttl: 1 }), udp({ sport: 1, dport: 2 }), payload(3)),
  packet(eth(), ipv4({ src: '10.0.0.1', dst: '10.4.4.4', options: Uint8Array.of(0x94, 0x04, 0, 0, 1, 1, 1, 0) }), icmp({ id: 7, seq: 1 }), payload(16)),
  packet(eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', flags: 'MF', fragOffset: 0 }), udp({ sport: 40000, dport: 9 }), payload(40)),
  packet(eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', fragOffset: 185 }), payload(40)),
  packet(ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: HOST_A }), arp({ op: 'request', senderMac: HOST_A, senderIp: '10.0.0.9', targetIp: '10.0.0.1' })),
  packet(ethernet({ dst: HOST_A, src: HOST_B }), arp({ op: 'reply', senderMac: HOST_B, senderIp: '10.0.0.1', targetMac: HOST_A, targetIp: '10.0.0.9' })),
  packet(eth(), vlan({ vid: 10 }), ipv4({ src: '10.0.0.1', dst: '10.1.2.3' }), udp(), payload(8)),
  packet(eth(), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), udp({ sport: 40000, dport: 53 }), payload(8)),
  packet(ethernet({ dst: '02:00:00:00:00:77', src: '02:00:00:00:00:66' }), payload(46)),
];

/** Byte offsets of the IPv4 header and of what follows it, for packets whose Ethernet type is IPv4. */
const L3 = 14;

type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'ihl'; readonly ihl: number }
  | { readonly kind: 'totalLen'; readonly value: number }
  | { readonly kind: 'l4Length'; readonly value: number }
  | { readonly kind: 'tcpOffset'; readonly words: number }
  | { readonly kind: 'etherType'; readonly type: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(120) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(120), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('ihl' as const), ihl: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.constant(15)) }),
  fc.record({ kind: fc.constant('totalLen' as const), value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 19, 20, 21, 0xffff)) }),
  fc.record({ kind: fc.constant('l4Length' as const), value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 7, 8, 0xffff)) }),
  fc.record({ kind: fc.constant('tcpOffset' as const), words: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.constant(15)) }),
  fc.record({ kind: fc.constant('etherType' as const), type: fc.oneof(fc.constantFrom(0x0800, 0x0806, 0x8100, 0x86dd, 0x88b5), fc.integer({ min: 0, max: 0xffff })) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
);

function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(base);
  const set = (at: number, v: number): void => {
    if (at < b.length) b[at] = v & 0xff;
  };
  const ihlBytes = (): number => ((b[L3] ?? 0x45) & 0x0f) * 4;
  for (const m of mutations) {
    switch (m.kind) {
      case 'truncate':
        b = b.subarray(0, Math.min(m.at, b.length));
        break;
      case 'flip':
        if (b.length > 0) set(m.at % b.length, b[m.at % b.length]! ^ m.xor);
        break;
      case 'ihl':
        set(L3, ((b[L3] ?? 0x40) & 0xf0) | m.ihl);
        break;
      case 'totalLen':
        set(L3 + 2, m.value >> 8);
        set(L3 + 3, m.value);
        break;
      case 'l4Length': // the UDP length (or TCP sequence number bytes: harmless)
        set(L3 + ihlBytes() + 4, m.value >> 8);
        set(L3 + ihlBytes() + 5, m.value);
        break;
      case 'tcpOffset':
        set(L3 + ihlBytes() + 12, (m.words << 4) | ((b[L3 + ihlBytes() + 12] ?? 0) & 0x0f));
        break;
      case 'etherType':
        set(12, m.type >> 8);
        set(13, m.type);
        break;
      case 'append':
        b = Uint8Array.from([...b, ...m.bytes]);
        break;
    }
  }
  return b;
}

const randomBytes = fc.uint8Array({ minLength: 0, maxLength: 200 });
const behindEthernet = fc
  .tuple(fc.constantFrom(0x0800, 0x0806, 0x8100, 0x86dd), fc.uint8Array({ minLength: 0, maxLength: 186 }))
  .map(([type, rest]) => Uint8Array.from([...packet(eth(type)), ...rest]));
const mutated = fc.tuple(fc.constantFrom(...BASES), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([base, ms]) => mutate(base, ms));

const input = fc.record({
  data: fc.oneof({ arbitrary: randomBytes, weight: 1 }, { arbitrary: behindEthernet, weight: 1 }, { arbitrary: mutated, weight: 3 }),
  port: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: MAX_PORT })),
  trace: fc.boolean(),
});

// ---------------------------------------------------------------- the property

let total = 0;
let seconds = 0;

/** What must hold for any packet; `trace` also checks the parser errors. */
function checkOutcome(r: ProcessResult, withTrace: boolean): void {
  expect(r.passes).toBeGreaterThanOrEqual(1);
  if (r.dropped !== undefined) expect(DROP_REASONS.has(r.dropped)).toBe(true);
  else expect(r.outputs.some((o) => o.instance === 'normal' || o.instance === 'replica')).toBe(true);
  for (const o of r.outputs) {
    expect(Number.isInteger(o.port) && o.port >= 0 && o.port <= MAX_PORT).toBe(true);
    expect(o.data).toBeInstanceOf(Uint8Array);
    expect(INSTANCES.has(o.instance)).toBe(true);
  }
  if (withTrace) {
    const errors = (r.trace ?? []).flatMap((e) => (e.kind === 'parser' ? [e.error] : []));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const e of errors) expect(CORE_ERRORS.has(e)).toBe(true);
  }
}

describe.each(NFS)('$name', ({ nf, updates }) => {
  const target = new ReferenceTarget();
  target.load(loadPipeline(nf));
  const w = target.write(updates);

  it('loads with its entries', () => {
    expect(w.results.filter((r) => !r.ok)).toEqual([]);
  });

  let clock = 0n;
  const run = (data: Uint8Array, port: number, trace: boolean): void => {
    clock += 137n; // µs: a few hundred packets per stateful-firewall window
    let r: ProcessResult;
    try {
      r = target.process({ port, data, timestamp: clock }, { trace });
    } catch (e) {
      throw new Error(`an exception escaped the packet loop for ${Buffer.from(data).toString('hex')} on port ${port}: ${(e as Error).stack ?? String(e)}`);
    }
    checkOutcome(r, trace);
    for (const d of target.drainDigests()) for (const v of Object.values(d.values)) expect(v).toMatch(/^0x(0|[1-9a-f][0-9a-f]*)$/);
    total++;
  };

  it('well-formed packets and every truncation of them', () => {
    const start = performance.now();
    for (const base of BASES) for (let n = 0; n <= base.length; n++) run(base.subarray(0, n), 1, true);
    seconds += (performance.now() - start) / 1000;
  });

  it(`${RUNS_PER_NF} random and mutated byte strings`, () => {
    const start = performance.now();
    fc.assert(
      fc.property(input, ({ data, port, trace }) => run(data, port, trace)),
      { numRuns: RUNS_PER_NF },
    );
    seconds += (performance.now() - start) / 1000;
  });

  it('the entries were hit: the packets went deep into the NF', () => {
    const program = (name: string) => loadPipeline(nf).steps.find((s) => s.program.name === name)!.program;
    const tables = target.resources().tables;
    const keyed = tables.filter((t) => program(t.program).stages.find((s) => s.name === t.stage)!.keys.length > 0);
    expect(tables.some((t) => t.hits + t.misses > 0)).toBe(true);
    // a stage without keys always misses (it runs its default action), so only keyed stages can hit
    if (keyed.length > 0) expect(keyed.some((t) => t.hits > 0)).toBe(true);
  });
});

it(`ran at least ${MIN_TOTAL} packets through the examples`, () => {
  expect(total).toBeGreaterThanOrEqual(MIN_TOTAL);
  if (process.env['MPVISOR_FUZZ_REPORT']) console.info(`fuzz: ${total} packets in ${seconds.toFixed(1)} s, ${Math.round(total / seconds)} packets/s (input generation and checks included)`);
});
