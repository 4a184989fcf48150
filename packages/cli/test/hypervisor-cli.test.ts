/**
 * `mpvisor hv` and `mpvisor report`, in-process.
 *
 * hv: the two-tenant data plane (examples/hypervisor/two-tenants.yaml)
 * must send out of each port exactly what that tenant's policy, run on its
 * own on the reference target with its own packets, sends there — byte for
 * byte, in order — with tenant B's VLAN tag taken off before and put back
 * after, and nothing sent outside a tenant's ports. Bad configurations fail
 * naming the file and the place, and leave no output file.
 *
 * report: the three HyperV tables with the paper's figures and ours, where
 * ours are what imageReport and tableUsage give for each vPDP run alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CommandResult } from '@mpvisor/cli';
import {
  classifierRules,
  DEFAULT_IMAGE,
  entriesToUpdates,
  hex,
  Hypervisor,
  imageReport,
  installEntries,
  loadPipeline,
  parseEntriesFile,
  parseHypervisorConfig,
  readCaptureAll,
  tableUsage,
  type PipelineSource,
  type Spread,
  type TableUsage,
  type VirtualResult,
} from '@mpvisor/runtime';
import { ReferenceSlotEngine, ReferenceTarget } from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';
import { TWO_TENANTS, vlanTagged } from '../../../scripts/make-captures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CAPTURES = join(ROOT, 'examples/captures');
const TWO = join(ROOT, 'examples/hypervisor/two-tenants.yaml');
const SEED = join(ROOT, 'examples/hypervisor/seed-nfs.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'mpvisor-hv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]): Promise<CommandResult> => runCli(args, '0.0.0');

// ---------------------------------------------------------------- native expectations

interface Expected {
  /** Egress port → frames, in order. */
  readonly ports: Map<number, string[]>;
  /** Input packets that leave nothing on the data plane (drops, contained-only, unclassified). */
  dropped: number;
  contained: number;
  unclassified: number;
}

const add = (e: Expected, port: number, data: Uint8Array): void => void e.ports.set(port, [...(e.ports.get(port) ?? []), hex(data)]);

/** The VLAN id of an 802.1Q-tagged frame and the frame without its tag, or undefined. */
function untag(data: Uint8Array): { vid: number; inner: Uint8Array } | undefined {
  if (data.length < 18 || data[12] !== 0x81 || data[13] !== 0x00) return undefined;
  const inner = new Uint8Array(data.length - 4);
  inner.set(data.subarray(0, 12));
  inner.set(data.subarray(16), 12);
  return { vid: ((data[14]! << 8) | data[15]!) & 0xfff, inner };
}

/** A policy on the reference target, alone, with its entries. */
function native(source: PipelineSource, entriesFile: string): ReferenceTarget {
  const t = new ReferenceTarget();
  const pipeline = loadPipeline(source);
  t.load(pipeline);
  installEntries(t, pipeline, readFileSync(entriesFile, 'utf8'), entriesFile);
  return t;
}

async function expectedTwoTenants(): Promise<Expected> {
  const e: Expected = { ports: new Map(), dropped: 0, contained: 0, unclassified: 0 };
  // tenant A: everything on port 1, as it is
  const a = native(policies.tenantA, join(CAPTURES, 'two-tenants.tenant-a.entries.yaml'));
  for (const p of await readCaptureAll(join(CAPTURES, 'two-tenants.tenant-a.pcap'))) {
    const r = a.process({ port: TWO_TENANTS.tenantA.inPort, data: p.data, timestamp: p.timestampMicros });
    for (const o of r.outputs) {
      expect(TWO_TENANTS.tenantA.ports).toContain(o.port);
      add(e, o.port, o.data);
    }
    if (r.outputs.length === 0) e.dropped++;
  }
  // tenant B: only VLAN 100 is its own; its policy sees the frame untagged, what it sends is tagged again
  const b = native(policies.tenantB, join(CAPTURES, 'two-tenants.tenant-b.entries.json'));
  const own: readonly number[] = TWO_TENANTS.tenantB.ports;
  for (const p of await readCaptureAll(join(CAPTURES, 'two-tenants.tenant-b.pcap'))) {
    const tag = untag(p.data);
    if (!tag || tag.vid !== TWO_TENANTS.tenantB.vlan) {
      e.unclassified++;
      e.dropped++;
      continue;
    }
    const r = b.process({ port: TWO_TENANTS.tenantB.inPort, data: tag.inner, timestamp: p.timestampMicros });
    const inside = r.outputs.filter((o) => own.includes(o.port));
    e.contained += r.outputs.length - inside.length;
    for (const o of inside) add(e, o.port, vlanTagged(o.data, TWO_TENANTS.tenantB.vlan));
    if (inside.length === 0) e.dropped++;
  }
  return e;
}

// ---------------------------------------------------------------- hv

describe('mpvisor hv on two tenants', () => {
  const out = join(tmp, 'two-tenants');
  let r: CommandResult;
  let expected: Expected;
  beforeAll(async () => {
    r = await cli('hv', TWO, '--out', out, '--drops', '--trace', '2');
    expected = await expectedTwoTenants();
  });

  it('succeeds and writes one capture per egress port and dropped.pcap', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ports = [...expected.ports.keys()].sort((x, y) => x - y);
    expect(ports.length).toBeGreaterThanOrEqual(5);
    expect(readdirSync(out).sort()).toEqual(['dropped.pcap', ...ports.map((p) => `port-${p}.pcap`)].sort());
  });

  it('sends out of every port exactly what the tenant owning it sends there natively, byte for byte', async () => {
    for (const [port, frames] of expected.ports) {
      const got = await readCaptureAll(join(out, `port-${port}.pcap`));
      expect(got.map((p) => hex(p.data)), `port ${port}`).toEqual(frames);
    }
    // both tenants' traffic went through, on disjoint ports
    expect([...expected.ports.keys()].some((p) => (TWO_TENANTS.tenantA.ports as readonly number[]).includes(p))).toBe(true);
    expect([...expected.ports.keys()].some((p) => (TWO_TENANTS.tenantB.ports as readonly number[]).includes(p))).toBe(true);
  });

  it('keeps the input timestamps and interleaves the two captures by time', async () => {
    const a = await readCaptureAll(join(CAPTURES, 'two-tenants.tenant-a.pcap'));
    const b = await readCaptureAll(join(CAPTURES, 'two-tenants.tenant-b.pcap'));
    const inputTimes = new Set([...a, ...b].map((p) => p.timestampNanos));
    for (const f of readdirSync(out)) for (const p of await readCaptureAll(join(out, f))) expect(inputTimes.has(p.timestampNanos), f).toBe(true);
    // the first two packets traced: tenant A's first, then tenant B's (half a millisecond later)
    expect(r.stdout).toMatch(/^packet 1 \(in port 1, \d+ bytes\) -> vPDP 1 "tenant-a"/m);
    expect(r.stdout).toMatch(/^packet 2 \(in port 5, \d+ bytes\) -> vPDP 2 "tenant-b"/m);
    // traces name the tenant's fields, not the image's positional ones
    expect(r.stdout).toContain('stage smac: ethernet.srcAddr=');
    expect(r.stdout).not.toMatch(/\bh\d+\.f\d+\b/);
  });

  it('writes the drops, the contained and the unclassified packets to dropped.pcap', async () => {
    expect(expected.unclassified).toBe(2);
    expect(expected.contained).toBeGreaterThan(0);
    expect((await readCaptureAll(join(out, 'dropped.pcap'))).length).toBe(expected.dropped);
  });

  it('prints a summary per tenant, the unclassified packets and the image', () => {
    const a = sectionOf(r.stdout, 'vPDP 1 "tenant-a"');
    const b = sectionOf(r.stdout, 'vPDP 2 "tenant-b"');
    expect(a).toContain('policy tenant-a (l2-switch >> firewall); ports 1-4, classified by port 1, port 2, port 3, port 4');
    expect(a).toContain('24 packets in');
    expect(a).toContain('contained (sent outside the vPDP): 0');
    expect(a).toMatch(/digests: mac_learn \d+/);
    expect(a).toMatch(/slot passes per packet: median 1, max 1/);
    expect(a).toMatch(/tables per packet: generic \d+(\.5)? \(\d+–\d+\) vs native \d+(\.5)? \(\d+–\d+\)/);
    expect(a).toMatch(/l2-switch\.smac\s+hit\s+\d+\s+miss\s+\d+\s+entries 4\/\d+/);
    expect(a).toMatch(/firewall\.acl\s+hit\s+\d+/);
    expect(b).toContain('classified by VLAN 100');
    expect(b).toContain('22 packets in');
    expect(b).toContain(`contained (sent outside the vPDP): ${expected.contained}`);
    expect(b).toContain(`${expected.contained} (outsideVpdp)`);
    expect(b).toMatch(/router\.ipv4_lpm\s+hit\s+\d+/);
    expect(r.stdout).toContain('48 packets in: 46 classified, 2 unclassified');
    expect(r.stdout).toContain('unclassified: 2 (no classifier rule matches: 2)');
    const t = imageReport({ ...DEFAULT_IMAGE, slots: 4, primitivesPerSlot: 16 }).tables;
    expect(r.stdout).toContain(`data plane: 2 vPDPs on one generic image of 4 stage slots with 16 primitive tables each: ${t.total} tables declared`);
    expect(r.stdout).toContain(`output captures in ${out}/`);
  });

  it('writes captures tshark reads without a malformed packet (tenant B’s tagged frames included)', () => {
    for (const f of readdirSync(out)) {
      let text: string;
      try {
        text = execFileSync('tshark', ['-n', '-r', join(out, f)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('tshark is not installed: run scripts/ensure-system-deps.sh');
        throw e;
      }
      expect(text, f).not.toMatch(/malformed/i);
      expect(text.split('\n').filter((l) => l.trim() !== '').length, f).toBeGreaterThan(0);
    }
  });

  it('takes the slot count from --slots: with one slot every stage after the first costs a pass', async () => {
    const one = await cli('hv', TWO, '--slots', '1');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('one generic image of 1 stage slot with 16 primitive tables each');
    expect(sectionOf(one.stdout, 'vPDP 1 "tenant-a"')).toMatch(/slot passes per packet: median [2-9]/);
  });
});

/** The summary section of one tenant: from its heading (a line of its own, not a trace's) to the next blank line. */
function sectionOf(stdout: string, heading: string): string {
  const at = stdout.indexOf(`\n${heading}: `);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const end = stdout.indexOf('\n\n', at);
  return stdout.slice(at, end < 0 ? undefined : end);
}

// ---------------------------------------------------------------- bad configurations

describe('mpvisor hv refuses a bad configuration, naming the file and the place, and writes nothing', () => {
  const good = readFileSync(TWO, 'utf8').replaceAll('../', `${ROOT}examples/`);
  let n = 0;
  async function refuse(edit: (text: string) => string, ...expected: (string | RegExp)[]): Promise<CommandResult> {
    const file = join(tmp, `bad-${++n}.yaml`);
    const text = edit(good);
    expect(text, 'the edit changed nothing').not.toBe(good);
    writeFileSync(file, text);
    const out = join(tmp, `bad-out-${n}`);
    const r = await cli('hv', file, '--out', out, '--drops');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    for (const e of expected) expect(r.stderr).toMatch(typeof e === 'string' ? new RegExp(e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : e);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    return r;
  }

  it('an unknown key', async () => {
    await refuse((t) => t.replace('    ports: [5, 6, 7]', '    prots: [5, 6, 7]'), 'unknown property "prots" in vPDP', '(at $.vpdps[1].prots)');
    await refuse((t) => t.replace('  slots: 4', '  slot: 4'), 'unknown property "slot" in image', '(at $.image.slot)');
    await refuse((t) => t.replace('{ vlan: 100 }', '{ vlan: 100, vni: 5 }'), 'unknown property "vni" in classifier rule', '(at $.vpdps[1].classify[0].vni)');
  });

  it('a wrong type', async () => {
    await refuse((t) => t.replace('    ports: [5, 6, 7]', '    ports: "5,6,7"'), 'expected a list of ports, got "5,6,7"', '(at $.vpdps[1].ports)');
    await refuse((t) => t.replace('    ports: [5, 6, 7]', '    ports: [5, 6, 700]'), 'expected a port, a whole number 0..510, got 700', '(at $.vpdps[1].ports[2])');
    await refuse((t) => t.replace('{ vlan: 100 }', '{ vlan: 100, port: 5 }'), 'exactly one of port, vlan, vxlan, descriptionHeader; this one has port and vlan', '(at $.vpdps[1].classify[0])');
    await refuse((t) => t.replace('    name: tenant-b\n', ''), 'missing property "name" in vPDP', '(at $.vpdps[1].name)');
  });

  it('a missing file', async () => {
    await refuse((t) => t.replace('two-tenants.tenant-b.pcap', 'nope.pcap'), 'NOT_FOUND', 'vPDP "tenant-b": capture', 'nope.pcap does not exist', '(at $.vpdps[1].pcap)');
    await refuse((t) => t.replace('two-tenants.tenant-a.entries.yaml', 'nope.yaml'), 'entries file', '(at $.vpdps[0].entries)');
    const r = await cli('hv', join(tmp, 'no-such-config.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mpvisor hv: ${join(tmp, 'no-such-config.yaml')}: no such file`);
  });

  it('overlapping ports', async () => {
    await refuse((t) => t.replace('    ports: [5, 6, 7]', '    ports: [4, 5, 6, 7]'), 'PERMISSION_DENIED', 'vPDP "tenant-b": port 4 belongs to vPDP "tenant-a"', '(at $.vpdps[1].ports[0])');
    await refuse((t) => t.replace('    ports: [5, 6, 7]', '    ports: [5, 6, 7]\n    multicastGroups: [1]'), 'multicast group 1 belongs to vPDP "tenant-a"', '(at $.vpdps[1].multicastGroups[0])');
  });

  it('bad entries: an entry that sends outside the vPDP, an unknown stage', async () => {
    // tenant B's own entries file routes to ports 2 and 3, tenant A's
    await refuse(
      (t) => t.replace('two-tenants.tenant-b.entries.json', 'tenant-b.entries.json'),
      'vPDP "tenant-b"',
      '(at $.vpdps[1].entries)',
      'tenant-b.entries.json: PERMISSION_DENIED: vPDP "tenant-b": ipv4_lpm/set_nhop sends to port 2, outside the vPDP (at $.programs.router.tables.ipv4_lpm[0])',
    );
    const entries = join(tmp, 'unknown-stage.entries.json');
    writeFileSync(entries, JSON.stringify({ tables: { no_such_stage: [] } }));
    await refuse((t) => t.replace(`${ROOT}examples/captures/two-tenants.tenant-b.entries.json`, entries), 'vPDP "tenant-b"', 'unknown-stage.entries.json', '(at $.tables.no_such_stage)');
  });

  it('a program that does not fit the image: the install names the vPDP and what is short', async () => {
    await refuse(
      (t) => t.replace('  primitivesPerSlot: 16', '  primitivesPerSlot: 16\n  headerBits: 800'),
      'vPDP "tenant-a"',
      '(at $.vpdps[0].nf)',
      'RESOURCE_EXHAUSTED: program "firewall": does not fit the image: needs 1136 header area bits, the image has 800',
    );
  });

  it('an NF the module does not export', async () => {
    await refuse((t) => t.replace('export: tenantB', 'export: tenantC'), 'vPDP "tenant-b"', '(at $.vpdps[1].nf)', 'no export or NF named "tenantC"');
  });

  it('a capture that breaks off in the middle: the run fails and leaves no output capture', async () => {
    const cut = join(tmp, 'cut.pcap');
    const whole = readFileSync(join(CAPTURES, 'two-tenants.tenant-b.pcap'));
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    await refuse((t) => t.replace(`${ROOT}examples/captures/two-tenants.tenant-b.pcap`, cut), 'vPDP "tenant-b"', '(at $.vpdps[1].pcap)', 'truncated');
  });

  it('bad flags', async () => {
    expect((await cli('hv', TWO, '--slots', '0')).code).toBe(2);
    expect((await cli('hv', TWO, '--format', 'csv')).code).toBe(2);
    expect((await cli('hv')).code).toBe(2);
  });
});

// ---------------------------------------------------------------- the configuration format

describe('parseHypervisorConfig', () => {
  it('reads JSON as well as YAML, resolves paths against the file, and restricts tag rules to the vPDP’s ports', () => {
    const json = JSON.stringify({
      vpdps: [
        {
          id: 7,
          name: 'overlay',
          ports: [10, 11, 12],
          classify: [{ vxlan: 5000 }, { descriptionHeader: true, ports: [12] }, { vlan: 42, ports: [10, 11] }, { port: 12 }],
          nf: { module: 'nfs/x.ts' },
          pcap: '/abs/in.pcap',
        },
      ],
    });
    const c = parseHypervisorConfig(json, 'conf/plane.json');
    const v = c.vpdps[0]!;
    expect(c.image).toEqual({});
    expect(v.nf).toEqual({ module: join('conf', 'nfs/x.ts') });
    expect(v.pcap).toBe('/abs/in.pcap');
    expect(v.inPort).toBe(10);
    expect(v.path).toBe('$.vpdps[0]');
    expect(v.classify).toEqual([
      { kind: 'vxlan', vni: 5000, vpdp: 7, ports: [10, 11, 12] },
      { kind: 'descriptionHeader', ports: [12] },
      { kind: 'vlan', vid: 42, vpdp: 7, ports: [10, 11] },
      { kind: 'port', port: 12, vpdp: 7 },
    ]);
    expect(classifierRules(c)).toEqual(v.classify);
  });

  it('names the file and every JSON path of a bad one', () => {
    const bad = `vpdps:
  - { id: 1, name: a, ports: [1, 2], classify: [{ port: 3 }, { vlan: 5000 }], nf: { module: m.ts }, inPort: 9 }
  - { id: 1, name: a, ports: [], classify: [], nf: { module: m.ts, exprt: x } }
`;
    let message = '';
    try {
      parseHypervisorConfig(bad, 'p.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('p.yaml: expected a VLAN id, a whole number 0..4095, got 5000 (at $.vpdps[0].classify[1].vlan)');
    expect(message).toContain('p.yaml: unknown property "exprt" in nf (expected module, export, registry) (at $.vpdps[1].nf.exprt)');
    const semantic = bad.replace('{ vlan: 5000 }', '{ vlan: 50 }').replace(', exprt: x', '');
    try {
      parseHypervisorConfig(semantic, 'p.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('p.yaml: vPDP "a": port 3 is not one of its ports (1, 2) (at $.vpdps[0].classify[0].port)');
    expect(message).toContain('p.yaml: vPDP "a": port 9 is not one of its ports (1, 2) (at $.vpdps[0].inPort)');
    expect(message).toContain('p.yaml: vPDP id 1 is already used at $.vpdps[0] (at $.vpdps[1].id)');
    expect(message).toContain('p.yaml: vPDP name "a" is already used at $.vpdps[0] (at $.vpdps[1].name)');
    expect(message).toContain('p.yaml: vPDP "a" has no ports (at $.vpdps[1].ports)');
    expect(message).toContain('p.yaml: vPDP "a" has no classifier rule, so no packet would reach it (at $.vpdps[1].classify)');
    expect(() => parseHypervisorConfig('vpdps: [', 'p.yaml')).toThrow(/^INVALID_ARGUMENT: p\.yaml: not valid YAML/);
  });
});

// ---------------------------------------------------------------- report

/** What the report must say for a vPDP of seed-nfs.yaml: run alone, on a fresh hypervisor. */
async function measure(source: PipelineSource, capture: string, entries: string, slots = 4): Promise<TableUsage> {
  const hv = new Hypervisor({ executor: new ReferenceSlotEngine(), image: { slots, primitivesPerSlot: 16 } });
  hv.createVpdp({ id: 1, name: 'm', ports: [0, 1, 2, 3, 4, 5, 6, 7], multicastGroups: [1] });
  hv.setClassifier([{ kind: 'port', port: 1, vpdp: 1 }]);
  hv.install(1, source);
  const path = join(CAPTURES, entries);
  const w = hv.tenant(1).write(entriesToUpdates(parseEntriesFile(readFileSync(path, 'utf8'), path), loadPipeline(source), path).updates, 'rollbackOnError');
  expect(w.ok).toBe(true);
  const results: VirtualResult[] = [];
  for (const p of await readCaptureAll(join(CAPTURES, capture))) {
    const r = hv.process({ port: 1, data: p.data, timestamp: p.timestampMicros });
    if (r.vpdp !== undefined) results.push(r);
  }
  return tableUsage(results);
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
const mr = (s: Spread): string => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
const row = (...cells: string[]): RegExp => new RegExp(`^\\s*${cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+')}\\s*$`, 'm');

describe('mpvisor report', () => {
  let r: CommandResult;
  beforeAll(async () => {
    r = await cli('report', SEED);
  });

  it('prints HyperV Table I: the paper’s figures and the image’s', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Table I: tables the generic image declares (HyperV paper (ICCCN'17), Table I)");
    expect(r.stdout).toMatch(row('HyperV (paper)', '2', '3', '4', '4', '16', '24', '101*'));
    const t = imageReport({ ...DEFAULT_IMAGE, slots: 4, primitivesPerSlot: 16 }).tables;
    expect(r.stdout).toMatch(row('MPVisor image', String(t.config), String(t.other), String(t.condition), String(t.match), String(t.action), String(t.perSlot), String(t.total)));
  });

  it('prints HyperV Table II: metadata bits of HyperV, Hyper4 and the image', () => {
    expect(r.stdout).toContain("Table II: metadata bits the image declares (HyperV paper (ICCCN'17), Table II)");
    expect(r.stdout).toMatch(row('HyperV (paper)', '800', '256', '312', '1368'));
    expect(r.stdout).toMatch(row('Hyper4 (paper)', '800', '256', '2256', '3312'));
    const m = imageReport({ ...DEFAULT_IMAGE, slots: 4, primitivesPerSlot: 16 }).metadata;
    expect(r.stdout).toMatch(row('MPVisor image', String(m.header), String(m.user), String(m.control), String(m.total)));
  });

  it('prints HyperV Table III: each vPDP measured alone, the numbers tableUsage gives, next to the paper’s', async () => {
    expect(r.stdout).toContain("(HyperV paper (ICCCN'17), Table III)");
    const seed: [string, string, PipelineSource, string, string, string[]][] = [
      ['l2-switch', 'l2-switch', programs.l2switch, 'l2-switch.pcap', 'l2-switch.entries.json', ['2', '13', '5']],
      ['firewall', 'firewall', programs.firewall, 'firewall.pcap', 'firewall.entries.yaml', ['3', '22', '8']],
      ['router', 'router', programs.router, 'router.pcap', 'router.entries.json', ['4', '28', '16']],
      ['arp-proxy', 'arp-proxy', programs.arpProxy, 'arp-proxy.pcap', 'arp-proxy.entries.json', ['4', '48', '10']],
      ['l2-switch+firewall', 'tenant-a (l2-switch >> firewall)', policies.tenantA, 'tenant-a.pcap', 'tenant-a.entries.yaml', ['-', '-', '-']],
    ];
    for (const [vpdp, nf, source, capture, entries, paper] of seed) {
      const u = await measure(source, capture, entries);
      expect(u.packets).toBeGreaterThan(0);
      expect(r.stdout).toMatch(row(vpdp, nf, String(u.packets), mr(u.native), mr(u.virtual), mr(u.slotPasses), ...paper));
    }
  });

  it('prints per program its bits, stages, stage ids and worst-case passes; --slots and --primitives change the image', async () => {
    expect(r.stdout).toMatch(row('router', 'router', '592', '32', '2', '3', '5', '0, 1, 2, 3, 4 (5 ids)', '0, 1, 2, 3, 0', '2'));
    const one = await cli('report', SEED, '--slots', '1', '--primitives', '8');
    expect(one.code).toBe(0);
    const t = imageReport({ ...DEFAULT_IMAGE, slots: 1, primitivesPerSlot: 8 }).tables;
    expect(one.stdout).toContain('image of N=1 stage slots, K=8 primitive tables per slot');
    expect(one.stdout).toMatch(row('HyperV (paper)', '2', '3', '4', '4', '16', '24', '29*'));
    expect(one.stdout).toMatch(row('MPVisor image', '2', '3', '1', '4', '8', String(t.perSlot), String(t.total)));
    // every stage of the router in the one slot: a pass for each stage on its longest path (4 of its 5)
    expect(one.stdout).toMatch(row('router', 'router', '592', '32', '2', '3', '5', '0, 1, 2, 3, 4 (5 ids)', '0, 0, 0, 0, 0', '4'));
  });

  it('reads examples/hypervisor/seed-nfs.yaml by default and refuses a missing configuration', async () => {
    if (statSync(join(process.cwd(), 'examples/hypervisor/seed-nfs.yaml'), { throwIfNoEntry: false })) {
      const d = await cli('report');
      expect(d.code).toBe(0);
      expect(d.stdout).toContain('Hypervisor resource report for examples/hypervisor/seed-nfs.yaml');
    }
    const missing = await cli('report', join(tmp, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: no such file');
  });

  it('names the vPDP and the place when a vPDP cannot be measured', async () => {
    const file = join(tmp, 'seed-bad.yaml');
    writeFileSync(file, readFileSync(SEED, 'utf8').replaceAll('../', `${ROOT}examples/`).replace('router.entries.json', 'l2-switch.entries.json'));
    const bad = await cli('report', file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('vPDP "router"');
    expect(bad.stderr).toContain('(at $.vpdps[2].entries)');
  });
});
