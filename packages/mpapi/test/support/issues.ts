/**
 * Assertions on validation faults: an issue is found by its message (exact
 * text or a regex), then its whole location — program, stage, action and
 * JSON path — must be exactly what is expected, `undefined` included, so a
 * test also pins that a fault does *not* name a stage it has nothing to do with.
 */
import { either } from 'fp-ts';
import { expect } from 'vitest';
import { decodeProgram, formatIssue, MpvisorError, orThrow, type ErrorCode, type Issue } from '@mpvisor/mpapi';

export interface ExpectedIssue {
  readonly message: string | RegExp;
  readonly program?: string;
  readonly stage?: string;
  readonly action?: string;
  readonly path?: string;
}

const matches = (issue: Issue, message: string | RegExp): boolean =>
  typeof message === 'string' ? issue.message === message : message.test(issue.message);

/** The issue with this message, checked for its exact location. */
export function expectIssue(issues: readonly Issue[], expected: ExpectedIssue): Issue {
  const hit = issues.find((i) => matches(i, expected.message));
  if (!hit) {
    throw new Error(`no issue with message ${String(expected.message)}; got:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n') || '  (none)'}`);
  }
  expect({ program: hit.program, stage: hit.stage, action: hit.action, path: hit.path }).toStrictEqual({
    program: expected.program,
    stage: expected.stage,
    action: expected.action,
    path: expected.path,
  });
  return hit;
}

/** As expectIssue, and it is the only issue. */
export function expectOnlyIssue(issues: readonly Issue[], expected: ExpectedIssue): Issue {
  const hit = expectIssue(issues, expected);
  expect(issues.map(formatIssue)).toStrictEqual([formatIssue(hit)]);
  return hit;
}

/** Run `f`, which must throw an MpvisorError with `code`; return the error. */
export function thrown(f: () => unknown, code: ErrorCode = 'INVALID_ARGUMENT'): MpvisorError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) throw new Error('expected an MpvisorError, but nothing was thrown');
  if (!(caught instanceof MpvisorError)) throw caught;
  expect(caught.code).toBe(code);
  return caught;
}

/** Decode IR that must be rejected; return its issues (and check orThrow's code). */
export function rejected(u: unknown): readonly Issue[] {
  const d = decodeProgram(u);
  if (either.isRight(d)) throw new Error('expected decodeProgram to reject the IR, but it was accepted');
  const err = thrown(() => orThrow(d), 'INVALID_ARGUMENT');
  expect(err.issues).toStrictEqual(d.left);
  return d.left;
}

/** A deep, mutable copy of some IR, to break one thing in. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mutable(ir: unknown): any {
  return structuredClone(ir);
}
