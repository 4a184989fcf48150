/**
 * Canonical serialisation: object keys sorted, no whitespace, undefined
 * omitted. Equal NFs serialise to equal bytes, so a sha256 digest names an NF.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(input: unknown): unknown {
  // as JSON.stringify does: a builder serialises as its IR
  const value = hasToJSON(input) ? input.toJSON() : input;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // no prototype, so a key "__proto__" (an action parameter may be named so) stays an own property
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`cannot serialise ${value}`);
  return value;
}

function hasToJSON(v: unknown): v is { toJSON(): unknown } {
  return v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

/** `sha256:<hex>` of the canonical JSON, the form OCI uses for digests. */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}
