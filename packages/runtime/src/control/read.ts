/** Reading entities back from the device state, as P4Runtime's Read RPC does (wildcards by omission). */
import { MpvisorError, toHex } from '@mpvisor/mpapi';
import type { DeviceState, ProgramState } from './device-state.js';
import type { Entity, ReadRequest } from './entities.js';

export function readEntities(state: DeviceState, req: ReadRequest): Entity[] {
  const programs = (name: string | undefined): ProgramState[] =>
    [...state.programs.values()].filter((p) => name === undefined || p.program.name === name);
  const out: Entity[] = [];
  switch (req.kind) {
    case 'tableEntry':
    case 'directCounter':
    case 'directMeter':
      for (const p of programs(req.program)) {
        for (const t of p.tables.values()) {
          if (req.stage !== undefined && t.stage.name !== req.stage) continue;
          if (req.kind === 'directCounter' && t.stage.directCounter === undefined) continue;
          if (req.kind === 'directMeter' && t.stage.directMeter === undefined) continue;
          for (const e of [...t.entries.values()].sort((a, b) => a.seq - b.seq)) {
            const base = { program: p.program.name, stage: t.stage.name, matches: e.matches, ...(e.priority !== undefined ? { priority: e.priority } : {}) };
            if (req.kind === 'tableEntry') out.push({ kind: 'tableEntry', ...base, action: e.action });
            else if (req.kind === 'directCounter') out.push({ kind: 'directCounter', ...base, packets: e.packets, bytes: e.bytes });
            else out.push({ kind: 'directMeter', ...base, config: e.meter?.config ?? null });
          }
        }
      }
      return out;
    case 'defaultAction':
      for (const p of programs(req.program)) {
        for (const t of p.tables.values()) {
          if (req.stage === undefined || t.stage.name === req.stage) out.push({ kind: 'defaultAction', program: p.program.name, stage: t.stage.name, action: t.defaultAction });
        }
      }
      return out;
    case 'register':
      for (const p of programs(req.program)) {
        for (const [name, r] of p.registers) {
          if (req.register !== undefined && name !== req.register) continue;
          r.cells.forEach((v, index) => {
            if (req.index === undefined || req.index === index) out.push({ kind: 'register', program: p.program.name, register: name, index, value: toHex(v) });
          });
        }
      }
      return out;
    case 'counter':
      for (const p of programs(req.program)) {
        for (const [name, c] of p.counters) {
          if (req.counter !== undefined && name !== req.counter) continue;
          c.packets.forEach((packets, index) => {
            if (req.index === undefined || req.index === index) out.push({ kind: 'counter', program: p.program.name, counter: name, index, packets, bytes: c.bytes[index]! });
          });
        }
      }
      return out;
    case 'meter':
      for (const p of programs(req.program)) {
        for (const [name, cells] of p.meters) {
          if (req.meter !== undefined && name !== req.meter) continue;
          cells.forEach((cell, index) => {
            if (req.index === undefined || req.index === index) out.push({ kind: 'meter', program: p.program.name, meter: name, index, config: cell?.config ?? null });
          });
        }
      }
      return out;
    case 'multicastGroup':
      for (const [id, replicas] of [...state.multicastGroups].sort((a, b) => a[0] - b[0])) {
        if (req.id === undefined || req.id === id) out.push({ kind: 'multicastGroup', id, replicas });
      }
      return out;
    case 'cloneSession':
      for (const [id, port] of [...state.cloneSessions].sort((a, b) => a[0] - b[0])) {
        if (req.id === undefined || req.id === id) out.push({ kind: 'cloneSession', id, port });
      }
      return out;
    default:
      // a request from outside the type system (JSON, a CLI): refuse it rather than answer undefined
      throw new MpvisorError('INVALID_ARGUMENT', `unknown entity kind ${JSON.stringify((req as { kind?: unknown }).kind)} to read`);
  }
}
