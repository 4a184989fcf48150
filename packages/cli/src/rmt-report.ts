/**
 * `mpvisor report --target rmt[:profile] [--svg DIR]`: a data plane
 * configuration on an emulated RMT switch. For every vPDP its NF placed
 * natively (stages, memory, crossbars, action units, PHV, latency), then the
 * hypervisor's generic image of the configuration placed, the NFs natively
 * next to virtualized, and the most image slots the profile holds with
 * what they leave; with --svg, a stage-occupancy chart of each placement.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_IMAGE, type HypervisorConfig, type ImageConfig } from '@mpvisor/runtime';
import {
  compareNativeVirtual,
  formatCapacity,
  formatComparison,
  formatPlacement,
  imageCapacity,
  placeImage,
  placementSvg,
  placePipeline,
  profileByName,
  tryPlace,
  type ComparedNf,
  type Placement,
  type RmtProfile,
} from '@mpvisor/targets';
import { ConfigError, DEFAULT_REPORT_CONFIG, loadVpdp, readConfig, UsageError, type LoadedVpdp } from './data-plane.js';
import { describe } from './commands/build.js';
import type { CommandResult } from './commands/command.js';

/** `rmt` → the RMT profile, `rmt:<name>` → that profile; anything else is a usage error. */
export function rmtTarget(target: string): RmtProfile {
  const [kind, name, ...rest] = target.split(':');
  if (kind !== 'rmt' || rest.length > 0 || name === '') throw new Error(`--target is rmt or rmt:<profile> (rmt, tofino-like), got "${target}"`);
  try {
    return profileByName(name ?? 'rmt');
  } catch (e) {
    throw new Error(`--target ${target}: ${describe(e)}`);
  }
}

/** A file name from a vPDP's name: letters, digits, `.`, `_`, `+`, `-` kept, anything else `_`. */
export const chartName = (name: string): string => `${name.replace(/[^A-Za-z0-9._+-]/g, '_')}.svg`;

export interface RmtReportOptions {
  readonly slots?: number;
  readonly primitives?: number;
  readonly svg?: string;
}

export async function rmtReport(configFile: string | undefined, profile: RmtProfile, options: RmtReportOptions): Promise<CommandResult> {
  const file = configFile ?? DEFAULT_REPORT_CONFIG;
  let config: HypervisorConfig;
  const vpdps: LoadedVpdp[] = [];
  try {
    config = await readConfig(file);
    for (const v of config.vpdps) vpdps.push(await loadVpdp(config, v));
  } catch (e) {
    const usage = e instanceof UsageError;
    const hint = usage && configFile === undefined ? ` (the default configuration; run from the repository root or name one)` : '';
    return { code: usage ? 2 : 1, stdout: '', stderr: `mpvisor report: ${usage || e instanceof ConfigError ? (e as Error).message : describe(e)}${hint}` };
  }
  const image: ImageConfig = {
    ...DEFAULT_IMAGE,
    ...config.image,
    ...(options.slots !== undefined ? { slots: options.slots } : {}),
    ...(options.primitives !== undefined ? { primitivesPerSlot: options.primitives } : {}),
  };
  const { text, charts } = rmtFigures(config, vpdps, profile, image);
  const out = [text];
  if (options.svg !== undefined) {
    try {
      await mkdir(options.svg, { recursive: true });
      for (const c of charts) await writeFile(join(options.svg, c.file), c.svg);
    } catch (e) {
      return { code: 1, stdout: '', stderr: `mpvisor report: --svg ${options.svg}: ${describe(e)}` };
    }
    out.push(`Wrote ${charts.length} stage-occupancy chart${charts.length === 1 ? '' : 's'} to ${options.svg}: ${charts.map((c) => c.file).join(', ')}`);
  }
  return { code: 0, stdout: out.join('\n\n'), stderr: '' };
}

/** The report's text and its charts (file name → SVG). */
export function rmtFigures(
  config: HypervisorConfig,
  vpdps: readonly LoadedVpdp[],
  profile: RmtProfile,
  image: ImageConfig,
): { text: string; charts: { file: string; svg: string }[] } {
  const out: string[] = [];
  const charts: { file: string; svg: string }[] = [];
  const chart = (file: string, p: Placement, title: string): void => void charts.push({ file, svg: placementSvg(p, title) });
  out.push(`RMT switch report for ${config.source} on profile ${profile.name}: ${profile.stages} stages (${profile.source})`);

  for (const v of vpdps) {
    const name = v.config.name;
    const subject = `vPDP "${name}" natively (${v.nf.builder.name}${v.pipeline.steps.length > 1 ? `: ${v.pipeline.steps.map((s) => s.program.name).join(' >> ')}` : ''})`;
    const placed = tryPlace(() => placePipeline(v.pipeline, profile));
    if ('refused' in placed) out.push(`${subject}: does not fit profile ${profile.name}: ${placed.refused}`);
    else {
      out.push(formatPlacement(placed.placement, { title: subject }));
      chart(chartName(name), placed.placement, `${name} (${v.nf.builder.name}) natively on ${profile.name}`);
    }
  }

  const n = `N=${image.slots} slots, K=${image.primitivesPerSlot} primitive tables per slot`;
  const img = tryPlace(() => placeImage(profile, image));
  if ('refused' in img) out.push(`The hypervisor's generic image (${n}): does not fit profile ${profile.name}: ${img.refused}`);
  else {
    out.push(formatPlacement(img.placement, { title: `the hypervisor's generic image (${n})` }));
    chart('hypervisor-image.svg', img.placement, `the hypervisor's generic image, N=${image.slots}, K=${image.primitivesPerSlot}, on ${profile.name}`);
  }

  const nfs: ComparedNf[] = vpdps.map((v) => ({
    name: v.config.name,
    source: v.pipeline,
    vpdp: { ports: v.config.ports, multicastGroups: v.config.multicastGroups, cloneSessions: v.config.cloneSessions, quotas: v.config.quotas },
  }));
  out.push(formatComparison(compareNativeVirtual(nfs, profile, image)));
  const capacity = imageCapacity(profile, image, nfs);
  out.push(formatCapacity(capacity));
  if (capacity.placement && capacity.maxSlots !== image.slots) {
    chart(`hypervisor-image-max.svg`, capacity.placement, `the hypervisor's generic image at its most slots, N=${capacity.maxSlots}, K=${image.primitivesPerSlot}, on ${profile.name}`);
    // the configuration's N does not fit: the cost of virtualization with the image that does
    if ('refused' in img) out.push(formatComparison(compareNativeVirtual(nfs, profile, { ...image, slots: capacity.maxSlots })));
  }
  return { text: out.join('\n\n'), charts };
}
