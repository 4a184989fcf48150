import type { Issue } from '../errors.js';
import type { Policy } from '../ir/policy.js';
import { typeOf, showType } from './expr-type.js';
import { validateProgram } from './program-rules.js';
import { Scope } from './scope.js';

/** A policy is valid when its programs are, its steps name them, and each `when` is a bool over its program. */
export function validatePolicy(policy: Policy): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  policy.programs.forEach((p, i) => {
    if (seen.has(p.name)) issues.push({ message: `policy "${policy.name}" embeds program "${p.name}" twice`, path: `$.programs[${i}]` });
    seen.add(p.name);
    for (const issue of validateProgram(p)) issues.push({ ...issue, path: issue.path?.replace(/^\$/, `$.programs[${i}]`) ?? `$.programs[${i}]` });
  });
  if (policy.steps.length === 0) issues.push({ message: `policy "${policy.name}" has no steps`, path: '$.steps' });
  policy.steps.forEach((s, i) => {
    const program = policy.programs.find((p) => p.name === s.program);
    if (!program) {
      issues.push({ message: `policy "${policy.name}": step ${i} runs unknown program "${s.program}"`, path: `$.steps[${i}].program` });
      return;
    }
    if (s.when === undefined) return;
    const report = (message: string, path: string): void => void issues.push({ program: program.name, message, path });
    const t = typeOf(s.when, { scope: new Scope(program) }, `$.steps[${i}].when`, report);
    if (t && t.kind !== 'bool') report(`step condition must be bool, got ${showType(t)}`, `$.steps[${i}].when`);
  });
  return issues;
}
