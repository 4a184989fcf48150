/**
 * The tables a device's control plane wrote, in order, so a target that
 * keeps its own lookup structures (the compiled target, the compiled image
 * executor) brings only those tables up to date before its next packet.
 * A record names the entry written (by its matches) or, without matches,
 * the table's default action. Records are hints, never the truth: a
 * consumer re-reads the table for what they name, so a write that was
 * rolled back afterwards costs a needless patch and nothing else.
 *
 * The journal keeps the last KEEP records; a consumer that fell further
 * behind rebuilds everything (`since` says so by returning undefined).
 */
import type { KeyMatch } from '@mpvisor/mpapi';

export interface TableWrite {
  readonly program: string;
  readonly stage: string;
  /** The entry written; absent when the default action was. */
  readonly matches?: readonly KeyMatch[];
}

const KEEP = 100_000;

export class WriteJournal {
  private records: TableWrite[] = [];
  /** Position of records[0] in the journal's whole history. */
  private first = 0;

  /** The position after the last record: a consumer that has seen everything holds this. */
  get end(): number {
    return this.first + this.records.length;
  }

  record(write: TableWrite): void {
    this.records.push(write);
    if (this.records.length >= 2 * KEEP) {
      const drop = this.records.length - KEEP;
      this.records.splice(0, drop);
      this.first += drop;
    }
  }

  /** The records from `position` on, or undefined when some of them are no longer kept. */
  since(position: number): readonly TableWrite[] | undefined {
    if (position < this.first) return undefined;
    return this.records.slice(position - this.first);
  }
}
