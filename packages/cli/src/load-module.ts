/**
 * Loading NF modules: TypeScript or JavaScript files whose exports include
 * program or policy builders. TypeScript is loaded with tsx, so users run
 * their NF sources directly.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { Policy, Program } from '@mpvisor/mpapi';

/** A program or policy builder, recognised by shape so it works across module copies. */
export interface NfBuilder {
  readonly name: string;
  toIR(): Program | Policy;
  irDigest(): string;
}

export interface FoundNf {
  readonly file: string;
  readonly exportName: string;
  readonly builder: NfBuilder;
}

const SOURCE = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

export function isNfBuilder(x: unknown): x is NfBuilder {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as NfBuilder).toIR === 'function' &&
    typeof (x as NfBuilder).irDigest === 'function' &&
    typeof (x as NfBuilder).name === 'string'
  );
}

/** Files named on the command line; a directory means its source files (not tests, not declarations). */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new Error(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(abs).sort()) {
        if (SOURCE.has(extname(f)) && !/\.(test|spec)\.|\.d\.[cm]?ts$/.test(f)) out.push(join(abs, f));
      }
    } else out.push(abs);
  }
  return out;
}

/** Import one module and list its NF exports (the same builder exported twice is listed once). */
export async function loadNfs(file: string): Promise<FoundNf[]> {
  const mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  const seen = new Set<unknown>();
  const found: FoundNf[] = [];
  for (const [exportName, value] of Object.entries(mod)) {
    if (exportName === 'default' && seen.has(value)) continue;
    if (isNfBuilder(value) && !seen.has(value)) {
      seen.add(value);
      found.push({ file, exportName, builder: value });
    }
  }
  return found;
}
