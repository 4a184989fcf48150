/**
 * `mpvisor inspect <ref> [--json] [--registry DIR|URL]`: what a published NF
 * is — its reference and digests, its annotations, its programs and stages,
 * and its lineage: each ancestor's name and digest, and where it is
 * published in the same store if it is. Everything shown was verified on
 * the way in.
 */
import type { Program, Stage } from '@mpvisor/mpapi';
import { ANNOTATION, type InspectedNf } from '@mpvisor/registry';
import { describe } from './build.js';
import type { CommandResult } from './command.js';
import { openRegistry, showLocation, type RegistryLocation } from './publish.js';

export interface InspectOptions extends RegistryLocation {
  readonly json?: boolean;
}

interface StageSummary {
  readonly name: string;
  readonly keys: readonly string[];
  readonly actions: readonly string[];
  readonly defaultAction: string;
  readonly size: number;
  readonly constEntries: number;
}

interface ProgramSummary {
  readonly name: string;
  readonly stages: readonly StageSummary[];
}

export async function inspect(reference: string | undefined, options: InspectOptions): Promise<CommandResult> {
  if (!reference) return { code: 2, stdout: '', stderr: 'mpvisor inspect: name the NF: scope/name@version, scope/name:tag or scope/name@sha256:…' };
  let nf: InspectedNf;
  let location: string;
  try {
    const registry = openRegistry(options);
    location = registry.store.location;
    nf = await registry.inspect(reference);
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor inspect: ${describe(e)}` };
  }
  const a = nf.annotations;
  const programs = (nf.ir.kind === 'program' ? [nf.ir] : nf.ir.programs).map(summariseProgram);
  if (options.json) {
    const json = {
      reference: nf.reference,
      store: location,
      manifestDigest: nf.manifestDigest,
      irDigest: nf.irDigest,
      kind: nf.ir.kind,
      name: nf.ir.name,
      version: a[ANNOTATION.version],
      description: a[ANNOTATION.description],
      author: a[ANNOTATION.authors],
      created: a[ANNOTATION.created],
      irVersion: nf.ir.irVersion,
      annotations: a,
      ...(nf.ir.kind === 'policy' ? { steps: nf.ir.steps.map((s) => ({ program: s.program, conditional: s.when !== undefined })) } : {}),
      programs,
      lineage: nf.lineage,
    };
    return { code: 0, stdout: JSON.stringify(json, null, 2), stderr: '' };
  }

  const rows: [string, string][] = [
    ['store', showLocation(location)],
    ['manifest', nf.manifestDigest],
    ['IR', `${nf.irDigest} (irVersion ${nf.ir.irVersion})`],
    ['NF', `${nf.ir.kind} "${nf.ir.name}"`],
    ...optional('version', a[ANNOTATION.version]),
    ...optional('description', a[ANNOTATION.description]),
    ...optional('author', a[ANNOTATION.authors]),
    ...optional('created', a[ANNOTATION.created]),
  ];
  if (nf.ir.kind === 'policy') rows.push(['steps', nf.ir.steps.map((s) => s.program + (s.when !== undefined ? ' (when …)' : '')).join(' >> ')]);
  const width = Math.max(...rows.map(([k]) => k.length), 'lineage'.length);
  const lines = [nf.reference, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const p of programs) {
    lines.push(`  ${nf.ir.kind === 'program' ? 'stages'.padEnd(width) : `program ${p.name}`}${nf.ir.kind === 'program' ? '  ' : ':'}`.trimEnd());
    for (const s of p.stages) {
      const keys = s.keys.length > 0 ? s.keys.join(', ') : 'no key';
      const entries = s.constEntries > 0 ? `, ${s.constEntries} const ${s.constEntries === 1 ? 'entry' : 'entries'}` : '';
      lines.push(`    ${s.name}: ${keys}; actions ${s.actions.join(', ')}; default ${s.defaultAction}; size ${s.size}${entries}`);
    }
  }
  if (nf.lineage.length === 0) lines.push(`  ${'lineage'.padEnd(width)}  none (not derived)`);
  else {
    lines.push(`  ${'lineage'.padEnd(width)}  parent first:`);
    for (const l of nf.lineage) lines.push(`    ${l.name} ${l.digest}${l.published !== undefined ? `, published as ${l.published}` : ', not published in this store'}`);
  }
  return { code: 0, stdout: lines.join('\n'), stderr: '' };
}

function optional(key: string, value: string | undefined): [string, string][] {
  return value !== undefined ? [[key, value]] : [];
}

function summariseProgram(p: Program): ProgramSummary {
  return { name: p.name, stages: p.stages.map(summariseStage) };
}

function summariseStage(s: Stage): StageSummary {
  const args = Object.entries(s.defaultAction.action.args);
  const call = args.length > 0 ? `${s.defaultAction.action.action}(${args.map(([k, v]) => `${k}=${formatArg(v)}`).join(', ')})` : s.defaultAction.action.action;
  return {
    name: s.name,
    keys: s.keys.map((k) => `${k.field} ${k.match}`),
    actions: s.actions.map((x) => x.name),
    defaultAction: s.defaultAction.const ? `${call} (const)` : call,
    size: s.size,
    constEntries: s.entries.length,
  };
}

function formatArg(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
}
