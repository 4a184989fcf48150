/**
 * Acceptance of the registry (issue 7), end to end through the library API,
 * once over a local OCI image layout and once over a real docker-registry
 * with htpasswd auth: (a) the seed firewall's source is audited, then it is
 * published; (b) it is pulled, verified, and written as a typed module that
 * loads back to the same IR; (c) a stricter firewall is derived from the
 * pulled builder in under 10 lines, type-checked against the published NF;
 * (d) the derived NF is published and records its parent's digest, which
 * inspect finds published in the same store; (e) both are installed from
 * the registry on a running hypervisor while packets flow, and each vPDP
 * sends out exactly what its NF sends natively on the reference target,
 * byte for byte, the derived one differing from its parent only where the
 * derive changed it.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bit, digestOf } from '@mpvisor/mpapi';
import { dissect, entriesToUpdates, findLayer, hex, Hypervisor, loadPipeline, parseEntriesFile, readCaptureAll, type PacketOut, type PipelineSource, type Update } from '@mpvisor/runtime';
import { ReferenceSlotEngine, ReferenceTarget } from '@mpvisor/targets';
import { ANNOTATION, assertAudited, auditModule, installFromRegistry, openStore, Registry, writeTypedModule, type PublishedNf, type RegistryInstall } from '@mpvisor/registry';
import { firewallStrict as exampleStrict } from '../../../examples/registry/firewall-strict.js';
import { startRegistryServer, type RegistryServer } from './support/registry-server.js';

/** The typed module `mpvisor pull` writes for acme/firewall@1.0.0 (committed in examples/registry): its types are the pulled module's. */
type PulledFirewallModule = typeof import('../../../examples/registry/firewall.js');
type PulledFirewall = PulledFirewallModule['firewall'];

const FIREWALL_SOURCE = fileURLToPath(new URL('../../../examples/nfs/firewall.ts', import.meta.url));
const ENTRIES = fileURLToPath(new URL('../../../examples/captures/firewall.entries.yaml', import.meta.url));
const CAPTURE = fileURLToPath(new URL('../../../examples/captures/firewall.pcap', import.meta.url));

interface OpenedStore {
  readonly registry: Registry;
  close(): Promise<void>;
}

const STORES: readonly (readonly [string, (tmp: string) => Promise<OpenedStore>])[] = [
  ['a local OCI image layout', async (tmp) => ({ registry: new Registry(openStore(join(tmp, 'registry'))), close: async () => {} })],
  [
    'a real docker-registry (htpasswd auth)',
    async () => {
      const server: RegistryServer = await startRegistryServer({ auth: 'htpasswd' });
      const registry = new Registry(openStore(server.url, { credentials: { username: server.username, password: server.password } }));
      return { registry, close: () => server.stop() };
    },
  ],
];

/** A result as compared: the drop reason and the outputs, bytes in hex. */
const outcome = (r: { readonly dropped?: string | undefined; readonly outputs: readonly PacketOut[] }) => ({
  dropped: r.dropped ?? null,
  outputs: r.outputs.map((o) => ({ port: o.port, data: hex(o.data) })),
});
type Outcome = ReturnType<typeof outcome>;

/** The firewall's shipped entries, as updates for its pipeline. */
function firewallEntries(nf: PipelineSource): readonly Update[] {
  return entriesToUpdates(parseEntriesFile(readFileSync(ENTRIES, 'utf8'), ENTRIES), loadPipeline(nf), ENTRIES).updates;
}

/** What `nf` does with each packet natively, on the reference target with `entries`, entering on `port`. */
function native(nf: PipelineSource, entries: readonly Update[], packets: readonly Uint8Array[], port: number): Outcome[] {
  const target = new ReferenceTarget();
  const pipeline = loadPipeline(nf);
  target.load(pipeline);
  const w = target.write(entries, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`native ${pipeline.name}: entries refused: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  return packets.map((data) => outcome(target.process({ port, data })));
}

/** What the derive lets through, read off the packet independently of any target: what is not IPv4, HTTP, HTTPS and DNS. */
function derivedAllows(data: Uint8Array): boolean {
  const d = dissect(data);
  if (findLayer(d, 'ipv4') === undefined) return true;
  const tcp = findLayer(d, 'tcp');
  const udp = findLayer(d, 'udp');
  return (tcp !== undefined && (tcp.dport === 80 || tcp.dport === 443)) || (udp !== undefined && udp.dport === 53);
}

describe.each(STORES)('publish, pull, derive, publish, install: over %s', (_, open) => {
  let tmp: string;
  let store: OpenedStore;
  let registry: Registry;
  // each step uses what the one before made
  let parent: PublishedNf;
  let pulledFirewall: PulledFirewall;
  let strict: ReturnType<typeof derive>;
  let published: PublishedNf;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mpvisor-acceptance-'));
    store = await open(tmp);
    registry = store.registry;
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('(a) publishes the firewall after auditing its source (loading it only once the audit passed)', async () => {
    const report = auditModule(FIREWALL_SOURCE);
    expect(report.findings).toEqual([]);
    assertAudited(report);
    const { firewall } = await import('../../../examples/nfs/firewall.js');
    parent = await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0', author: 'Acme NetOps', tags: ['latest'] });
    expect(parent.reference).toBe('acme/firewall@1.0.0');
    expect(parent.irDigest).toBe(firewall.irDigest());
    expect(await registry.list()).toEqual([{ repository: 'acme/firewall', versions: ['1.0.0'], tags: ['latest'] }]);
  });

  it('(b) pulls it verified and writes a typed module, which passes the audit and loads to the published IR', async () => {
    const pulled = await registry.pull('acme/firewall:latest');
    expect(pulled.manifestDigest).toBe(parent.manifestDigest);
    expect(pulled.irDigest).toBe(parent.irDigest);
    await writeFile(join(tmp, 'package.json'), '{ "type": "module" }\n');
    const file = join(tmp, 'firewall.ts');
    writeTypedModule(file, pulled.ir, { reference: 'acme/firewall@1.0.0', manifestDigest: pulled.manifestDigest });
    expect(auditModule(file).findings).toEqual([]);
    // the committed module's types describe this one: the same published IR
    const { firewall: committed } = await import('../../../examples/registry/firewall.js');
    expect(digestOf(pulled.ir)).toBe(committed.irDigest());
    const mod = (await import(pathToFileURL(file).href)) as PulledFirewallModule;
    pulledFirewall = mod.firewall;
    expect(pulledFirewall.irDigest()).toBe(parent.irDigest);
    expect(pulledFirewall.toIR()).toEqual(pulled.ir);
  });

  it('(c) derives a stricter firewall from the pulled builder in under 10 lines', () => {
    strict = derive(pulledFirewall);
    const ir = strict.toIR();
    expect(ir.lineage).toEqual([{ kind: 'ancestor', name: 'firewall', digest: parent.irDigest }]);
    expect(ir.stages.map((s) => s.name)).toEqual(['acl', 'uplink']);
    expect(ir.stages[0]!.defaultAction.action.action).toBe('deny');
    // the example in docs/registry.md is this very derive
    expect(strict.irDigest()).toBe(exampleStrict.irDigest());
  });

  it('(d) publishes the derived NF; its lineage names the parent by digest, published in the same store', async () => {
    published = await registry.publish(strict, { name: 'acme/firewall-strict', version: '1.0.0' });
    expect(published.annotations[ANNOTATION.parent]).toBe(parent.irDigest);
    expect(published.config.lineage).toEqual([{ name: 'firewall', digest: parent.irDigest }]);
    const inspected = await registry.inspect('acme/firewall-strict@1.0.0');
    expect(inspected.irDigest).toBe(strict.irDigest());
    expect(inspected.lineage).toEqual([{ name: 'firewall', digest: parent.irDigest, published: 'acme/firewall@1.0.0' }]);
    expect((await registry.search('default-deny')).map((h) => h.repository)).toEqual(['acme/firewall-strict']);
  });

  it('(e) installs both from the registry on a running hypervisor while packets flow; each vPDP matches its NF natively, byte for byte', async () => {
    const packets = (await readCaptureAll(CAPTURE)).map((p) => p.data);
    const { firewall } = await import('../../../examples/nfs/firewall.js');
    // the firewall runs with its shipped entries; the derived one brings its rules as const entries (P4: then the control plane may not add any)
    const entries1 = firewallEntries(pulledFirewall);
    const want1 = native(firewall, entries1, packets, 1);
    const want2 = native(strict, [], packets, 2);

    // vPDP 1 owns port 0, where the firewall (a filter) sends what it lets through; the derived one sends to its uplink, port 3
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp({ id: 1, name: 'acme-firewall', ports: [0, 1] });
    hv.createVpdp({ id: 2, name: 'acme-firewall-strict', ports: [2, 3] });
    hv.setClassifier([0, 1, 2, 3].map((port) => ({ kind: 'port' as const, port, vpdp: port < 2 ? 1 : 2 })));
    const before1 = packets.map((data) => outcome(hv.process({ port: 1, data })));
    const before2 = packets.map((data) => outcome(hv.process({ port: 2, data })));

    // packets keep flowing on both vPDPs, between the steps of the (asynchronous) pulls and installs
    const seen: { i: number; one: Outcome; two: Outcome; installed1: boolean; installed2: boolean }[] = [];
    let installed1 = false;
    let installed2 = false;
    let flowing = true;
    let failed: unknown;
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const traffic = (async () => {
      try {
        for (let n = 0; flowing; n++) {
          const i = n % packets.length;
          const flags = { installed1, installed2 };
          seen.push({ i, one: outcome(hv.process({ port: 1, data: packets[i]! })), two: outcome(hv.process({ port: 2, data: packets[i]! })), ...flags });
          await tick();
        }
      } catch (e) {
        failed = e;
      }
    })();
    let first: RegistryInstall;
    let second: RegistryInstall;
    try {
      first = await installFromRegistry(hv, 1, 'acme/firewall@1.0.0', registry, { entries: entries1 });
      installed1 = true;
      second = await installFromRegistry(hv, 2, 'acme/firewall-strict@1.0.0', registry);
      installed2 = true;
      // and one whole capture more on the new configuration, still flowing
      while (failed === undefined && seen.filter((s) => s.installed2).length < packets.length) await tick();
    } finally {
      flowing = false;
      await traffic;
    }
    if (failed !== undefined) throw failed;

    expect(first.report.policy).toBe('firewall');
    expect(second.report.policy).toBe('acme/firewall-strict');
    expect(first.pulled.irDigest).toBe(parent.irDigest);
    expect(second.pulled.irDigest).toBe(published.irDigest);
    // per packet, the old configuration or the new one, never a mix; once installed, the new one
    expect(seen.length).toBeGreaterThan(2);
    for (const s of seen) {
      expect([before1[s.i], want1[s.i]]).toContainEqual(s.one);
      expect([before2[s.i], want2[s.i]]).toContainEqual(s.two);
      if (s.installed1) expect(s.one).toEqual(want1[s.i]);
      if (s.installed2) expect(s.two).toEqual(want2[s.i]);
    }
    expect(seen.filter((s) => s.installed1 && !s.installed2).length).toBeGreaterThan(0);

    // the whole capture through each vPDP, now both are installed
    const got1 = packets.map((data) => outcome(hv.process({ port: 1, data })));
    const got2 = packets.map((data) => outcome(hv.process({ port: 2, data })));
    expect(got1).toEqual(want1);
    expect(got2).toEqual(want2);

    // the derive shows where it changed the NF: its own rules decide what passes, and it goes out of port 3, not 0; the bytes are untouched
    for (const [i, data] of packets.entries()) {
      const same = [{ port: 3, data: hex(data) }];
      expect(got2[i], `packet ${i + 1}`).toEqual(derivedAllows(data) ? { dropped: null, outputs: same } : { dropped: 'dropped', outputs: [] });
      if (got1[i]!.outputs.length > 0) expect(got1[i]!.outputs, `packet ${i + 1}`).toEqual([{ port: 0, data: hex(data) }]);
    }
    const passes = (o: Outcome): boolean => o.outputs.length > 0;
    const differ = (p: boolean, d: boolean) => packets.filter((_, i) => passes(got1[i]!) === p && passes(got2[i]!) === d).length;
    expect(differ(true, false)).toBeGreaterThan(0); // default deny: what the parent allows by default
    expect(differ(false, true)).toBeGreaterThan(0); // HTTP from a network the parent's entries block
    expect(differ(true, true)).toBeGreaterThan(0); // HTTP, DNS and what is not IPv4
    expect(differ(false, false)).toBeGreaterThan(0); // e.g. ICMP, which neither lets through
  });
});

/** The derive under test: the same lines as examples/registry/firewall-strict.ts, on the builder pulled in this run. */
function derive(firewall: PulledFirewall) {
  const allow = (protocol: 6 | 17, port: number) =>
    ({ key: { 'ipv4.srcAddr': '_', 'ipv4.dstAddr': '_', 'ipv4.protocol': protocol, 'meta.l4SrcPort': '_', 'meta.l4DstPort': port }, action: 'allow' }) as const;
  return firewall
    .derive('acme/firewall-strict', 'Default-deny firewall: only HTTP, HTTPS and DNS pass, out of the uplink port')
    .defaultAction('acl', 'deny')
    .addEntries('acl', allow(6, 80), allow(6, 443), allow(17, 53))
    .addStage('uplink', (t) => t.action('out', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('out', { port: 3 }), 'first');
}
