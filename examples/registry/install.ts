/**
 * Install published NFs straight from a registry onto a running hypervisor
 * (docs/registry.md): acme/firewall@1.0.0 on vPDP 1 with its shipped
 * entries, acme/firewall-strict@1.0.0 on vPDP 2, each pulled, verified and
 * digest-checked once more by the hypervisor; then the firewall's capture
 * through both, and what each did with it.
 *
 *   npx tsx examples/registry/install.ts [DIR|URL]     (default .mpvisor/registry)
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { entriesToUpdates, Hypervisor, loadPipeline, parseEntriesFile, readCaptureAll } from '@mpvisor/runtime';
import { ReferenceSlotEngine } from '@mpvisor/targets';
import { installFromRegistry, openStore, Registry } from '@mpvisor/registry';
import { firewall } from './firewall.js';

const ENTRIES = fileURLToPath(new URL('../captures/firewall.entries.yaml', import.meta.url));
const CAPTURE = fileURLToPath(new URL('../captures/firewall.pcap', import.meta.url));

export async function main(location?: string): Promise<void> {
  const registry = new Registry(openStore(location));
  const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
  // the firewall is a filter: what it lets through leaves by port 0, so its vPDP owns port 0
  hv.createVpdp({ id: 1, name: 'acme-firewall', ports: [0, 1] });
  hv.createVpdp({ id: 2, name: 'acme-firewall-strict', ports: [2, 3] });
  hv.setClassifier([0, 1, 2, 3].map((port) => ({ kind: 'port' as const, port, vpdp: port < 2 ? 1 : 2 })));

  // entries are checked against the pulled module's pipeline, and written before the first packet sees the NF
  const { updates } = entriesToUpdates(parseEntriesFile(await readFile(ENTRIES, 'utf8'), ENTRIES), loadPipeline(firewall), ENTRIES);
  for (const [vpdp, ref, entries] of [
    [1, 'acme/firewall@1.0.0', updates],
    [2, 'acme/firewall-strict@1.0.0', []],
  ] as const) {
    const { report, pulled } = await installFromRegistry(hv, vpdp, ref, registry, { entries });
    console.log(`vPDP ${vpdp}: installed ${ref} (IR ${pulled.irDigest.slice(0, 19)}…) at epoch ${report.epoch}`);
  }

  const packets = await readCaptureAll(CAPTURE);
  for (const [vpdp, port] of [
    [1, 1],
    [2, 2],
  ] as const) {
    const out = new Map<number, number>();
    let dropped = 0;
    for (const p of packets) {
      const r = hv.process({ port, data: p.data });
      if (r.outputs.length === 0) dropped++;
      for (const o of r.outputs) out.set(o.port, (out.get(o.port) ?? 0) + 1);
    }
    const ports = [...out].map(([p, n]) => `port ${p}: ${n}`).join(', ') || 'nothing';
    console.log(`vPDP ${vpdp}: ${packets.length} packets in on port ${port}; out ${ports}; dropped ${dropped}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv[2]);
