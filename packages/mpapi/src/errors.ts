/**
 * One error class for the whole SDK, with a P4Runtime-style `code` (as tRPC
 * has one error class with a code). Codes follow P4Runtime/gRPC where they apply.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'OUT_OF_RANGE'
  | 'PERMISSION_DENIED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  /** No or wrong credentials (a registry's 401). */
  | 'UNAUTHENTICATED'
  /** A server that does not answer, after bounded retries. */
  | 'UNAVAILABLE'
  /** Bytes that are not what their digest says: a tampered or corrupt blob or manifest. */
  | 'DATA_LOSS';

/** Where in an NF a fault lies; every part is optional, the path is a JSON path into the IR. */
export interface FaultLocation {
  readonly program?: string;
  readonly stage?: string;
  readonly action?: string;
  readonly path?: string;
}

export interface Issue extends FaultLocation {
  readonly message: string;
}

export function formatIssue(issue: Issue): string {
  const where = [
    issue.program !== undefined ? `program "${issue.program}"` : undefined,
    issue.stage !== undefined ? `stage "${issue.stage}"` : undefined,
    issue.action !== undefined ? `action "${issue.action}"` : undefined,
  ].filter((s): s is string => s !== undefined);
  const prefix = where.length > 0 ? `${where.join(', ')}: ` : '';
  const suffix = issue.path !== undefined ? ` (at ${issue.path})` : '';
  return `${prefix}${issue.message}${suffix}`;
}

export class MpvisorError extends Error {
  override readonly name = 'MpvisorError';
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];

  constructor(code: ErrorCode, issues: readonly Issue[] | string) {
    const list: readonly Issue[] = typeof issues === 'string' ? [{ message: issues }] : issues;
    const text =
      list.length === 1
        ? formatIssue(list[0]!)
        : `${list.length} problems:\n${list.map((i) => `  - ${formatIssue(i)}`).join('\n')}`;
    super(`${code}: ${text}`);
    this.code = code;
    this.issues = list;
  }
}

/**
 * Run `f`, placing the JSON paths of an MpvisorError it throws under
 * `prefix`: a builder knows where a fault is only relative to itself (an
 * action's body, a stage's entries), its parent knows where it sits in the
 * program. An issue without a path gets `prefix` itself.
 */
export function underPath<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof MpvisorError)) throw e;
    throw new MpvisorError(
      e.code,
      e.issues.map((i) => ({ ...i, path: i.path === undefined ? prefix : `${prefix}${i.path.replace(/^\$/, '')}` })),
    );
  }
}
