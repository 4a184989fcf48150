/**
 * `mpvisor hv <config> [--out DIR] [--slots N] [--drops] [--trace N] [--format pcap|pcapng]`:
 * one data plane — the hypervisor's generic image on the reference slot
 * engine — with every vPDP of a configuration file on it. Each vPDP's NF
 * and entries are installed (all or nothing), the vPDPs' captures are
 * merged by timestamp and run through the data plane, one output capture
 * per egress port is written, and a summary per tenant is printed.
 */
import { MpvisorError } from '@mpvisor/mpapi';
import { imageReport, PortCaptureWriter, sharedResources, type CaptureFormat, type Hypervisor, type InstallReport } from '@mpvisor/runtime';
import { formatTrace } from '../trace-format.js';
import { ConfigError, loadVpdp, MergedCaptures, newHypervisor, nfDescription, readConfig, setUpVpdps, UsageError, type LoadedVpdp } from '../data-plane.js';
import { formatImageLine, formatTenant, newTenantStats, type TenantStats } from '../hv-summary.js';
import { bump, plural, recordResult } from '../run-summary.js';
import { describe } from './build.js';
import type { CommandResult } from './command.js';

export interface HvOptions {
  readonly out?: string;
  /** N: stage slots of the image, overriding the configuration's. */
  readonly slots?: number;
  readonly drops?: boolean;
  readonly trace?: number;
  readonly format?: CaptureFormat;
}

export async function hv(configFile: string | undefined, options: HvOptions): Promise<CommandResult> {
  if (!configFile) return { code: 2, stdout: '', stderr: 'mpvisor hv: name a data plane configuration file (see docs/cli.md)' };
  const fail = (e: unknown, stdout = ''): CommandResult => ({
    code: e instanceof UsageError ? 2 : 1,
    stdout,
    stderr: `mpvisor hv: ${e instanceof UsageError || e instanceof ConfigError ? e.message : describe(e)}`,
  });
  // everything is read, checked and installed before the first packet or file
  let plane: Hypervisor;
  let vpdps: LoadedVpdp[];
  let reports: Map<number, InstallReport>;
  let merged: MergedCaptures;
  try {
    const config = await readConfig(configFile);
    const shared = sharedResources(config);
    if (shared.length > 0) throw new ConfigError(describe(new MpvisorError('PERMISSION_DENIED', shared)));
    vpdps = [];
    for (const v of config.vpdps) vpdps.push(await loadVpdp(config, v));
    plane = newHypervisor({ ...config.image, ...(options.slots !== undefined ? { slots: options.slots } : {}) });
    reports = setUpVpdps(plane, config, vpdps);
    merged = await MergedCaptures.start(config, vpdps);
  } catch (e) {
    return fail(e);
  }

  const stats = new Map<number, TenantStats>(vpdps.map((v) => [v.config.id, newTenantStats()]));
  const unclassified = new Map<string, number>();
  let unclassifiedCount = 0;
  let packets = 0;
  const traces: string[] = [];
  let writer: PortCaptureWriter | undefined;
  try {
    if (options.out !== undefined) writer = await PortCaptureWriter.create(options.out, { format: options.format ?? 'pcap', dropped: options.drops ?? false });
    for await (const { port, packet } of merged) {
      packets++;
      const traced = packets <= (options.trace ?? 0);
      const r = plane.process({ port, data: packet.data, timestamp: packet.timestampMicros }, { trace: traced });
      if (r.vpdp === undefined) {
        unclassifiedCount++;
        bump(unclassified, r.reason);
        if (traced) traces.push(`packet ${packets} (in port ${port}, ${packet.data.length} bytes): unclassified: ${r.reason}`);
        await writer?.writeDropped({ data: packet.data, timestampNanos: packet.timestampNanos });
        continue;
      }
      const s = stats.get(r.vpdp)!;
      s.packetsIn++;
      s.bytesIn += packet.data.length;
      s.passes += r.passes;
      s.contained += r.slots.contained;
      s.slotPasses.add(r.slots.slotPasses);
      s.genericTables.add(r.slots.tablesUsed);
      s.nativeTables.add(r.slots.nativeTables);
      if (traced && r.trace) {
        const runtime = plane.epoch.vpdps.get(r.vpdp);
        const name = runtime?.spec.name ?? String(r.vpdp);
        const text = formatTrace(packets, port, packet.data.length, r.trace).replace(/^(packet \d+ \([^)]*\))/, `$1 -> vPDP ${r.vpdp} "${name}", ${plural(r.slots.slotPasses, 'slot pass', 'slot passes')}, ${r.slots.tablesUsed} generic tables`);
        traces.push(text);
      }
      await recordResult(s, r, packet, writer);
      // digests are counted, not kept
      for (const d of plane.tenant(r.vpdp).drainDigests()) bump(s.digests, d.digest);
    }
    await writer?.close();
  } catch (e) {
    await writer?.abort();
    await merged.close();
    return fail(e, traces.join('\n\n'));
  }

  const image = imageReport(plane.image);
  const lines = [
    formatImageLine(plane.image, image.tables, vpdps.length),
    `${plural(packets, 'packet')} in: ${packets - unclassifiedCount} classified, ${unclassifiedCount} unclassified`,
  ];
  const sections = vpdps.map((l) => {
    const runtime = plane.epoch.vpdps.get(l.config.id)!;
    const tenant = plane.tenant(l.config.id);
    const state = [...tenant.read({ kind: 'register' }), ...tenant.read({ kind: 'counter' })];
    return formatTenant(runtime, reports.get(l.config.id), nfDescription(l.nf), l.config.classify, stats.get(l.config.id)!, state);
  });
  const tail = [
    unclassifiedCount === 0 ? 'unclassified: none' : `unclassified: ${unclassifiedCount} (${[...unclassified].map(([reason, n]) => `${reason}: ${n}`).join('; ')})`,
    ...(options.out !== undefined ? [`output captures in ${options.out.replace(/\/$/, '')}/`] : []),
  ];
  return { code: 0, stdout: [...traces, lines.join('\n'), ...sections, tail.join('\n')].join('\n\n'), stderr: '' };
}
