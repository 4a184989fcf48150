/**
 * What `mpvisor hv` and `mpvisor report` share: reading a data plane
 * configuration, loading each vPDP's NF and entries (everything checked
 * before anything is installed), setting up a hypervisor with them, and
 * reading the vPDPs' captures merged by timestamp.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  describeFailures,
  entriesToUpdates,
  Hypervisor,
  loadPipeline,
  missingFiles,
  parseEntriesFile,
  parseHypervisorConfig,
  readCapture,
  type CapturedPacket,
  type EntriesUpdates,
  type HypervisorConfig,
  type ImageConfig,
  type InstallReport,
  type Pipeline,
  type VpdpConfig,
} from '@mpvisor/runtime';
import { MpvisorError, type ErrorCode } from '@mpvisor/mpapi';
import { openStore, Registry } from '@mpvisor/registry';
import { ReferenceSlotEngine } from '@mpvisor/targets';
import { loadNfs, type FoundNf } from './load-module.js';
import { describe } from './commands/build.js';

/** A bad command line or a configuration file that is not there: exit code 2. */
export class UsageError extends Error {}

/** A problem with what the configuration says (or names): exit code 1, the message names the file and place. */
export class ConfigError extends Error {}

/** One vPDP of a configuration with its NF loaded and its entries checked against it. */
export interface LoadedVpdp {
  readonly config: VpdpConfig;
  readonly nf: FoundNf;
  readonly pipeline: Pipeline;
  /** A published NF's IR digest, checked once more when the hypervisor installs it. */
  readonly digest?: string;
  readonly entries?: { readonly source: string; readonly from: EntriesUpdates };
}

/** `two-tenants.yaml (at $.vpdps[1].entries)`: where in the configuration something is. */
export const placeIn = (config: HypervisorConfig, v: VpdpConfig, key?: string): string => `${config.source} (at ${v.path}${key !== undefined ? `.${key}` : ''})`;

/** Read and check a configuration file, and that every file it names exists. */
export async function readConfig(file: string): Promise<HypervisorConfig> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${file}: no such file`);
  let config: HypervisorConfig;
  try {
    config = parseHypervisorConfig(await readFile(file, 'utf8'), file);
  } catch (e) {
    throw new ConfigError(describe(e));
  }
  const missing = missingFiles(config);
  if (missing.length > 0) throw new ConfigError(describe(new MpvisorError('NOT_FOUND', missing)));
  return config;
}

/** Load a vPDP's NF (a module, or a published NF pulled and verified) and entries file, all checked: a problem names the vPDP, the file and the place. */
export async function loadVpdp(config: HypervisorConfig, v: VpdpConfig): Promise<LoadedVpdp> {
  const vpdp = `vPDP "${v.name}"`;
  const what = 'module' in v.nf ? v.nf.module : v.nf.registry;
  let nf: FoundNf;
  let digest: string | undefined;
  try {
    if ('module' in v.nf) nf = pick(await loadNfs(resolve(v.nf.module)), v.nf.export, v.nf.module);
    else {
      // data, never code: the IR as published, verified against its digests
      const pulled = await new Registry(openStore(config.registry)).pull(v.nf.registry);
      const ir = pulled.ir;
      nf = { file: pulled.reference, exportName: pulled.reference, builder: { name: ir.name, toIR: () => ir, irDigest: () => pulled.irDigest } };
      digest = pulled.irDigest;
    }
  } catch (e) {
    throw new ConfigError(`${vpdp}, ${placeIn(config, v, 'nf')}: ${what}: ${describe(e)}`);
  }
  let pipeline: Pipeline;
  try {
    pipeline = loadPipeline(nf.builder);
  } catch (e) {
    throw new ConfigError(`${vpdp}, ${placeIn(config, v, 'nf')}: ${what} (export ${nf.exportName}): ${describe(e)}`);
  }
  const loaded = { config: v, nf, pipeline, ...(digest !== undefined ? { digest } : {}) };
  if (v.entries === undefined) return loaded;
  try {
    const from = entriesToUpdates(parseEntriesFile(await readFile(v.entries, 'utf8'), v.entries), pipeline, v.entries);
    return { ...loaded, entries: { source: v.entries, from } };
  } catch (e) {
    throw new ConfigError(`${vpdp}, ${placeIn(config, v, 'entries')}: ${describe(e)}`);
  }
}

function pick(found: readonly FoundNf[], wanted: string | undefined, module: string): FoundNf {
  if (wanted !== undefined) {
    const nf = found.find((f) => f.exportName === wanted || f.builder.name === wanted);
    if (!nf) throw new MpvisorError('NOT_FOUND', `no export or NF named "${wanted}"; it exports ${found.map((f) => `${f.exportName} (${f.builder.name})`).join(', ') || 'none'}`);
    return nf;
  }
  if (found.length === 1) return found[0]!;
  throw new MpvisorError(
    found.length === 0 ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
    found.length === 0
      ? `${module} exports no program or policy`
      : `it exports several NFs (${found.map((f) => `${f.exportName} (${f.builder.name})`).join(', ')}); choose one with "export"`,
  );
}

/** A hypervisor on the reference slot engine, with this image. */
export function newHypervisor(image: Partial<ImageConfig>): Hypervisor {
  try {
    return new Hypervisor({ executor: new ReferenceSlotEngine(), image });
  } catch (e) {
    throw new ConfigError(describe(e));
  }
}

/**
 * Create the vPDPs on the hypervisor, set the classifier, install each
 * one's NF and entries. The first failure stops it, naming the vPDP, the
 * file and the place; the caller throws the hypervisor away.
 */
export function setUpVpdps(hv: Hypervisor, config: HypervisorConfig, vpdps: readonly LoadedVpdp[]): Map<number, InstallReport> {
  for (const { config: v } of vpdps) {
    try {
      hv.createVpdp({
        id: v.id,
        name: v.name,
        ports: v.ports,
        multicastGroups: v.multicastGroups,
        cloneSessions: v.cloneSessions,
        quotas: v.quotas,
      });
    } catch (e) {
      throw new ConfigError(`vPDP "${v.name}", ${placeIn(config, v)}: ${describe(e)}`);
    }
  }
  hv.setClassifier(vpdps.flatMap((l) => l.config.classify));
  const reports = new Map<number, InstallReport>();
  for (const l of vpdps) {
    const v = l.config;
    try {
      reports.set(v.id, hv.install(v.id, l.nf.builder, l.digest !== undefined ? { digest: l.digest } : {}));
    } catch (e) {
      throw new ConfigError(`vPDP "${v.name}", ${placeIn(config, v, 'nf')}: cannot install ${l.nf.builder.name} from ${l.nf.file}: ${describe(e)}`);
    }
    if (!l.entries) continue;
    const result = hv.tenant(v.id).write(l.entries.from.updates, 'rollbackOnError');
    if (!result.ok) {
      const first = result.results.find((r) => !r.ok && r.code !== 'ABORTED');
      const code = (first && !first.ok ? first.code : 'INVALID_ARGUMENT') as ErrorCode;
      const e = new MpvisorError(code, describeFailures(l.entries.from, result.results, l.entries.source));
      throw new ConfigError(`vPDP "${v.name}", ${placeIn(config, v, 'entries')}: ${describe(e)}`);
    }
  }
  return reports;
}

/** A packet of some vPDP's capture, with the port it enters on. */
export interface ArrivingPacket {
  readonly vpdp: LoadedVpdp;
  readonly port: number;
  readonly packet: CapturedPacket;
}

interface Source {
  readonly vpdp: LoadedVpdp;
  readonly iterator: AsyncIterator<CapturedPacket>;
  head: CapturedPacket;
}

/**
 * The vPDPs' captures as one stream, in timestamp order (a tie goes to the
 * vPDP listed first), streaming: one packet per capture is held at a time.
 * `start()` reads the first packet of each, so a capture that cannot be
 * read fails before anything is written.
 */
export class MergedCaptures {
  private readonly sources: Source[] = [];

  private constructor(private readonly config: HypervisorConfig) {}

  static async start(config: HypervisorConfig, vpdps: readonly LoadedVpdp[]): Promise<MergedCaptures> {
    const m = new MergedCaptures(config);
    try {
      for (const vpdp of vpdps) {
        if (vpdp.config.pcap === undefined) continue;
        const iterator = readCapture(vpdp.config.pcap)[Symbol.asyncIterator]();
        const first = await m.read(vpdp, iterator);
        if (first) m.sources.push({ vpdp, iterator, head: first });
      }
    } catch (e) {
      await m.close();
      throw e;
    }
    return m;
  }

  private async read(vpdp: LoadedVpdp, iterator: AsyncIterator<CapturedPacket>): Promise<CapturedPacket | undefined> {
    try {
      const r = await iterator.next();
      return r.done ? undefined : r.value;
    } catch (e) {
      throw new ConfigError(`vPDP "${vpdp.config.name}", ${placeIn(this.config, vpdp.config, 'pcap')}: ${describe(e)}`);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ArrivingPacket> {
    while (this.sources.length > 0) {
      let at = 0;
      for (let i = 1; i < this.sources.length; i++) if (this.sources[i]!.head.timestampNanos < this.sources[at]!.head.timestampNanos) at = i;
      const s = this.sources[at]!;
      yield { vpdp: s.vpdp, port: s.vpdp.config.inPort + s.head.interface, packet: s.head };
      const next = await this.read(s.vpdp, s.iterator);
      if (next) s.head = next;
      else this.sources.splice(at, 1);
    }
  }

  /** Stop reading (closes the files). */
  async close(): Promise<void> {
    for (const s of this.sources.splice(0)) await s.iterator.return?.();
  }
}

/** The configuration `mpvisor report` reads when none is named (relative to the working directory). */
export const DEFAULT_REPORT_CONFIG = 'examples/hypervisor/seed-nfs.yaml';

/** `policy tenant-a (l2-switch >> firewall)` or `program router`. */
export function nfDescription(nf: FoundNf): string {
  const ir = nf.builder.toIR();
  if (ir.kind === 'program') return `program ${ir.name}`;
  return `policy ${ir.name} (${ir.steps.map((s) => s.program + (s.when ? '?' : '')).join(' >> ')})`;
}
