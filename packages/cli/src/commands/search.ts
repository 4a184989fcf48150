/**
 * `mpvisor list [--json]` and `mpvisor search [query] [--json]`: the NFs
 * in a registry, each repository with its versions (lowest first) and its
 * movable tags; search also matches and shows the NF's name and description.
 */
import type { RepositoryEntry, SearchHit } from '@mpvisor/registry';
import { describe } from './build.js';
import type { CommandResult } from './command.js';
import { openRegistry, showLocation, type RegistryLocation } from './publish.js';

export interface ListOptions extends RegistryLocation {
  readonly json?: boolean;
}

export async function list(options: ListOptions): Promise<CommandResult> {
  try {
    const registry = openRegistry(options);
    const entries = await registry.list();
    if (options.json) return { code: 0, stdout: JSON.stringify(entries, null, 2), stderr: '' };
    const where = showLocation(registry.store.location);
    if (entries.length === 0) return { code: 0, stdout: `no NFs in ${where}`, stderr: '' };
    return { code: 0, stdout: table(entries, false), stderr: '' };
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor list: ${describe(e)}` };
  }
}

/** Repositories whose name, NF name or description contains `query` (case-insensitively); all of them without one. */
export async function search(query: string | undefined, options: ListOptions): Promise<CommandResult> {
  try {
    const registry = openRegistry(options);
    const hits = await registry.search(query ?? '');
    if (options.json) return { code: 0, stdout: JSON.stringify(hits, null, 2), stderr: '' };
    const where = showLocation(registry.store.location);
    if (hits.length === 0) return { code: 0, stdout: query ? `no NF in ${where} matches "${query}"` : `no NFs in ${where}`, stderr: '' };
    return { code: 0, stdout: table(hits, true), stderr: '' };
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor search: ${describe(e)}` };
  }
}

function table(entries: readonly (RepositoryEntry | SearchHit)[], withDescription: boolean): string {
  const headers = ['NF', 'VERSIONS', 'TAGS', ...(withDescription ? ['DESCRIPTION'] : [])];
  const cells = entries.map((e) => [
    e.repository,
    e.versions.join(', ') || '-',
    e.tags.join(', ') || '-',
    ...(withDescription ? [('description' in e ? e.description : undefined) ?? '-'] : []),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
