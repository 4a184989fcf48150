/**
 * `mpvisor report [config] [--slots N] [--primitives K] [--target rmt[:profile]] [--svg DIR]`: the hypervisor's
 * resource figures as HyperV's evaluation (§V-A) tabulates them, ours next
 * to the paper's — Table I (tables the image declares), Table II (metadata
 * bits) and Table III (tables a packet uses, virtualized and native), the
 * last measured by running each vPDP's capture through a fresh hypervisor
 * of its own (the paper tested its programs independently) — and per
 * program what it takes of the image. With `--target rmt[:profile]`, the
 * figures of an emulated RMT switch instead: each vPDP's NF placed natively,
 * the hypervisor's generic image placed, the two side by side, and the most
 * image slots the profile holds; `--svg DIR` draws every placement.
 */
import { readCapture, tableUsage, footprint, imageReport, type HypervisorConfig, type ImageConfig, type TableUsage, type VirtualResult, type InstallReport, type ProgramFootprint } from '@mpvisor/runtime';
import { rmtReport, rmtTarget } from '../rmt-report.js';
import { ConfigError, DEFAULT_REPORT_CONFIG, loadVpdp, newHypervisor, placeIn, readConfig, setUpVpdps, UsageError, type LoadedVpdp } from '../data-plane.js';
import { medianRange, textTable } from '../histogram.js';
import { describe } from './build.js';
import type { CommandResult } from './command.js';

export interface ReportOptions {
  /** N: stage slots, overriding the configuration's. */
  readonly slots?: number;
  /** K: primitive tables per slot, overriding the configuration's. */
  readonly primitives?: number;
  /** `rmt` or `rmt:<profile>` (`rmt:rmt`, `rmt:tofino-like`): the RMT switch's figures instead of HyperV's tables. */
  readonly target?: string;
  /** With `target`: write a stage-occupancy chart (SVG) of every placement into this directory. */
  readonly svg?: string;
}

const CITE = (n: string): string => `HyperV paper (ICCCN'17), Table ${n}`;

/** HyperV paper (ICCCN'17), Table I: tables per stage slot and outside the slots. */
export const PAPER_TABLE_I = { config: 2, other: 3, condition: 4, match: 4, action: 16 } as const;
/** HyperV paper (ICCCN'17), Table II: metadata bits of HyperV and Hyper4. */
export const PAPER_TABLE_II = {
  HyperV: { header: 800, user: 256, control: 312, total: 1368 },
  Hyper4: { header: 800, user: 256, control: 2256, total: 3312 },
} as const;
/** HyperV paper (ICCCN'17), Table III: tables used at run time, by program (native P4 / Hyper4 / HyperV). */
export const PAPER_TABLE_III: Readonly<Record<string, { readonly program: string; readonly native: number; readonly hyper4: number; readonly hyperv: number }>> = {
  'l2-switch': { program: 'L2 switch', native: 2, hyper4: 13, hyperv: 5 },
  firewall: { program: 'Firewall', native: 3, hyper4: 22, hyperv: 8 },
  router: { program: 'Router', native: 4, hyper4: 28, hyperv: 16 },
  'arp-proxy': { program: 'ARP proxy', native: 4, hyper4: 48, hyperv: 10 },
};

/** One vPDP measured alone. */
export interface VpdpMeasurement {
  readonly vpdp: LoadedVpdp;
  readonly install: InstallReport;
  readonly footprints: readonly ProgramFootprint[];
  /** Undefined when the vPDP has no capture. */
  readonly usage?: TableUsage;
  readonly unclassified: number;
}

/** Run one vPDP's capture through a fresh hypervisor of its own. */
export async function measureVpdp(config: HypervisorConfig, vpdp: LoadedVpdp, image: HypervisorConfig['image']): Promise<VpdpMeasurement> {
  const hv = newHypervisor(image);
  const install = setUpVpdps(hv, config, [vpdp]).get(vpdp.config.id)!;
  const footprints = hv.epoch.vpdps.get(vpdp.config.id)!.steps.map(footprint);
  const v = vpdp.config;
  if (v.pcap === undefined) return { vpdp, install, footprints, unclassified: 0 };
  const results: VirtualResult[] = [];
  let unclassified = 0;
  try {
    for await (const p of readCapture(v.pcap)) {
      const r = hv.process({ port: v.inPort + p.interface, data: p.data, timestamp: p.timestampMicros });
      if (r.vpdp === undefined) unclassified++;
      // only the slot figures are kept: a report's capture is a sample, not a trace
      else results.push({ ...r, outputs: [] });
      hv.tenant(v.id).drainDigests();
    }
  } catch (e) {
    throw new ConfigError(`vPDP "${v.name}", ${placeIn(config, v, 'pcap')}: ${describe(e)}`);
  }
  return { vpdp, install, footprints, usage: tableUsage(results), unclassified };
}

export async function report(configFile: string | undefined, options: ReportOptions): Promise<CommandResult> {
  if (options.svg !== undefined && options.target === undefined) return { code: 2, stdout: '', stderr: 'mpvisor report: --svg needs --target rmt[:profile]' };
  if (options.target !== undefined) {
    let profile;
    try {
      profile = rmtTarget(options.target);
    } catch (e) {
      return { code: 2, stdout: '', stderr: `mpvisor report: ${(e as Error).message}` };
    }
    return rmtReport(configFile, profile, options);
  }
  const file = configFile ?? DEFAULT_REPORT_CONFIG;
  let config: HypervisorConfig;
  const measured: VpdpMeasurement[] = [];
  let image: HypervisorConfig['image'];
  try {
    config = await readConfig(file);
    image = {
      ...config.image,
      ...(options.slots !== undefined ? { slots: options.slots } : {}),
      ...(options.primitives !== undefined ? { primitivesPerSlot: options.primitives } : {}),
    };
    for (const v of config.vpdps) measured.push(await measureVpdp(config, await loadVpdp(config, v), image));
  } catch (e) {
    const usage = e instanceof UsageError;
    const hint = usage && configFile === undefined ? ` (the default configuration; run from the repository root or name one)` : '';
    return { code: usage ? 2 : 1, stdout: '', stderr: `mpvisor report: ${usage || e instanceof ConfigError ? (e as Error).message : describe(e)}${hint}` };
  }
  return { code: 0, stdout: formatReport(config, newHypervisor(image).image, measured), stderr: '' };
}

/** The three tables and the programs, as text. */
export function formatReport(config: HypervisorConfig, image: ImageConfig, measured: readonly VpdpMeasurement[]): string {
  const { tables, metadata } = imageReport(image);
  const n = image.slots;
  const k = image.primitivesPerSlot;
  const p1 = PAPER_TABLE_I;
  const paperPerSlot = p1.condition + p1.match + p1.action;
  const out: string[] = [];
  out.push(`Hypervisor resource report for ${config.source}: image of N=${n} stage slots, K=${k} primitive tables per slot`);

  out.push(
    [
      `Table I: tables the generic image declares (${CITE('I')})`,
      textTable(
        ['', 'config', 'other', 'condition', 'match', 'action', 'per slot', `total (N=${n})`],
        [
          ['HyperV (paper)', String(p1.config), String(p1.other), String(p1.condition), String(p1.match), String(p1.action), String(paperPerSlot), `${p1.config + p1.other + n * paperPerSlot}*`],
          ['MPVisor image', String(tables.config), String(tables.other), String(tables.condition), String(tables.match), String(tables.action), String(tables.perSlot), String(tables.total)],
        ],
        [false, true, true, true, true, true, true, true],
      ),
      `  * ${p1.config} + ${p1.other} + ${paperPerSlot} × N: the paper gives the per-slot figures. Here a stage's bound condition is one table, the`,
      `    match pipeline is header, standard and user metadata plus the action-bitmap table, and the action pipeline has K=${k} primitive tables.`,
    ].join('\n'),
  );

  const h = PAPER_TABLE_II;
  out.push(
    [
      `Table II: metadata bits the image declares (${CITE('II')})`,
      textTable(
        ['', 'header', 'user', 'control', 'total'],
        [
          ['HyperV (paper)', String(h.HyperV.header), String(h.HyperV.user), String(h.HyperV.control), String(h.HyperV.total)],
          ['Hyper4 (paper)', String(h.Hyper4.header), String(h.Hyper4.user), String(h.Hyper4.control), String(h.Hyper4.total)],
          ['MPVisor image', String(metadata.header), String(metadata.user), String(metadata.control), String(metadata.total)],
        ],
        [false, true, true, true, true],
      ),
      `  The header and user areas are configuration (image.headerBits, image.userBits); the control bits follow from K, the`,
      `  header valid bitmap (${image.maxHeaders} bits) and the action-parameter area (${image.paramBits} bits). What each program uses is under "Programs".`,
    ].join('\n'),
  );

  const rows = measured.map((m) => {
    const name = m.vpdp.nf.builder.name;
    const paper = PAPER_TABLE_III[name];
    const u = m.usage;
    const nf = m.install.programs.length > 1 ? `${name} (${m.install.programs.map((p) => p.program).join(' >> ')})` : name;
    return [
      m.vpdp.config.name,
      nf,
      u ? String(u.packets) : '-',
      u ? medianRange(u.native) : 'no capture',
      u ? medianRange(u.virtual) : '-',
      u ? medianRange(u.slotPasses) : '-',
      paper ? String(paper.native) : '-',
      paper ? String(paper.hyper4) : '-',
      paper ? String(paper.hyperv) : '-',
    ];
  });
  out.push(
    [
      `Table III: tables used per packet, median (min–max); each vPDP alone on a fresh hypervisor, its capture run through it (${CITE('III')})`,
      textTable(
        ['vPDP', 'NF', 'packets', 'native P4', 'MPVisor', 'slot passes', 'paper: native P4', 'Hyper4', 'HyperV'],
        rows,
        [false, false, true, true, true, true, true, true, true],
      ),
      `  native P4: the NF's tables a packet applied on its own (a stage skipped by a condition or a policy step is not counted).`,
      `  MPVisor: generic tables looked up: config_first_stage once per slot pass, a condition table per bound condition, one match`,
      `  table per class of key (and the action-bitmap table when a stage keys on several), one primitive table per primitive run.`,
      `  The paper's programs are its own P4 programs, not these; it has no Table III row for a chain ("-").`,
      ...measured.filter((m) => m.unclassified > 0).map((m) => `  vPDP "${m.vpdp.config.name}": ${m.unclassified} packets of its capture were unclassified and are not counted.`),
    ].join('\n'),
  );

  const programRows = measured.flatMap((m) =>
    m.install.programs.map((p, i) => {
      const f = m.footprints[i]!;
      return [
        m.vpdp.config.name,
        p.program,
        String(f.headerBits),
        String(f.userBits),
        String(f.headers),
        String(f.stages),
        String(f.decoupledStages),
        `${p.stageIds.join(', ')} (${f.stageIds} ids)`,
        p.slots.join(', '),
        String(p.worstCasePasses),
      ];
    }),
  );
  out.push(
    [
      `Programs: what each takes of the image with N=${n} slots (header area ${image.headerBits} bits, user area ${image.userBits} bits)`,
      textTable(
        ['vPDP', 'program', 'header bits', 'user bits', 'headers', 'stages', 'decoupled stages', 'stage ids', 'slots', 'worst-case passes'],
        programRows,
        [false, false, true, true, true, true, true, false, false, true],
      ),
      `  decoupled stages: tables and bound conditions after control-flow sequencing (HyperV §IV-C); stage ids count the ids an`,
      `  action longer than K primitives continues into; a stage id maps to slot (id mod N) (§IV-D), and a next stage in the same`,
      `  or an earlier slot costs a resubmission, hence the worst-case slot passes.`,
    ].join('\n'),
  );
  return out.join('\n\n');
}
