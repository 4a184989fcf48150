/**
 * `mpvisor pull <ref> -o <file.ts> [--export NAME] [--ir <file.json>]
 * [--registry DIR|URL]`: pull a published NF, verified against its digests,
 * and write a typed TypeScript module of it (so `derive` on it is checked by
 * the compiler as on an NF written here) and/or its canonical IR. Pulling
 * runs nothing: the NF is data.
 */
import { canonicalJson } from '@mpvisor/mpapi';
import { ANNOTATION, parseReference, repositoryOf, typedModuleSource, writeFileAtomic, type PulledNf } from '@mpvisor/registry';
import { describe } from './build.js';
import type { CommandResult } from './command.js';
import { openRegistry, showLocation, type RegistryLocation } from './publish.js';

export interface PullOptions extends RegistryLocation {
  /** `-o`: the typed module to write. */
  readonly out?: string;
  /** The typed module's export name (by default the NF's name in camelCase). */
  readonly export?: string;
  /** `--ir`: the canonical IR to write, byte for byte the published layer. */
  readonly ir?: string;
}

export async function pull(reference: string | undefined, options: PullOptions): Promise<CommandResult> {
  const usage = (message: string): CommandResult => ({ code: 2, stdout: '', stderr: `mpvisor pull: ${message}` });
  if (!reference) return usage('name the NF to pull: scope/name@version, scope/name:tag or scope/name@sha256:…');
  if (options.out === undefined && options.ir === undefined) return usage('name an output: -o FILE.ts for a typed module, --ir FILE.json for the canonical IR');
  if (options.out !== undefined && !/\.[cm]?ts$/.test(options.out)) return usage(`-o ${options.out}: a typed module is a TypeScript file (.ts)`);

  let pulled: PulledNf;
  let location: string;
  try {
    const registry = openRegistry(options);
    location = registry.store.location;
    pulled = await registry.pull(reference);
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor pull: ${describe(e)}` };
  }
  const lines = [
    `pulled ${pulled.reference} from ${showLocation(location)}: ${pulled.ir.kind} "${pulled.ir.name}", verified`,
    `  manifest  ${pulled.manifestDigest}`,
    `  IR        ${pulled.irDigest}`,
  ];
  try {
    if (options.out !== undefined) {
      // pinned to the version, so the module's header says what it is even when pulled by a tag
      const version = pulled.annotations[ANNOTATION.version];
      const repository = repositoryOf(parseReference(pulled.reference));
      const pinned = version !== undefined ? `${repository}@${version}` : pulled.reference;
      const text = typedModuleSource(pulled.ir, { reference: pinned, manifestDigest: pulled.manifestDigest, ...(options.export !== undefined ? { exportName: options.export } : {}) });
      writeFileAtomic(options.out, text);
      // the NF is the module's last export (a policy's programs come before it)
      const exported = [...text.matchAll(/^export const (\w+)/gm)].map((m) => m[1]!);
      const what = pulled.ir.kind === 'program' ? 'a typed program builder' : `the policy, and its programs ${exported.slice(0, -1).join(', ')}`;
      lines.push(`wrote ${options.out}: export ${exported[exported.length - 1] ?? '?'} (${what})`);
    }
    if (options.ir !== undefined) {
      writeFileAtomic(options.ir, canonicalJson(pulled.ir));
      lines.push(`wrote ${options.ir}: the canonical IR (its sha256 is the IR digest)`);
    }
  } catch (e) {
    return { code: 1, stdout: lines.join('\n'), stderr: `mpvisor pull: ${describe(e)}` };
  }
  return { code: 0, stdout: lines.join('\n'), stderr: '' };
}
