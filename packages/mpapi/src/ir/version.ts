/** The IR version this library writes and reads. Bumped on any incompatible change to the IR. */
export const IR_VERSION = 1 as const;
export type IrVersion = typeof IR_VERSION;
