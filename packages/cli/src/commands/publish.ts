/**
 * `mpvisor publish <module> --name scope/name --version x.y.z [--export NAME]
 * [--description TEXT] [--author TEXT] [--tag T]… [--registry DIR|URL]`:
 * audit an NF module's source, then load it and publish the NF it exports
 * (its canonical IR) to a registry. The audit comes first because loading a
 * module runs its code.
 */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { auditModule, checkVersion, openStore, parseRepository, Registry, type AuditFinding } from '@mpvisor/registry';
import { loadNfs, type FoundNf } from '../load-module.js';
import { plural } from '../run-summary.js';
import { describe } from './build.js';
import type { CommandResult } from './command.js';

/** Where the registry commands find their store. */
export interface RegistryLocation {
  /** `--registry`: a directory (an OCI image layout) or an http(s):// registry URL. */
  readonly registry?: string;
  /** Allow plain http:// to a host other than loopback. */
  readonly insecure?: boolean;
}

export interface PublishOptions extends RegistryLocation {
  readonly name?: string;
  readonly version?: string;
  /** Which NF, by export or NF name, when the module exports several. */
  readonly export?: string;
  readonly description?: string;
  readonly author?: string;
  readonly tags?: readonly string[];
}

/** The store `--registry` names, else `$MPVISOR_REGISTRY`, else `.mpvisor/registry` in the working directory. */
export function openRegistry(options: RegistryLocation): Registry {
  const fromEnv = process.env['MPVISOR_REGISTRY'];
  const location = options.registry ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  return new Registry(openStore(location, options.insecure !== undefined ? { insecure: options.insecure } : {}));
}

/** A store location as printed: a directory relative to the working directory, a URL as is. */
export function showLocation(location: string): string {
  if (/^https?:\/\//i.test(location)) return location;
  const rel = relative(process.cwd(), location);
  return rel === '' ? '.' : rel.startsWith('..') ? location : rel;
}

export async function publish(module: string | undefined, options: PublishOptions): Promise<CommandResult> {
  const usage = (message: string): CommandResult => ({ code: 2, stdout: '', stderr: `mpvisor publish: ${message}` });
  if (!module) return usage('name the NF module to publish (mpvisor publish <module> --name scope/name --version x.y.z)');
  if (options.name === undefined) return usage('--name scope/name is required');
  if (options.version === undefined) return usage('--version x.y.z is required');
  try {
    // a bad name or version is known before the (slow) audit
    parseRepository(options.name);
    checkVersion(options.version, `${options.name}@${options.version}`);
  } catch (e) {
    return usage(describe(e));
  }
  const file = resolve(module);
  if (!existsSync(file) || !statSync(file).isFile()) return usage(`${module}: no such file`);

  // before loading: importing the module runs it, and the audit is what says it is safe to
  let files: readonly string[];
  try {
    const report = auditModule(file);
    if (!report.ok) {
      const lines = report.findings.map(formatFinding);
      return {
        code: 1,
        stdout: '',
        stderr: [`mpvisor publish: ${module} failed the source audit (${plural(report.findings.length, 'finding')}); nothing was published:`, ...lines.map((l) => `  ${l}`)].join('\n'),
      };
    }
    files = report.files;
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor publish: cannot audit ${module}: ${describe(e)}` };
  }

  let nf: FoundNf;
  try {
    nf = pick(await loadNfs(file), options.export, module);
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor publish: ${module}: ${describe(e)}` };
  }
  try {
    const registry = openRegistry(options);
    const published = await registry.publish(nf.builder, {
      name: options.name,
      version: options.version,
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.author !== undefined ? { author: options.author } : {}),
      ...(options.tags !== undefined && options.tags.length > 0 ? { tags: options.tags } : {}),
    });
    const lines = [
      `audited ${plural(files.length, 'module')}: no findings`,
      `published ${published.reference} to ${showLocation(registry.store.location)}`,
      `  NF        ${published.config.kind} "${published.config.name}" (export ${nf.exportName})`,
      `  manifest  ${published.manifestDigest}`,
      `  IR        ${published.irDigest}`,
      ...(published.config.lineage[0] !== undefined ? [`  parent    ${published.config.lineage[0].name} ${published.config.lineage[0].digest}`] : []),
      ...(options.tags !== undefined && options.tags.length > 0 ? [`  tags      ${[...new Set(options.tags)].join(', ')}`] : []),
    ];
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor publish: ${describe(e)}` };
  }
}

/** `examples/bad.ts:12:7: Math.random is not allowed in an NF module: it reads randomness`. */
function formatFinding(f: AuditFinding): string {
  const rel = relative(process.cwd(), f.file);
  const where = rel !== '' && !rel.startsWith('..') ? rel : f.file;
  return `${where}:${f.line}:${f.column}: ${f.message}`;
}

function pick(found: readonly FoundNf[], wanted: string | undefined, module: string): FoundNf {
  if (wanted !== undefined) {
    const nf = found.find((f) => f.exportName === wanted || f.builder.name === wanted);
    if (!nf) throw new Error(`no export or NF named "${wanted}"; it exports ${found.map((f) => `${f.exportName} (${f.builder.name})`).join(', ') || 'none'}`);
    return nf;
  }
  if (found.length === 1) return found[0]!;
  throw new Error(
    found.length === 0
      ? `${module} exports no program or policy`
      : `it exports several NFs (${found.map((f) => `${f.exportName} (${f.builder.name})`).join(', ')}); choose one with --export`,
  );
}
