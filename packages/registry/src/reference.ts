/**
 * NF references: `scope/name@version` (an immutable, semver version),
 * `scope/name:tag` (a movable tag such as `latest`) and
 * `scope/name@sha256:<hex>` (a manifest digest). Scope and name follow the
 * OCI distribution spec's repository path components
 * (`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`), so a reference is a valid
 * repository and tag on any OCI registry. A version is a SemVer 2.0.0
 * version without build metadata (`+` is not allowed in an OCI tag).
 */
import { MpvisorError } from '@mpvisor/mpapi';
import semver from 'semver';

export type NfReference =
  | { readonly kind: 'version'; readonly scope: string; readonly name: string; readonly version: string }
  | { readonly kind: 'tag'; readonly scope: string; readonly name: string; readonly tag: string }
  | { readonly kind: 'digest'; readonly scope: string; readonly name: string; readonly digest: string };

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
/** OCI distribution spec: a tag is `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`. */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** `scope/name`: the OCI repository an NF's versions live in. */
export function repositoryOf(ref: { readonly scope: string; readonly name: string }): string {
  return `${ref.scope}/${ref.name}`;
}

/** The OCI tag or digest a reference resolves through. */
export function tagOf(ref: NfReference): string {
  return ref.kind === 'version' ? ref.version : ref.kind === 'tag' ? ref.tag : ref.digest;
}

export function formatReference(ref: NfReference): string {
  const repo = repositoryOf(ref);
  return ref.kind === 'version' ? `${repo}@${ref.version}` : ref.kind === 'tag' ? `${repo}:${ref.tag}` : `${repo}@${ref.digest}`;
}

/** Check `scope/name`; returns the two parts. */
export function parseRepository(text: string): { readonly scope: string; readonly name: string } {
  const parts = text.split('/');
  if (parts.length !== 2) throw invalid(text, 'an NF is named scope/name (two parts separated by one "/")');
  const [scope, name] = parts as [string, string];
  for (const [what, part] of [
    ['scope', scope],
    ['name', name],
  ] as const) {
    if (!COMPONENT.test(part)) throw invalid(text, `the ${what} "${part}" must be lower-case letters and digits, separated by ".", "_", "__" or "-"`);
  }
  return { scope, name };
}

/** Check a version: SemVer 2.0.0, no build metadata. */
export function checkVersion(version: string, context = version): string {
  if (semver.valid(version) !== version) throw invalid(context, `"${version}" is not a semantic version (MAJOR.MINOR.PATCH, optionally -prerelease)`);
  if (version.includes('+')) throw invalid(context, `version "${version}" has build metadata ("+…"), which an OCI tag cannot hold`);
  return version;
}

/** Whether an OCI tag is a version (immutable) rather than a movable tag. */
export function isVersionTag(tag: string): boolean {
  return semver.valid(tag) === tag && !tag.includes('+');
}

/** Parse `scope/name@version`, `scope/name:tag` or `scope/name@sha256:…`; `defaultTag` completes a bare `scope/name`. */
export function parseReference(text: string, defaultTag?: string): NfReference {
  const at = text.indexOf('@');
  if (at >= 0) {
    const { scope, name } = parseRepository(text.slice(0, at));
    const rest = text.slice(at + 1);
    if (rest.startsWith('sha256:')) {
      if (!DIGEST.test(rest)) throw invalid(text, `"${rest}" is not a sha256 digest (sha256: and 64 lower-case hex digits)`);
      return { kind: 'digest', scope, name, digest: rest };
    }
    return { kind: 'version', scope, name, version: checkVersion(rest, text) };
  }
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const { scope, name } = parseRepository(text.slice(0, colon));
    const tag = text.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(text, `"${tag}" is not a valid tag (letters, digits, ".", "_", "-", at most 128)`);
    if (isVersionTag(tag)) return { kind: 'version', scope, name, version: tag };
    return { kind: 'tag', scope, name, tag };
  }
  const { scope, name } = parseRepository(text);
  if (defaultTag === undefined) throw invalid(text, 'give a version (scope/name@1.2.3), a tag (scope/name:latest) or a digest (scope/name@sha256:…)');
  return isVersionTag(defaultTag) ? { kind: 'version', scope, name, version: defaultTag } : { kind: 'tag', scope, name, tag: defaultTag };
}

function invalid(text: string, why: string): MpvisorError {
  return new MpvisorError('INVALID_ARGUMENT', `NF reference "${text}": ${why}`);
}
