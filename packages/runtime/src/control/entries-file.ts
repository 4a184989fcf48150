/**
 * Entries files: the control-plane state to install with a pipeline, in JSON
 * or YAML, written the way people write values (prefixes, MAC and IP
 * addresses, "_" for don't-care). The format is documented in
 * docs/entries.md. A file is checked whole before anything is installed.
 */
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { parse as parseYaml } from 'yaml';
import { issuesOf, MpvisorError, toArgs, toKeyMatches, type ErrorCode, type Issue } from '@mpvisor/mpapi';
import { DeviceState, type ProgramState } from './device-state.js';
import type { Update } from './entities.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Target } from '../target/target.js';

const Value = t.union([t.number, t.string]);
const Match = t.union([
  Value,
  t.type({ value: Value, prefixLength: t.number }),
  t.type({ value: Value, mask: Value }),
  t.type({ low: Value, high: Value }),
  t.tuple([Value, Value]),
]);
const Args = t.record(t.string, Value);
const TableEntry = t.intersection([t.type({ key: t.record(t.string, Match), action: t.string }), t.partial({ args: Args, priority: t.number })]);
const ActionCall = t.intersection([t.type({ action: t.string }), t.partial({ args: Args })]);
const ProgramEntries = t.partial({
  tables: t.record(t.string, t.array(TableEntry)),
  defaults: t.record(t.string, ActionCall),
  registers: t.array(t.type({ register: t.string, index: t.number, value: Value })),
  counters: t.array(t.type({ counter: t.string, index: t.number, packets: t.number, bytes: t.number })),
  meters: t.array(t.type({ meter: t.string, index: t.number, cir: t.number, cburst: t.number, pir: t.number, pburst: t.number })),
});
const Replica = t.type({ port: t.number, instance: t.number });
export const EntriesFile = t.intersection([
  ProgramEntries,
  t.partial({
    /** Per-program sections, for a policy whose programs share stage names. */
    programs: t.record(t.string, ProgramEntries),
    multicastGroups: t.array(t.intersection([t.type({ id: t.number }), t.partial({ ports: t.array(t.number), replicas: t.array(Replica) })])),
    cloneSessions: t.array(t.type({ id: t.number, port: t.number })),
  }),
]);
export type EntriesFile = t.TypeOf<typeof EntriesFile>;
type ProgramEntries = t.TypeOf<typeof ProgramEntries>;

/** Parse JSON or YAML text (chosen by extension, or tried in turn) into the entries format. */
export function parseEntriesFile(text: string, source: string): EntriesFile {
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(source) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new MpvisorError('INVALID_ARGUMENT', `${source}: not valid ${/\.ya?ml$/i.test(source) ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  const decoded = EntriesFile.decode(raw ?? {});
  if (either.isLeft(decoded)) {
    throw new MpvisorError('INVALID_ARGUMENT', issuesOf(decoded.left).map((i) => ({ ...i, message: `${source}: ${i.message}` })));
  }
  const unknown = unknownProperties(raw ?? {}, source);
  if (unknown.length > 0) throw new MpvisorError('INVALID_ARGUMENT', unknown);
  return decoded.right;
}

/** The properties each object of the format may have; a misspelt one (say "table") must not be silently ignored. */
const SECTION_KEYS = ['tables', 'defaults', 'registers', 'counters', 'meters'];
const ITEM_KEYS: Readonly<Record<string, readonly string[]>> = {
  tables: ['key', 'action', 'args', 'priority'],
  registers: ['register', 'index', 'value'],
  counters: ['counter', 'index', 'packets', 'bytes'],
  meters: ['meter', 'index', 'cir', 'cburst', 'pir', 'pburst'],
  multicastGroups: ['id', 'ports', 'replicas'],
  cloneSessions: ['id', 'port'],
};

function unknownProperties(raw: unknown, source: string): Issue[] {
  const issues: Issue[] = [];
  const entries = (v: unknown): [string, unknown][] => (typeof v === 'object' && v !== null ? Object.entries(v) : []);
  const closed = (v: unknown, allowed: readonly string[], path: string): void => {
    if (Array.isArray(v)) return;
    for (const [k] of entries(v)) if (!allowed.includes(k)) issues.push({ message: `${source}: unknown property "${k}" (expected ${allowed.join(', ')})`, path: `${path}.${k}` });
  };
  const list = (v: unknown, allowed: readonly string[], path: string): void => {
    if (Array.isArray(v)) v.forEach((item, i) => closed(item, allowed, `${path}[${i}]`));
  };
  const section = (v: unknown, path: string, top: boolean): void => {
    closed(v, top ? [...SECTION_KEYS, 'programs', 'multicastGroups', 'cloneSessions'] : SECTION_KEYS, path);
    const get = (k: string): unknown => entries(v).find(([x]) => x === k)?.[1];
    for (const [stage, rows] of entries(get('tables'))) list(rows, ITEM_KEYS['tables']!, `${path}.tables.${stage}`);
    for (const [stage, call] of entries(get('defaults'))) closed(call, ['action', 'args'], `${path}.defaults.${stage}`);
    for (const k of ['registers', 'counters', 'meters'] as const) list(get(k), ITEM_KEYS[k]!, `${path}.${k}`);
    if (!top) return;
    for (const [name, sub] of entries(get('programs'))) section(sub, `${path}.programs.${name}`, false);
    list(get('multicastGroups'), ITEM_KEYS['multicastGroups']!, `${path}.multicastGroups`);
    const groups = get('multicastGroups');
    if (Array.isArray(groups)) groups.forEach((g, i) => list(entries(g).find(([x]) => x === 'replicas')?.[1], ['port', 'instance'], `${path}.multicastGroups[${i}].replicas`));
    list(get('cloneSessions'), ITEM_KEYS['cloneSessions']!, `${path}.cloneSessions`);
  };
  section(raw, '$', true);
  return issues;
}

/** Updates from an entries file, each with the JSON path of the entry it came from. */
export interface EntriesUpdates {
  readonly updates: readonly Update[];
  readonly origins: readonly string[];
}

/** Turn an entries file into updates for a loaded pipeline; every fault is reported with its place in the file. */
export function entriesToUpdates(file: EntriesFile, pipeline: Pipeline, source: string): EntriesUpdates {
  const device = new DeviceState(pipeline);
  const issues: Issue[] = [];
  const updates: Update[] = [];
  const origins: string[] = [];
  let origin = '$';
  const add = (u: Update): void => {
    updates.push(u);
    origins.push(origin);
  };
  const sections: [string, ProgramEntries, string | undefined][] = [['$', file, undefined]];
  for (const [name, section] of Object.entries(file.programs ?? {})) sections.push([`$.programs.${name}`, section, name]);
  for (const [base, section, programName] of sections) {
    const where = (path: string, message: string): void => void issues.push({ message: `${source}: ${message}`, path: `${base}${path}` });
    const resolve = (has: (p: ProgramState) => boolean, what: string, path: string): ProgramState | undefined => {
      const p = device.resolveProgram(programName, has);
      if (typeof p === 'string') return void where(path, `${what}: ${p}`);
      if (!has(p)) return void where(path, `program "${p.program.name}" has no ${what}`);
      return p;
    };
    for (const [stage, entries] of Object.entries(section.tables ?? {})) {
      const p = resolve((x) => x.tables.has(stage), `stage "${stage}"`, `.tables.${stage}`);
      if (!p) continue;
      const table = p.tables.get(stage)!;
      entries.forEach((e, i) => {
        const path = `.tables.${stage}[${i}]`;
        origin = `${base}${path}`;
        try {
          const matches = toKeyMatches(table.stage.keys, table.keyWidths, e.key);
          if (!Array.isArray(matches)) {
            throw new Error(
              matches.kind === 'unknownKey'
                ? `"${matches.key}" is not a key of stage "${stage}"`
                : matches.kind === 'missingKey'
                  ? `no value for key ${matches.key}`
                  : `key ${matches.key}: ${matches.message}`,
            );
          }
          add({
            type: 'insert',
            entity: {
              kind: 'tableEntry',
              program: p.program.name,
              stage,
              matches,
              action: { kind: 'actionCall', action: e.action, args: toArgs(e.args ?? {}) },
              ...(e.priority !== undefined ? { priority: e.priority } : {}),
            },
          });
        } catch (err) {
          where(path, (err as Error).message);
        }
      });
    }
    for (const [stage, call] of Object.entries(section.defaults ?? {})) {
      const p = resolve((x) => x.tables.has(stage), `stage "${stage}"`, `.defaults.${stage}`);
      if (!p) continue;
      origin = `${base}.defaults.${stage}`;
      try {
        add({ type: 'modify', entity: { kind: 'defaultAction', program: p.program.name, stage, action: { kind: 'actionCall', action: call.action, args: toArgs(call.args ?? {}) } } });
      } catch (err) {
        where(`.defaults.${stage}`, (err as Error).message);
      }
    }
    (section.registers ?? []).forEach((r, i) => {
      origin = `${base}.registers[${i}]`;
      const p = resolve((x) => x.registers.has(r.register), `register "${r.register}"`, `.registers[${i}]`);
      if (!p) return;
      try {
        add({ type: 'modify', entity: { kind: 'register', program: p.program.name, register: r.register, index: r.index, value: toArgs({ v: r.value }).v! } });
      } catch (err) {
        where(`.registers[${i}]`, (err as Error).message);
      }
    });
    (section.counters ?? []).forEach((c, i) => {
      origin = `${base}.counters[${i}]`;
      const p = resolve((x) => x.counters.has(c.counter), `counter "${c.counter}"`, `.counters[${i}]`);
      if (p) add({ type: 'modify', entity: { kind: 'counter', program: p.program.name, counter: c.counter, index: c.index, packets: BigInt(c.packets), bytes: BigInt(c.bytes) } });
    });
    (section.meters ?? []).forEach((m, i) => {
      origin = `${base}.meters[${i}]`;
      const p = resolve((x) => x.meters.has(m.meter), `meter "${m.meter}"`, `.meters[${i}]`);
      if (p) {
        add({
          type: 'modify',
          entity: { kind: 'meter', program: p.program.name, meter: m.meter, index: m.index, config: { cir: m.cir, cburst: m.cburst, pir: m.pir, pburst: m.pburst } },
        });
      }
    });
  }
  (file.multicastGroups ?? []).forEach((g, i) => {
    origin = `$.multicastGroups[${i}]`;
    const replicas = g.replicas ?? (g.ports ?? []).map((port) => ({ port, instance: 0 }));
    add({ type: 'insert', entity: { kind: 'multicastGroup', id: g.id, replicas } });
  });
  (file.cloneSessions ?? []).forEach((c, i) => {
    origin = `$.cloneSessions[${i}]`;
    add({ type: 'insert', entity: { kind: 'cloneSession', id: c.id, port: c.port } });
  });
  if (issues.length > 0) throw new MpvisorError('INVALID_ARGUMENT', issues);
  return { updates, origins };
}

/** The failed updates of a write, each named by the place in the file it came from. */
export function describeFailures(from: EntriesUpdates, results: readonly { readonly ok: boolean; readonly code?: string; readonly message?: string }[], source: string): Issue[] {
  return results.flatMap((r, i) =>
    r.ok || r.code === 'ABORTED' ? [] : [{ message: `${source}: ${r.code}: ${r.message}`, path: from.origins[i] ?? '$' }],
  );
}

/**
 * Install an entries file on a target loaded with `pipeline`, all or
 * nothing: a file with any bad entry installs none of them.
 */
export function installEntries(target: Target, pipeline: Pipeline, text: string, source: string): number {
  const from = entriesToUpdates(parseEntriesFile(text, source), pipeline, source);
  const result = target.write(from.updates, { atomicity: 'rollbackOnError' });
  if (!result.ok) {
    const failures = describeFailures(from, result.results, source);
    const first = result.results.find((r) => !r.ok && r.code !== 'ABORTED');
    throw new MpvisorError(((first && !first.ok ? first.code : 'INVALID_ARGUMENT') as ErrorCode), failures);
  }
  return from.updates.length;
}
