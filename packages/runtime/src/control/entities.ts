/**
 * Control-plane entities and updates, after P4Runtime (§9 "P4 Entity
 * Messages"): table entries, default actions, registers, counters, meters,
 * multicast groups and clone sessions. Values are the IR's canonical hex
 * strings; counters are bigints.
 */
import type { ActionCall, KeyMatch } from '@mpvisor/mpapi';

/** In a pipeline of several programs, `program` says whose object is meant (optional when unambiguous). */
interface Scoped {
  readonly program?: string;
}

export interface TableEntryEntity extends Scoped {
  readonly kind: 'tableEntry';
  readonly stage: string;
  /** One match per key, in key order; don't-care is `{ kind: 'any' }`. */
  readonly matches: readonly KeyMatch[];
  readonly action: ActionCall;
  /** Required exactly when the stage has ternary, range or optional keys; higher wins. */
  readonly priority?: number;
}

export interface DefaultActionEntity extends Scoped {
  readonly kind: 'defaultAction';
  readonly stage: string;
  readonly action: ActionCall;
}

export interface RegisterEntity extends Scoped {
  readonly kind: 'register';
  readonly register: string;
  readonly index: number;
  readonly value: string;
}

export interface CounterData {
  readonly packets: bigint;
  readonly bytes: bigint;
}

export interface CounterEntity extends Scoped, CounterData {
  readonly kind: 'counter';
  readonly counter: string;
  readonly index: number;
}

/** The counter of one entry of a stage with a direct counter; the entry is named by its matches and priority. */
export interface DirectCounterEntity extends Scoped, CounterData {
  readonly kind: 'directCounter';
  readonly stage: string;
  readonly matches: readonly KeyMatch[];
  readonly priority?: number;
}

/** RFC 2698 parameters: rates in units (packets or bytes) per second, bursts in units. */
export interface MeterConfig {
  readonly cir: number;
  readonly cburst: number;
  readonly pir: number;
  readonly pburst: number;
}

export interface MeterEntity extends Scoped {
  readonly kind: 'meter';
  readonly meter: string;
  readonly index: number;
  /** null: unconfigured (every packet is green, as in BMv2). */
  readonly config: MeterConfig | null;
}

export interface DirectMeterEntity extends Scoped {
  readonly kind: 'directMeter';
  readonly stage: string;
  readonly matches: readonly KeyMatch[];
  readonly priority?: number;
  readonly config: MeterConfig | null;
}

export interface Replica {
  readonly port: number;
  /** Replication id (v1model egress_rid), to tell copies apart. */
  readonly instance: number;
}

export interface MulticastGroupEntity {
  readonly kind: 'multicastGroup';
  readonly id: number;
  readonly replicas: readonly Replica[];
}

export interface CloneSessionEntity {
  readonly kind: 'cloneSession';
  readonly id: number;
  readonly port: number;
}

export type Entity =
  | TableEntryEntity
  | DefaultActionEntity
  | RegisterEntity
  | CounterEntity
  | DirectCounterEntity
  | MeterEntity
  | DirectMeterEntity
  | MulticastGroupEntity
  | CloneSessionEntity;

export type UpdateType = 'insert' | 'modify' | 'delete';

export interface Update {
  readonly type: UpdateType;
  readonly entity: Entity;
}

/**
 * P4Runtime's WriteRequest.Atomicity: continue past failed updates, or
 * apply the batch all-or-nothing. (Packets never see a half-applied batch
 * either way: a batch is applied between packets.)
 */
export type Atomicity = 'continueOnError' | 'rollbackOnError' | 'dataplaneAtomic';

export type UpdateResult = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

export interface WriteResult {
  /** True when every update succeeded. */
  readonly ok: boolean;
  /** One result per update, in order. With all-or-nothing atomicity and a failure, nothing was applied. */
  readonly results: readonly UpdateResult[];
}

/** What to read: every entity of a kind, optionally narrowed to a program and object. */
export type ReadRequest =
  | { readonly kind: 'tableEntry'; readonly program?: string; readonly stage?: string }
  | { readonly kind: 'defaultAction'; readonly program?: string; readonly stage?: string }
  | { readonly kind: 'register'; readonly program?: string; readonly register?: string; readonly index?: number }
  | { readonly kind: 'counter'; readonly program?: string; readonly counter?: string; readonly index?: number }
  | { readonly kind: 'directCounter'; readonly program?: string; readonly stage?: string }
  | { readonly kind: 'meter'; readonly program?: string; readonly meter?: string; readonly index?: number }
  | { readonly kind: 'directMeter'; readonly program?: string; readonly stage?: string }
  | { readonly kind: 'multicastGroup'; readonly id?: number }
  | { readonly kind: 'cloneSession'; readonly id?: number };
