/**
 * `mpvisor build <paths…> [--out DIR] [--json]`: load NF modules, build and
 * validate every exported program and policy, print a summary, and write
 * each NF's canonical IR to DIR/<name>.ir.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MpvisorError, canonicalJson } from '@mpvisor/mpapi';
import { expandPaths, loadNfs, type FoundNf } from '../load-module.js';
import { formatTable, summarise, type SummaryRow } from '../summary.js';
import type { CommandResult } from './command.js';

export interface BuildOptions {
  readonly out?: string;
  readonly json?: boolean;
}

/** File name for an NF: scoped names (`acme/fw-strict`) become `acme__fw-strict`. */
export function irFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_.@-]/g, '__')}.ir.json`;
}

export async function build(paths: readonly string[], options: BuildOptions): Promise<CommandResult> {
  const errors: string[] = [];
  const found: FoundNf[] = [];
  for (const file of expandPaths(paths.length > 0 ? paths : ['.'])) {
    try {
      found.push(...(await loadNfs(file)));
    } catch (e) {
      errors.push(`${relative(process.cwd(), file)}: ${describe(e)}`);
    }
  }
  const rows: SummaryRow[] = [];
  const outputs: { name: string; text: string }[] = [];
  const byName = new Map<string, string>();
  for (const nf of found) {
    const where = `${relative(process.cwd(), nf.file)} (export ${nf.exportName})`;
    try {
      const ir = nf.builder.toIR();
      const digest = nf.builder.irDigest();
      const prior = byName.get(ir.name);
      if (prior === digest) continue; // re-exported from an index module
      if (prior !== undefined) {
        errors.push(`${where}: another module exports a different NF named "${ir.name}"`);
        continue;
      }
      byName.set(ir.name, digest);
      rows.push(summarise(ir, digest));
      outputs.push({ name: ir.name, text: `${canonicalJson(ir)}\n` });
    } catch (e) {
      errors.push(`${where}: ${describe(e)}`);
    }
  }
  if (options.out !== undefined && errors.length === 0) {
    mkdirSync(options.out, { recursive: true });
    for (const o of outputs) {
      // write then rename, so a crash never leaves a half-written IR file
      const target = join(options.out, irFileName(o.name));
      writeFileSync(`${target}.tmp`, o.text);
      renameSync(`${target}.tmp`, target);
    }
  }
  const stdout = options.json
    ? JSON.stringify(rows, null, 2)
    : [
        formatTable(rows),
        '',
        `${rows.length} NF${rows.length === 1 ? '' : 's'} built and validated` +
          (options.out !== undefined && errors.length === 0 ? `; IR written to ${options.out}/` : ''),
      ].join('\n');
  return { code: errors.length > 0 ? 1 : 0, stdout, stderr: errors.join('\n') };
}

/** An error as one readable paragraph: MpvisorErrors already name where; others keep their message only. */
export function describe(e: unknown): string {
  if (e instanceof MpvisorError || (e instanceof Error && e.name === 'MpvisorError')) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
