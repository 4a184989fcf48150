/**
 * Rules for table entries and action calls, after the P4Runtime
 * specification (§9.1 "TableEntry"): LPM values have no bits below the
 * prefix, ternary `value & mask == value` with a non-zero mask, range
 * `low <= high`, don't-care fields are `any`, priority exactly for tables
 * with ternary/range/optional keys. Shared by const entries and, later, the
 * control plane.
 */
import type { Entry, KeyMatch, Stage, ActionCall } from '../ir/stage.js';
import { fits, fromHex, ones, prefixMask } from '../values/value.js';
import type { Report } from './expr-type.js';

/** P4Runtime: a table needs priorities when any key is ternary, range or optional. */
export function needsPriority(stage: Pick<Stage, 'keys'>): boolean {
  return stage.keys.some((k) => k.match === 'ternary' || k.match === 'range' || k.match === 'optional');
}

export function checkActionCall(stage: Stage, call: ActionCall, path: string, report: Report): void {
  const action = stage.actions.find((a) => a.name === call.action);
  if (!action) {
    report(`unknown action "${call.action}"; stage "${stage.name}" has ${stage.actions.map((a) => `"${a.name}"`).join(', ') || 'no actions'}`, `${path}.action`);
    return;
  }
  for (const p of action.params) {
    // own properties only: a parameter named "toString" or "__proto__" must not find Object.prototype's
    const v = Object.hasOwn(call.args, p.name) ? call.args[p.name] : undefined;
    if (v === undefined) report(`missing argument "${p.name}" (bit<${p.width}>) for action "${action.name}"`, `${path}.args`);
    else if (!fits(fromHex(v), p.width)) report(`argument "${p.name}" = ${v} does not fit in bit<${p.width}>`, `${path}.args.${p.name}`);
  }
  for (const name of Object.keys(call.args)) {
    if (!action.params.some((p) => p.name === name)) report(`action "${action.name}" has no parameter "${name}"`, `${path}.args.${name}`);
  }
}

/** Check an entry; `keyWidths[i]` is the width of key i. */
export function checkEntry(stage: Stage, keyWidths: readonly number[], entry: Entry, path: string, report: Report): void {
  if (entry.matches.length !== stage.keys.length) {
    report(`entry has ${entry.matches.length} key matches, stage "${stage.name}" has ${stage.keys.length} keys`, `${path}.matches`);
  } else {
    entry.matches.forEach((m, i) => {
      const key = stage.keys[i]!;
      checkKeyMatch(key.field, key.match, keyWidths[i] ?? 0, m, `${path}.matches[${i}]`, report);
    });
  }
  if (needsPriority(stage)) {
    if (entry.priority === undefined) report(`stage "${stage.name}" has ternary, range or optional keys, so every entry needs a priority`, path);
  } else if (entry.priority !== undefined) {
    report(`stage "${stage.name}" has only exact and lpm keys; an entry must not have a priority`, `${path}.priority`);
  }
  checkActionCall(stage, entry.action, `${path}.action`, report);
}

const ALLOWED: Record<string, readonly KeyMatch['kind'][]> = {
  exact: ['exact'],
  lpm: ['lpm', 'any'],
  ternary: ['ternary', 'any'],
  range: ['range', 'any'],
  optional: ['optional', 'any'],
};

export function checkKeyMatch(field: string, kind: string, width: number, m: KeyMatch, path: string, report: Report): void {
  if (!(ALLOWED[kind] ?? []).includes(m.kind)) {
    report(`key ${field} is ${kind}; a "${m.kind}" match is not allowed (use ${(ALLOWED[kind] ?? []).join(' or ')})`, path);
    return;
  }
  const tooWide = (label: string, hex: string): void => {
    if (!fits(fromHex(hex), width)) report(`key ${field}: ${label} ${hex} does not fit in bit<${width}>`, path);
  };
  switch (m.kind) {
    case 'exact':
    case 'optional':
      tooWide('value', m.value);
      return;
    case 'lpm': {
      tooWide('value', m.value);
      if (m.prefixLength > width) return report(`key ${field}: prefix length ${m.prefixLength} is longer than bit<${width}>`, path);
      if (m.prefixLength === 0) return report(`key ${field}: a /0 prefix matches everything; write a don't-care instead ("_" in the DSL and entries files, { kind: "any" } in IR), as P4Runtime omits don't-care fields`, path);
      const below = fromHex(m.value) & ~prefixMask(width, m.prefixLength) & ones(width);
      if (below !== 0n) report(`key ${field}: value ${m.value}/${m.prefixLength} has bits set below the prefix`, path);
      return;
    }
    case 'ternary': {
      tooWide('value', m.value);
      tooWide('mask', m.mask);
      const v = fromHex(m.value);
      const mask = fromHex(m.mask);
      if (mask === 0n) return report(`key ${field}: a zero mask matches everything; write a don't-care instead ("_" in the DSL and entries files, { kind: "any" } in IR), as P4Runtime omits don't-care fields`, path);
      if ((v & mask) !== v) report(`key ${field}: value ${m.value} has bits outside mask ${m.mask}`, path);
      return;
    }
    case 'range':
      tooWide('low', m.low);
      tooWide('high', m.high);
      if (fromHex(m.low) > fromHex(m.high)) report(`key ${field}: range low ${m.low} is greater than high ${m.high}`, path);
      return;
    case 'any':
      return;
  }
}
