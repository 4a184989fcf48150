/**
 * A packet's trace as a person reads it, in the spirit of BMv2's log: the
 * parser's path, each stage's keys, the entry hit, the action and its
 * arguments, the fields it changed, branches taken, what was emitted and
 * where the packet went.
 */
import type { TraceEvent } from '@mpvisor/runtime';

const args = (a: Readonly<Record<string, string>>): string =>
  Object.entries(a)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function formatTrace(index: number, port: number, length: number, events: readonly TraceEvent[]): string {
  const lines = [`packet ${index} (in port ${port}, ${length} bytes)`];
  for (const e of events) {
    switch (e.kind) {
      case 'pass':
        if (e.pass > 1 || e.reason !== 'new') lines.push(`  pass ${e.pass} (${e.reason})`);
        break;
      case 'parser':
        lines.push(`  [${e.program}] parser: ${[...e.states, e.error === 'NoError' ? 'accept' : `error ${e.error}`].join(' -> ')}; extracted ${e.extracted.join(', ') || 'nothing'}`);
        break;
      case 'skip':
        lines.push(`  [${e.program}] skipped: its step's condition is false`);
        break;
      case 'branch':
        lines.push(`  [${e.program}] ${e.node}: ${e.taken ? 'true' : 'false'}`);
        break;
      case 'stage': {
        const keys = e.keys.map((k) => `${k.field}=${k.value}`).join(', ');
        const result = e.hit ? `hit entry ${e.entry}` : 'miss';
        lines.push(`  [${e.program}] stage ${e.stage}: ${keys ? `${keys} -> ` : ''}${result}, action ${e.action}(${args(e.args)})`);
        for (const c of e.changes) lines.push(`      ${c.field}: ${c.from} -> ${c.to}`);
        break;
      }
      case 'deparse':
        lines.push(`  [${e.program}] deparse: ${e.emitted.join(', ') || 'no headers'} (${e.length} bytes)`);
        break;
      case 'output':
        lines.push(`  -> out port ${e.port} (${e.instance}, ${e.length} bytes)`);
        break;
      case 'drop':
        lines.push(`  -> dropped (${e.reason})`);
        break;
    }
  }
  return lines.join('\n');
}
