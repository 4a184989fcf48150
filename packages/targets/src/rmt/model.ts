/**
 * The RMT target's shared vocabulary: a hardware profile (what one chip
 * has), the logical tables a program becomes, the dependencies between them
 * and a placement (which stage holds what, with which memory). After
 * Bosshart et al., "Forwarding Metamorphosis" (SIGCOMM'13), and Jose et
 * al., "Compiling Packet Programs to Reconfigurable Switches" (NSDI'15).
 */

/** PHV container widths of the RMT chip. */
export type ContainerWidth = 8 | 16 | 32;

export interface RmtProfile {
  readonly name: string;
  /** Where the figures come from. */
  readonly source: string;
  /** Physical match-action stages. */
  readonly stages: number;
  /** Per stage: SRAM blocks of `words` words of `wordBits` bits (exact match, action data, state). */
  readonly sram: { readonly blocks: number; readonly words: number; readonly wordBits: number };
  /** Per stage: TCAM blocks of `entries` entries of `bits` bits (ternary, LPM, range). */
  readonly tcam: { readonly blocks: number; readonly entries: number; readonly bits: number };
  /** Per stage: match crossbar input bits for exact (SRAM) and ternary (TCAM) keys. */
  readonly crossbar: { readonly exactBits: number; readonly ternaryBits: number };
  /** Per stage: logical tables of each kind. */
  readonly tablesPerStage: { readonly exact: number; readonly ternary: number };
  /** The packet header vector: containers per width. */
  readonly phv: Readonly<Record<ContainerWidth, number>>;
  /** Per stage: action units (one VLIW ALU per PHV container in RMT). */
  readonly actionUnits: number;
  /** Cycles a packet waits between two stages, by the dependency that separates them (Jose et al. §2). */
  readonly latency: { readonly match: number; readonly action: number; readonly successor: number; readonly reverseMatch: number; readonly none: number };
  /** Cycles of the parser and the deparser, added once per packet. */
  readonly fixedCycles: number;
}

export type DependencyKind = 'match' | 'action' | 'successor' | 'reverseMatch';

/** One unit the placer places: a table stage, or a gateway (an if's condition). */
export interface LogicalTable {
  /** `program/stage`, or `program/#node` for a gateway. */
  readonly id: string;
  readonly program: string;
  /** The control node it realises. */
  readonly node: string;
  readonly kind: 'exact' | 'ternary' | 'gateway' | 'keyless';
  /** Entries it must hold (a stage's size; 0 for gateways and keyless tables). */
  readonly entries: number;
  readonly keyBits: number;
  /** Bits of action data per entry (the widest action's parameters) plus the action id. */
  readonly actionDataBits: number;
  /** Fields its match (keys, or a gateway's condition) reads. */
  readonly matchReads: readonly string[];
  /** Fields its actions read, and write. */
  readonly actionReads: readonly string[];
  readonly actionWrites: readonly string[];
  /** Most primitives any of its actions has (VLIW slots it needs). */
  readonly primitives: number;
}

export interface Dependency {
  readonly from: string;
  readonly to: string;
  readonly kind: DependencyKind;
  /** The field that causes it, for match, action and reverse-match dependencies. */
  readonly field?: string;
}

/** Where one logical table went: possibly split over several consecutive stages. */
export interface PlacedTable {
  readonly table: LogicalTable;
  readonly stages: readonly { readonly stage: number; readonly entries: number; readonly sramBlocks: number; readonly tcamBlocks: number }[];
  readonly crossbarBits: number;
  readonly actionUnits: number;
}

export interface StageUsage {
  readonly stage: number;
  readonly tables: readonly string[];
  readonly exactTables: number;
  readonly ternaryTables: number;
  readonly sramBlocks: number;
  readonly tcamBlocks: number;
  readonly exactCrossbarBits: number;
  readonly ternaryCrossbarBits: number;
  readonly actionUnits: number;
}

/** PHV allocation: every field a program uses, in one or more containers. */
export interface PhvAllocation {
  /**
   * Field → the pieces holding it, most significant piece first: a piece is
   * `bits` bits at bit `offset` (from the least significant bit) of
   * container `container`. Header valid bits are fields `<header>.$valid`.
   * In a policy each program has its own PHV contents (the packet is parsed
   * again), so its fields are named `<program>/<field>`.
   */
  readonly fields: ReadonlyMap<string, readonly { readonly container: number; readonly width: ContainerWidth; readonly bits: number; readonly offset: number }[]>;
  /** Containers used per width. */
  readonly used: Readonly<Record<ContainerWidth, number>>;
}

export interface Placement {
  readonly profile: RmtProfile;
  readonly tables: readonly PlacedTable[];
  readonly dependencies: readonly Dependency[];
  readonly stages: readonly StageUsage[];
  /** Stages holding anything (the pipeline length). */
  readonly stagesUsed: number;
  readonly phv: PhvAllocation;
  /** Cycles from parser to deparser through every used stage (Jose et al.'s latency model): `latency.total`. */
  readonly latencyCycles: number;
  /** How the cycles add up: parser and deparser, the first stage, each step between stages and why. */
  readonly latency: import('./latency.js').LatencyBreakdown;
}

// ---- additions (placement compiler) -------------------------------------------
// Interface merging adds optional fields only, so every existing use of the
// declarations above stays valid.

export interface RmtProfile {
  /** Per stage: gateway units (an if's condition); absent = not limited (the RMT paper gives no figure). */
  readonly gateways?: number;
  /** Per stage: logical tables of any kind together (Tofino: 16), on top of `tablesPerStage`. */
  readonly logicalTablesPerStage?: number;
  /** Bits an exact-match entry needs in an SRAM word besides its key (valid/version bits, action pointer); default 32. */
  readonly exactEntryOverheadBits?: number;
}

/** Stateful memory (a register, counter or meter array) held in the SRAM of one stage. */
export interface StatefulMemory {
  readonly name: string;
  readonly kind: 'register' | 'counter' | 'meter';
  readonly cells: number;
  /** Bits per cell. */
  readonly width: number;
}

export interface LogicalTable {
  /** Stateful arrays this table is the first user of: their cells go to its (first) stage. */
  readonly stateful?: readonly StatefulMemory[];
  /** Bits per entry of direct counters and meters, allocated in SRAM with the entries. */
  readonly directStateBits?: number;
}

export interface StageUsage {
  /** Gateway units used. */
  readonly gateways?: number;
  /** SRAM blocks by use: match entries, action data, stateful and direct counters/meters. */
  readonly sramBreakdown?: { readonly match: number; readonly action: number; readonly state: number };
}

/** One step of a placed pipeline and the stages its program occupies. */
export interface PlacedProgram {
  /** The program's name, or `name#2`, … when a policy runs it more than once. */
  readonly label: string;
  readonly program: string;
  /** Both -1 for a program without tables. */
  readonly firstStage: number;
  readonly lastStage: number;
}

export interface Placement {
  /** The pipeline's programs in order, with their stages (absent for `placeTables`). */
  readonly programs?: readonly PlacedProgram[];
}
