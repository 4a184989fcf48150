/**
 * @mpvisor/targets — executors of the IR. The reference interpreter, the
 * compiled fast path and the RMT emulator are built on the runtime's Target
 * interface in the issues that follow; this package holds them.
 */
export {};
