/**
 * Applying a batch of updates to the device state, with P4Runtime's
 * validation and error codes (§9.1 and §12 "Error reporting"). Every applied
 * update leaves an undo step, so an all-or-nothing batch that fails leaves
 * no trace.
 */
import { either } from 'fp-ts';
import { checkActionCall, checkEntry, fits, formatIssue, fromHex, ir, issuesOf, type ErrorCode, type KeyMatch } from '@mpvisor/mpapi';
import type * as t from 'io-ts';
import type { DeviceState, ProgramState, StoredEntry, TableState } from './device-state.js';
import { entryKey } from './device-state.js';
import type { Atomicity, Entity, MeterConfig, Update, UpdateResult, WriteResult } from './entities.js';

type Failure = { readonly ok: false; readonly code: ErrorCode; readonly message: string };
type Applied = { readonly ok: true; readonly undo: () => void };

const fail = (code: ErrorCode, message: string): Failure => ({ ok: false, code, message });
const done = (undo: () => void): Applied => ({ ok: true, undo });

/** Highest port number a target accepts; 511 is v1model's drop port. */
export const MAX_PORT = 510;

export function applyUpdates(state: DeviceState, updates: readonly Update[], atomicity: Atomicity = 'continueOnError'): WriteResult {
  const undos: (() => void)[] = [];
  const results: (UpdateResult | Applied)[] = updates.map((u) => {
    const r = applyOne(state, u);
    if (r.ok) undos.push(r.undo);
    return r;
  });
  const failed = results.findIndex((r) => !r.ok);
  if (failed >= 0 && atomicity !== 'continueOnError') {
    for (const undo of undos.reverse()) undo();
    return {
      ok: false,
      results: results.map((r) =>
        r.ok ? { ok: false, code: 'ABORTED', message: `not applied: the batch was rolled back because update ${failed} failed` } : r,
      ),
    };
  }
  if (undos.length > 0) state.generation++;
  return { ok: failed < 0, results: results.map((r) => (r.ok ? { ok: true } : r)) };
}

function applyOne(state: DeviceState, u: Update): Applied | Failure {
  const e: Entity = u.entity;
  switch (e.kind) {
    case 'tableEntry':
      return withTable(state, e.program, e.stage, (t) => journaled(state, t, e.matches, writeEntry(state, t, u.type, e.matches, e.priority, e.action)));
    case 'defaultAction':
      return withTable(state, e.program, e.stage, (t) => journaled(state, t, undefined, writeDefault(t, u.type, e.action)));
    case 'register':
      return onlyModify(u, 'a register', () =>
        withProgram(state, e.program, (p) => p.registers.has(e.register), `register "${e.register}"`, (p) => {
          const r = p.registers.get(e.register)!;
          if (!inRange(e.index, r.cells.length)) return fail('OUT_OF_RANGE', `register "${e.register}" has ${r.cells.length} cells; index ${e.index} is out of range`);
          if (!isHex(e.value) || !fits(fromHex(e.value), r.width)) return fail('INVALID_ARGUMENT', `register "${e.register}": value ${String(e.value)} does not fit bit<${r.width}>`);
          const old = r.cells[e.index]!;
          r.cells[e.index] = fromHex(e.value);
          return done(() => void (r.cells[e.index] = old));
        }),
      );
    case 'counter':
      return onlyModify(u, 'a counter', () =>
        withProgram(state, e.program, (p) => p.counters.has(e.counter), `counter "${e.counter}"`, (p) => {
          const c = p.counters.get(e.counter)!;
          if (!inRange(e.index, c.packets.length)) return fail('OUT_OF_RANGE', `counter "${e.counter}" has ${c.packets.length} cells; index ${e.index} is out of range`);
          if (e.packets < 0n || e.bytes < 0n) return fail('INVALID_ARGUMENT', 'counter values cannot be negative');
          const old = [c.packets[e.index]!, c.bytes[e.index]!] as const;
          c.packets[e.index] = e.packets;
          c.bytes[e.index] = e.bytes;
          return done(() => {
            c.packets[e.index] = old[0];
            c.bytes[e.index] = old[1];
          });
        }),
      );
    case 'directCounter':
      return onlyModify(u, 'a direct counter', () =>
        withTable(state, e.program, e.stage, (t) => {
          if (t.stage.directCounter === undefined) return fail('INVALID_ARGUMENT', `stage "${t.stage.name}" has no direct counter`);
          return withEntry(t, e.matches, e.priority, (s) => {
            const old = [s.packets, s.bytes] as const;
            s.packets = e.packets;
            s.bytes = e.bytes;
            return done(() => {
              s.packets = old[0];
              s.bytes = old[1];
            });
          });
        }),
      );
    case 'meter':
      return onlyModify(u, 'a meter', () =>
        withProgram(state, e.program, (p) => p.meters.has(e.meter), `meter "${e.meter}"`, (p) => {
          const cells = p.meters.get(e.meter)!;
          if (!inRange(e.index, cells.length)) return fail('OUT_OF_RANGE', `meter "${e.meter}" has ${cells.length} cells; index ${e.index} is out of range`);
          const bad = checkMeterConfig(e.config);
          if (bad) return fail('INVALID_ARGUMENT', `meter "${e.meter}": ${bad}`);
          const old = cells[e.index]!;
          cells[e.index] = e.config ? { config: e.config } : null;
          return done(() => void (cells[e.index] = old));
        }),
      );
    case 'directMeter':
      return onlyModify(u, 'a direct meter', () =>
        withTable(state, e.program, e.stage, (t) => {
          if (t.stage.directMeter === undefined) return fail('INVALID_ARGUMENT', `stage "${t.stage.name}" has no direct meter`);
          const bad = checkMeterConfig(e.config);
          if (bad) return fail('INVALID_ARGUMENT', `stage "${t.stage.name}" direct meter: ${bad}`);
          return withEntry(t, e.matches, e.priority, (s) => {
            const old = s.meter;
            s.meter = e.config ? { config: e.config } : null;
            return done(() => void (s.meter = old));
          });
        }),
      );
    case 'multicastGroup': {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 0xffff) return fail('INVALID_ARGUMENT', `multicast group id ${e.id} is not in 1..65535`);
      const badPort = e.replicas.find((r) => !inRange(r.port, MAX_PORT + 1));
      if (u.type !== 'delete' && badPort) return fail('INVALID_ARGUMENT', `multicast group ${e.id}: port ${badPort.port} is not in 0..${MAX_PORT}`);
      return writeKeyed(state.multicastGroups, e.id, u.type, e.replicas, `multicast group ${e.id}`);
    }
    case 'cloneSession': {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 0xffffffff) return fail('INVALID_ARGUMENT', `clone session id ${e.id} is not in 1..2^32-1`);
      if (u.type !== 'delete' && !inRange(e.port, MAX_PORT + 1)) return fail('INVALID_ARGUMENT', `clone session ${e.id}: port ${e.port} is not in 0..${MAX_PORT}`);
      return writeKeyed(state.cloneSessions, e.id, u.type, e.port, `clone session ${e.id}`);
    }
    default:
      return fail('INVALID_ARGUMENT', `unknown entity kind ${JSON.stringify((e as { kind?: unknown }).kind)}`);
  }
}

/** Codec errors as "message (at $.path)", joined. */
const describe = (errors: t.Errors): string => issuesOf(errors).map(formatIssue).join('; ');

const inRange = (i: number, size: number): boolean => Number.isInteger(i) && i >= 0 && i < size;
const isHex = (v: unknown): v is string => typeof v === 'string' && /^0x(0|[1-9a-f][0-9a-f]*)$/.test(v);

function onlyModify(u: Update, what: string, f: () => Applied | Failure): Applied | Failure {
  // P4Runtime: registers, counters and meters always exist; they are only modified
  return u.type === 'modify' ? f() : fail('INVALID_ARGUMENT', `${what} can only be modified, not ${u.type === 'insert' ? 'inserted' : 'deleted'}`);
}

function withProgram(
  state: DeviceState,
  program: string | undefined,
  has: (p: ProgramState) => boolean,
  what: string,
  f: (p: ProgramState) => Applied | Failure,
): Applied | Failure {
  const p = state.resolveProgram(program, has);
  if (typeof p === 'string') return fail('INVALID_ARGUMENT', `${what}: ${p}`);
  if (!has(p)) return fail('INVALID_ARGUMENT', `program "${p.program.name}" has no ${what}`);
  return f(p);
}

function withTable(state: DeviceState, program: string | undefined, stage: string, f: (t: TableState) => Applied | Failure): Applied | Failure {
  return withProgram(state, program, (p) => p.tables.has(stage), `stage "${stage}"`, (p) => f(p.tables.get(stage)!));
}

function withEntry(t: TableState, matches: readonly KeyMatch[], priority: number | undefined, f: (s: StoredEntry) => Applied | Failure): Applied | Failure {
  const s = t.entries.get(entryKey(matches, priority));
  return s ? f(s) : fail('NOT_FOUND', `stage "${t.stage.name}" has no entry with these matches${priority !== undefined ? ` and priority ${priority}` : ''}`);
}

function writeEntry(
  state: DeviceState,
  t: TableState,
  type: Update['type'],
  matches: readonly KeyMatch[],
  priority: number | undefined,
  action: unknown,
): Applied | Failure {
  const name = t.stage.name;
  if (t.constEntries) return fail('PERMISSION_DENIED', `stage "${name}" has const entries; the control plane cannot change its entries`);
  // a stage without keys always misses (P4 "keyless table"): an entry would never be used
  if (t.stage.keys.length === 0) return fail('INVALID_ARGUMENT', `stage "${name}" has no keys, so it cannot have entries; set its default action instead`);
  // shape first (the entity may come from JSON), then P4Runtime's rules
  const shaped = ir.Entry.decode({ kind: 'entry', matches, action, ...(priority !== undefined ? { priority } : {}) });
  if (either.isLeft(shaped)) {
    return fail('INVALID_ARGUMENT', `stage "${name}": malformed entry: ${describe(shaped.left)}`);
  }
  const entry = shaped.right;
  const problems: string[] = [];
  const report = (m: string): void => void problems.push(m);
  if (type === 'delete') {
    if (entry.matches.length !== t.stage.keys.length) report(`entry has ${entry.matches.length} key matches, stage "${name}" has ${t.stage.keys.length} keys`);
  } else {
    checkEntry(t.stage, t.keyWidths, entry, '$', report);
  }
  if (problems.length > 0) return fail('INVALID_ARGUMENT', `stage "${name}": ${problems.join('; ')}`);
  const key = entryKey(entry.matches, entry.priority);
  const old = t.entries.get(key);
  switch (type) {
    case 'insert': {
      if (old) return fail('ALREADY_EXISTS', `stage "${name}" already has an entry with these matches; the entry is unchanged`);
      if (t.entries.size >= t.stage.size) return fail('RESOURCE_EXHAUSTED', `stage "${name}" is full (${t.stage.size} entries)`);
      t.entries.set(key, {
        matches: entry.matches,
        action: entry.action,
        ...(entry.priority !== undefined ? { priority: entry.priority } : {}),
        seq: state.nextSeq(),
        packets: 0n,
        bytes: 0n,
        meter: null,
      });
      return done(() => void t.entries.delete(key));
    }
    case 'modify': {
      if (!old) return fail('NOT_FOUND', `stage "${name}" has no entry with these matches to modify`);
      t.entries.set(key, { ...old, action: entry.action });
      return done(() => void t.entries.set(key, old));
    }
    case 'delete': {
      if (!old) return fail('NOT_FOUND', `stage "${name}" has no entry with these matches to delete`);
      t.entries.delete(key);
      return done(() => {
        t.entries.set(key, old);
        reorder(t);
      });
    }
  }
}

/** A table write that took effect goes into the device's journal (see write-journal.ts). */
function journaled(state: DeviceState, t: TableState, matches: readonly KeyMatch[] | undefined, r: Applied | Failure): Applied | Failure {
  if (r.ok) state.journal.record({ program: t.program, stage: t.stage.name, ...(matches ? { matches } : {}) });
  return r;
}

/** Keep installation order after an undone delete (reads and tie-breaks follow it). */
function reorder(t: TableState): void {
  const sorted = [...t.entries].sort((a, b) => a[1].seq - b[1].seq);
  t.entries.clear();
  for (const [k, v] of sorted) t.entries.set(k, v);
}

function writeDefault(t: TableState, type: Update['type'], action: unknown): Applied | Failure {
  const name = t.stage.name;
  if (type === 'insert') return fail('INVALID_ARGUMENT', `the default action of stage "${name}" always exists; modify it`);
  if (t.stage.defaultAction.const) return fail('PERMISSION_DENIED', `the default action of stage "${name}" is const`);
  const next = type === 'delete' ? t.stage.defaultAction.action : action;
  const shaped = ir.ActionCall.decode(next);
  if (either.isLeft(shaped)) return fail('INVALID_ARGUMENT', `stage "${name}": malformed action call: ${describe(shaped.left)}`);
  const problems: string[] = [];
  checkActionCall(t.stage, shaped.right, '$', (m) => void problems.push(m));
  if (problems.length > 0) return fail('INVALID_ARGUMENT', `stage "${name}": ${problems.join('; ')}`);
  const old = t.defaultAction;
  t.defaultAction = shaped.right;
  return done(() => void (t.defaultAction = old));
}

function writeKeyed<K, V>(map: Map<K, V>, key: K, type: Update['type'], value: V, what: string): Applied | Failure {
  const old = map.get(key);
  if (type === 'insert' && old !== undefined) return fail('ALREADY_EXISTS', `${what} already exists`);
  if (type !== 'insert' && old === undefined) return fail('NOT_FOUND', `${what} does not exist`);
  if (type === 'delete') map.delete(key);
  else map.set(key, value);
  return done(() => (old === undefined ? map.delete(key) : map.set(key, old)));
}

function checkMeterConfig(c: MeterConfig | null): string | undefined {
  if (c === null) return undefined;
  const bad = (['cir', 'cburst', 'pir', 'pburst'] as const).find((k) => !Number.isSafeInteger(c[k]) || c[k] < 0);
  if (bad) return `${bad} must be a non-negative integer`;
  // RFC 2698 §3: "The PIR MUST be equal to or greater than the CIR."
  if (c.pir < c.cir) return `PIR ${c.pir} is below CIR ${c.cir} (RFC 2698 requires PIR >= CIR)`;
  return undefined;
}
