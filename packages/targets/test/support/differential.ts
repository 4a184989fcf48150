/**
 * What every differential suite shares (hypervisor, RMT, compiled): the
 * example NFs with their shipped entries and seeds, one NF's packets (its
 * capture plus 10,000 generated ones, see packets.ts), a packet's outcome
 * as a comparable string, the final control-plane state, and the native
 * run on the reference target every other target is compared with.
 */
import { readFileSync } from 'node:fs';
import {
  entriesToUpdates,
  hex,
  loadPipeline,
  parseEntriesFile,
  readCaptureAll,
  type DigestMessage,
  type Entity,
  type Pipeline,
  type PipelineSource,
  type ProcessResult,
  type ReadRequest,
  type Update,
} from '@mpvisor/runtime';
import { ReferenceTarget } from '@mpvisor/targets';
import { policies, programs } from '../../../../examples/nfs/index.js';
import { capturePath, entriesPath, type ShippedNf } from '../../../../examples/test/e2e-helpers.js';
import { generatePackets, Rng, valuePools, type Generated } from './packets.js';

/** Generated packets per NF, on top of its shipped capture. */
export const GENERATED_PER_NF = 10_000;
export const MIN_PACKETS_PER_NF = 10_000;

/** What each NF's native run must show, so that the comparison covers it. */
export interface Coverage {
  readonly drops?: boolean;
  readonly replicas?: boolean;
  readonly digests?: boolean;
  readonly rewrites?: boolean;
  readonly registers?: boolean;
  /** Keyed stages whose entries cover every value that reaches them, so they cannot miss. */
  readonly neverMiss?: readonly string[];
}

export const NFS: readonly { readonly nf: ShippedNf; readonly source: PipelineSource; readonly seed: number; readonly coverage: Coverage }[] = [
  { nf: 'l2-switch', source: programs.l2switch, seed: 0x4d500001, coverage: { replicas: true, digests: true } },
  { nf: 'firewall', source: programs.firewall, seed: 0x4d500002, coverage: { drops: true } },
  { nf: 'router', source: programs.router, seed: 0x4d500003, coverage: { drops: true, rewrites: true } },
  { nf: 'arp-proxy', source: programs.arpProxy, seed: 0x4d500004, coverage: { rewrites: true } },
  { nf: 'nat', source: programs.nat, seed: 0x4d500005, coverage: { rewrites: true } },
  { nf: 'stateful-firewall', source: programs.statefulFirewall, seed: 0x4d500006, coverage: { drops: true, registers: true } },
  // every bucket of every group has a next hop, and every next hop's port a MAC
  { nf: 'ecmp', source: programs.ecmp, seed: 0x4d500007, coverage: { drops: true, rewrites: true, neverMiss: ['ecmp/ecmp_nhop', 'ecmp/send_frame'] } },
  { nf: 'acme/fw-strict', source: programs.fwStrict, seed: 0x4d500008, coverage: { drops: true } },
  { nf: 'tenant-a', source: policies.tenantA, seed: 0x4d500009, coverage: { drops: true, replicas: true, digests: true } },
  // the router has a default route, and both of its next hops are resolved
  { nf: 'tenant-b', source: policies.tenantB, seed: 0x4d50000a, coverage: { drops: true, rewrites: true, neverMiss: ['router/ipv4_lpm', 'router/forward'] } },
];

// ---------------------------------------------------------------- one NF's setup

export interface Setup {
  readonly source: PipelineSource;
  readonly pipeline: Pipeline;
  readonly updates: readonly Update[];
  readonly generated: Generated;
  readonly entries: number;
}

export async function setUp(nf: ShippedNf, source: PipelineSource, seed: number): Promise<Setup> {
  const pipeline = loadPipeline(source);
  const path = entriesPath(nf);
  const { updates } = entriesToUpdates(parseEntriesFile(readFileSync(path, 'utf8'), path), pipeline, path);
  const capture = await readCaptureAll(capturePath(nf));
  const { pools, entries } = valuePools(pipeline, updates, new Rng(seed ^ 0x5eed));
  return { source, pipeline, updates, generated: generatePackets({ seed, count: GENERATED_PER_NF, capture, pools }), entries };
}

// ---------------------------------------------------------------- outcomes

/** One packet's observable outcome, as a string (compact to store, exact to compare). */
export function outcome(r: ProcessResult, digests: readonly DigestMessage[]): string {
  const outs = r.outputs.map((o) => `${o.port}/${o.instance}/${o.rid ?? '-'}/${hex(o.data)}`).join(' ');
  const ds = digests
    .map((d) => `${d.program}/${d.digest}/${Object.entries(d.values).map(([k, v]) => `${k}=${v}`).join(',')}@${d.timestamp}`)
    .join(' ');
  return `dropped=${r.dropped ?? '-'} passes=${r.passes} out=[${outs}] digests=[${ds}]`;
}

export interface TableCounts {
  readonly program: string;
  readonly stage: string;
  readonly hits: number;
  readonly misses: number;
}

export interface FinalState {
  readonly registers: readonly Entity[];
  readonly counters: readonly Entity[];
  readonly directCounters: readonly Entity[];
  readonly tableEntries: readonly Entity[];
  readonly tables: readonly TableCounts[];
}

export const STATE_READS: readonly ReadRequest[] = [{ kind: 'register' }, { kind: 'counter' }, { kind: 'directCounter' }, { kind: 'tableEntry' }];

export function finalState(read: (r: ReadRequest) => readonly Entity[], tables: readonly TableCounts[]): FinalState {
  const [registers, counters, directCounters, tableEntries] = STATE_READS.map((r) => [...read(r)]) as [Entity[], Entity[], Entity[], Entity[]];
  const sorted = [...tables].sort((a, b) => `${a.program}/${a.stage}`.localeCompare(`${b.program}/${b.stage}`));
  return { registers, counters, directCounters, tableEntries, tables: sorted };
}

export interface NativeRun {
  readonly outcomes: readonly string[];
  readonly state: FinalState;
  readonly drops: number;
  readonly forwarded: number;
  readonly replicas: number;
  readonly digests: number;
  readonly rewritten: number;
  readonly dropReasons: ReadonlySet<string>;
}

export function runNative(s: Setup): NativeRun {
  const t = new ReferenceTarget();
  t.load(s.pipeline);
  const w = t.write(s.updates, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`native: the entries do not install: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  const outcomes: string[] = [];
  let drops = 0;
  let forwarded = 0;
  let replicas = 0;
  let digests = 0;
  let rewritten = 0;
  const dropReasons = new Set<string>();
  for (const p of s.generated.packets) {
    const r = t.process(p);
    const ds = t.drainDigests();
    outcomes.push(outcome(r, ds));
    digests += ds.length;
    if (r.dropped) {
      drops++;
      dropReasons.add(r.dropped);
    } else forwarded++;
    replicas += r.outputs.filter((o) => o.instance === 'replica').length;
    if (r.outputs.some((o) => hex(o.data) !== hex(p.data))) rewritten++;
  }
  const tables = t.resources().tables.map(({ program, stage, hits, misses }) => ({ program, stage, hits, misses }));
  return { outcomes, state: finalState((r) => t.read(r), tables), drops, forwarded, replicas, digests, rewritten, dropReasons };
}


/** Every NF of NFS set up with its packets and its native run: what a target's differential compares with. */
export async function nativeRuns(): Promise<Map<string, { readonly setup: Setup; readonly native: NativeRun }>> {
  const out = new Map<string, { readonly setup: Setup; readonly native: NativeRun }>();
  for (const { nf, source, seed } of NFS) {
    const setup = await setUp(nf, source, seed);
    out.set(nf, { setup, native: runNative(setup) });
  }
  return out;
}
