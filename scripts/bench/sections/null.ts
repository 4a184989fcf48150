/**
 * The practical limit: the null pipeline (parse Ethernet, set the egress
 * port) on every target, and a loop that only copies each packet into a
 * result — what the machine does with no NF at all.
 */
import {
  DROP_PORT,
  TARGET_API_VERSION,
  type DigestMessage,
  type Entity,
  type PacketIn,
  type ProcessResult,
  type ResourceReport,
  type Target,
  type WriteResult,
} from '@mpvisor/runtime';
import { measureWorkload, type MeasureOptions, type WorkloadFigures } from '../figures.js';
import type { Host } from '../host.js';
import type { BenchTarget } from '../targets.js';
import { FRAME_SIZES } from './nfs.js';

/** Copies each packet to port 1, like the null pipeline's output, and nothing else: no parsing, no tables. */
export class CopyLoop implements Target {
  readonly apiVersion = TARGET_API_VERSION;
  readonly name = 'copy loop';
  load(): void {}
  write(): WriteResult {
    return { ok: true, results: [] };
  }
  read(): readonly Entity[] {
    return [];
  }
  process(packet: PacketIn): ProcessResult {
    const port = packet.port === DROP_PORT ? 0 : 1;
    return { outputs: [{ port, data: packet.data.slice(), instance: 'normal' }], passes: 1 };
  }
  processBatch(packets: readonly PacketIn[]): readonly ProcessResult[] {
    const out = new Array<ProcessResult>(packets.length);
    for (let i = 0; i < packets.length; i++) out[i] = this.process(packets[i]!);
    return out;
  }
  drainDigests(): readonly DigestMessage[] {
    return [];
  }
  resources(): ResourceReport {
    return { target: this.name, tables: [], registerCells: 0, counterCells: 0, meterCells: 0, multicastGroups: 0, cloneSessions: 0 };
  }
}

export const COPY_LOOP: BenchTarget = { id: 'machine/copy-loop', engine: 'machine', mode: 'native', describe: 'a loop that copies each packet into a result: no NF at all', create: () => new CopyLoop() };

export interface NullSection {
  readonly rows: readonly WorkloadFigures[];
}

/** `hosts` are the targets' and the copy loop's. */
export async function runNull(hosts: readonly Host[], o: MeasureOptions, log: (s: string) => void): Promise<NullSection> {
  const rows: WorkloadFigures[] = [];
  for (const size of FRAME_SIZES) rows.push(await measureWorkload({ kind: 'null' }, 'null', size, hosts, o, log));
  return { rows };
}
