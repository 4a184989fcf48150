/**
 * Isolation, checked before anything is installed (HyperV §IV; DESIGN §5):
 * a tenant's program may send packets only to its vPDP's ports, multicast
 * groups and clone sessions, may not name the hypervisor's control fields,
 * and must fit its quotas. Every violation names the NF, stage, action and
 * the offending reference. Values only known at run time (an egress port
 * taken from an action parameter) are enforced when entries are written and
 * while packets run.
 */
import { fromHex, ones, STANDARD_METADATA, type Expr, type Issue, type Primitive, type Program } from '@mpvisor/mpapi';
import { internetChecksum } from '../algorithms/checksum.js';
import { packFields, v1modelHash } from '../algorithms/hash.js';
import { DROP_PORT } from '../target/target.js';

/** A tenant's slice of the data plane, as far as checking its programs goes. */
export interface VpdpSpec {
  readonly id: number;
  readonly name: string;
  readonly ports: readonly number[];
  readonly multicastGroups: readonly number[];
  readonly cloneSessions: readonly number[];
  readonly quotas: Quotas;
}

export interface Quotas {
  /** Decoupled stages (tables and conditions) over all the vPDP's programs. */
  readonly stages: number;
  /** Table entries: the sum of the stages' sizes. */
  readonly tableEntries: number;
  readonly registerCells: number;
  /** Indexed counters' cells, plus one per entry of a stage with a direct counter. */
  readonly counterCells: number;
  /** Indexed meters' cells, plus one per entry of a stage with a direct meter. */
  readonly meterCells: number;
}

/** Names the hypervisor keeps for its control fields (vPDP id, program id, stage id, next stage). */
export const RESERVED_PREFIX = 'hv_';
export const CONTROL_FIELDS = ['hv_vpdp', 'hv_program', 'hv_stage', 'hv_next_stage'] as const;

export interface IsolationViolation extends Issue {
  readonly code: 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED';
  /** What was referenced: a port, a group, a session, a name, a quota. */
  readonly reference: string;
}

export type Known = ReadonlyMap<string, { readonly value: bigint; readonly width: number }>;

/**
 * The value of an expression if it is known before any packet: constants,
 * arithmetic, concatenation, comparisons and muxes on them, and action
 * parameters whose arguments are given (default actions, const entries).
 * Fields are only known at run time. Semantics are the reference target's
 * (a bool is a width-0 value 0 or 1).
 */
export function knownValue(e: Expr, args: Known): { value: bigint; width: number } | undefined {
  const m = (w: number): bigint => (1n << BigInt(w)) - 1n;
  switch (e.kind) {
    case 'const':
      return { value: BigInt(e.value), width: e.width };
    case 'bool':
      return { value: e.value ? 1n : 0n, width: 0 };
    case 'mux': {
      const c = knownValue(e.cond, args);
      return c && knownValue(c.value !== 0n ? e.then : e.else, args);
    }
    case 'param':
      return args.get(e.name);
    case 'cast': {
      const a = knownValue(e.arg, args);
      return a && { value: a.value & m(e.width), width: e.width };
    }
    case 'slice': {
      const a = knownValue(e.arg, args);
      return a && { value: (a.value >> BigInt(e.lo)) & m(e.hi - e.lo + 1), width: e.hi - e.lo + 1 };
    }
    case 'unary': {
      const a = knownValue(e.arg, args);
      if (!a) return undefined;
      if (e.op === '!') return { value: a.value === 0n ? 1n : 0n, width: 0 };
      return { value: (e.op === '~' ? ~a.value : -a.value) & m(a.width), width: a.width };
    }
    case 'binary': {
      const l = knownValue(e.left, args);
      // && and || short-circuit: a known left side may decide alone
      if (e.op === '&&' && l?.value === 0n) return { value: 0n, width: 0 };
      if (e.op === '||' && l !== undefined && l.value !== 0n) return { value: 1n, width: 0 };
      const r = knownValue(e.right, args);
      if (!l || !r) return undefined;
      if (e.op === '++') return { value: (l.value << BigInt(r.width)) | r.value, width: l.width + r.width };
      const tests: Partial<Record<string, boolean>> = {
        '==': l.value === r.value,
        '!=': l.value !== r.value,
        '<': l.value < r.value,
        '<=': l.value <= r.value,
        '>': l.value > r.value,
        '>=': l.value >= r.value,
        '&&': l.value !== 0n && r.value !== 0n,
        '||': l.value !== 0n || r.value !== 0n,
      };
      const test = tests[e.op];
      if (test !== undefined) return { value: test ? 1n : 0n, width: 0 };
      const w = l.width;
      const ops: Partial<Record<string, () => bigint>> = {
        '+': () => (l.value + r.value) & m(w),
        '-': () => (l.value - r.value) & m(w),
        '*': () => (l.value * r.value) & m(w),
        '&': () => l.value & r.value,
        '|': () => l.value | r.value,
        '^': () => l.value ^ r.value,
        '<<': () => (r.value >= BigInt(w) ? 0n : (l.value << r.value) & m(w)),
        '>>': () => (r.value >= BigInt(w) ? 0n : l.value >> r.value),
        '|+|': () => (l.value + r.value > m(w) ? m(w) : l.value + r.value),
        '|-|': () => (l.value > r.value ? l.value - r.value : 0n),
      };
      const f = ops[e.op];
      return f && { value: f(), width: w };
    }
    default:
      return undefined;
  }
}

/** Check every program a vPDP would run, together (quotas are per vPDP). Empty means isolated. */
export function checkIsolation(programs: readonly Program[], vpdp: VpdpSpec): IsolationViolation[] {
  const out: IsolationViolation[] = [];
  const ports = new Set(vpdp.ports);
  const groups = new Set(vpdp.multicastGroups);
  const sessions = new Set(vpdp.cloneSessions);
  for (const program of programs) {
    const deny = (message: string, reference: string, path: string, stage?: string, action?: string): void =>
      void out.push({
        code: 'PERMISSION_DENIED',
        program: program.name,
        ...(stage !== undefined ? { stage } : {}),
        ...(action !== undefined ? { action } : {}),
        message: `vPDP "${vpdp.name}": ${message}`,
        reference,
        path,
      });
    // reserved names: a tenant's headers, metadata and state cannot look like hypervisor control fields
    const named: [string, string, readonly { name: string }[]][] = [
      ['header', 'headers', program.headers],
      ['metadata field', 'metadata', program.metadata],
      ['register', 'registers', program.registers],
      ['counter', 'counters', program.counters],
      ['meter', 'meters', program.meters],
      ['digest', 'digests', program.digests],
      ['stage', 'stages', program.stages],
      ...program.stages.map((s, i): [string, string, readonly { name: string }[]] => ['action', `stages[${i}].actions`, s.actions]),
    ];
    for (const [what, path, list] of named) {
      list.forEach((x, i) => {
        if (x.name.startsWith(RESERVED_PREFIX)) deny(`${what} "${x.name}" uses the hypervisor's reserved prefix "${RESERVED_PREFIX}"`, x.name, `$.${path}[${i}].name`);
      });
    }
    // the parser may choose an output too: `set` on the egress port or multicast group
    program.parser.states.forEach((st, si) =>
      st.ops.forEach((op, oi) => {
        if (op.kind !== 'set') return;
        for (const [kind, valuesOf] of outputsOf({ kind: 'assign', target: op.target, value: op.value }))
          for (const v of valuesOf(new Map())) {
            const n = Number(v);
            const foreign = kind === 'port' ? v !== BigInt(DROP_PORT) && !ports.has(n) : kind === 'group' ? v !== 0n && !groups.has(n) : !sessions.has(n);
            if (foreign) deny(`parser state "${st.name}" sets ${op.target} to ${v}, which is not the vPDP's`, `${kind === 'port' ? 'port' : 'multicast group'} ${v}`, `$.parser.states[${si}].ops[${oi}]`);
          }
      }),
    );
    program.stages.forEach((stage, si) => {
      // an action as written, then as called with the arguments known at install time
      const calls = [
        { action: undefined as string | undefined, args: {} as Readonly<Record<string, string>>, where: '' },
        { ...stage.defaultAction.action, where: ' (its default action)' },
        ...stage.entries.map((e, i) => ({ ...e.action, where: ` (const entry ${i})` })),
      ];
      stage.actions.forEach((action, ai) => {
        const bound = calls
          .filter((c) => c.action === undefined || c.action === action.name)
          .map((c) => ({ where: c.where, args: new Map(action.params.flatMap((p) => (c.args[p.name] !== undefined ? [[p.name, { value: BigInt(c.args[p.name]!), width: p.width }] as const] : []))) }));
        action.body.forEach((p, pi) => {
          const path = `$.stages[${si}].actions[${ai}].body[${pi}]`;
          // one report per reference and place: an action as written and as called often agree
          const seen = new Set<string>();
          for (const [kind, valuesOf] of outputsOf(p)) {
            for (const { args, where } of bound) {
              // values known only at run time give none here: they are enforced then
              for (const v of valuesOf(args)) {
                const n = Number(v);
                const [foreign, reference, message] =
                  kind === 'port'
                    ? [v !== BigInt(DROP_PORT) && !ports.has(n), `port ${v}`, `sends to port ${v}${where}, which is not one of its ports (${vpdp.ports.join(', ')})`]
                    : kind === 'group'
                      ? [v !== 0n && !groups.has(n), `multicast group ${v}`, `multicasts to group ${v}${where}, which is not one of its groups`]
                      : [!sessions.has(n), `clone session ${v}`, `clones to session ${v}${where}, which is not one of its clone sessions`];
                if (!foreign || seen.has(reference)) continue;
                seen.add(reference);
                deny(message, reference, path, stage.name, action.name);
              }
            }
          }
        });
      });
    });
  }
  // quotas are the vPDP's, over all its programs
  const sum = (f: (p: Program) => number): number => programs.reduce((n, p) => n + f(p), 0);
  const quota = (what: keyof Quotas, used: number): void => {
    if (used > vpdp.quotas[what]) {
      out.push({
        code: 'RESOURCE_EXHAUSTED',
        program: programs.map((p) => p.name).join(' + '),
        message: `vPDP "${vpdp.name}": needs ${used} ${what}, its quota is ${vpdp.quotas[what]}`,
        reference: `quota ${what}`,
        path: '$',
      });
    }
  };
  quota('stages', sum((p) => p.control.nodes.length));
  quota('tableEntries', sum((p) => p.stages.reduce((n, s) => n + s.size, 0)));
  quota('registerCells', sum((p) => p.registers.reduce((n, r) => n + r.size, 0)));
  // a direct counter or meter is one cell per entry of its stage
  const direct = (p: Program, kind: 'directCounter' | 'directMeter'): number => p.stages.reduce((n, s) => n + (s[kind] !== undefined ? s.size : 0), 0);
  quota('counterCells', sum((p) => p.counters.reduce((n, c) => n + c.size, 0) + direct(p, 'directCounter')));
  quota('meterCells', sum((p) => p.meters.reduce((n, m) => n + m.size, 0) + direct(p, 'directMeter')));
  return out;
}

export type Output = 'port' | 'group' | 'session';

/** Standard metadata fields that choose where a packet goes, any primitive writing them. */
const OUTPUT_FIELDS: Partial<Record<string, readonly [Output, number]>> = {
  'standard.egressPort': ['port', STANDARD_METADATA.egressPort.width],
  'standard.mcastGroup': ['group', STANDARD_METADATA.mcastGroup.width],
};

/** Alternatives explored per expression; past them, the values are left to run-time enforcement. */
const MAX_ALTERNATIVES = 256;

/**
 * An expression once per way its muxes whose condition is only known at run
 * time can go: a constant in either arm is a value some packet may get.
 */
function alternatives(e: Expr, args: Known): Expr[] {
  const cap = (xs: Expr[]): Expr[] => xs.slice(0, MAX_ALTERNATIVES);
  switch (e.kind) {
    case 'mux': {
      const c = knownValue(e.cond, args);
      return c ? alternatives(c.value !== 0n ? e.then : e.else, args) : cap([...alternatives(e.then, args), ...alternatives(e.else, args)]);
    }
    case 'unary':
      return alternatives(e.arg, args).map((arg) => ({ ...e, arg }));
    case 'slice':
      return alternatives(e.arg, args).map((arg) => ({ ...e, arg }));
    case 'cast':
      return alternatives(e.arg, args).map((arg) => ({ ...e, arg }));
    case 'binary': {
      const rights = alternatives(e.right, args);
      return cap(alternatives(e.left, args).flatMap((left) => rights.map((right) => ({ ...e, left, right }))));
    }
    default:
      return [e];
  }
}

/** Values of an expression some packet may get that are known before any packet. */
const valuesOf = (e: Expr) => (args: Known): bigint[] => alternatives(e, args).flatMap((x) => knownValue(x, args)?.value ?? []);

/** Every input's value, if all are known. */
function allKnown(es: readonly Expr[], args: Known): { value: bigint; width: number }[] | undefined {
  const vs = es.map((e) => knownValue(e, args));
  return vs.every((v) => v !== undefined) ? (vs as { value: bigint; width: number }[]) : undefined;
}

/**
 * What a primitive chooses of where a packet goes, with the values known
 * before any packet (given the install-time arguments). Register reads,
 * meter colours and incremental checksums depend on run time and give none.
 */
export function outputsOf(p: Primitive): (readonly [Output, (args: Known) => bigint[]])[] {
  switch (p.kind) {
    case 'setEgress':
      return [['port', valuesOf(p.port)]];
    case 'multicast':
      return [['group', valuesOf(p.group)]];
    case 'clone':
      return [['session', valuesOf(p.session)]];
  }
  const output = 'target' in p ? OUTPUT_FIELDS[p.target] : undefined;
  if (!output) return [];
  const [kind, width] = output;
  switch (p.kind) {
    case 'assign':
      return [[kind, valuesOf(p.value)]];
    case 'maskedAssign':
      // a mask over every bit is a plain write; a partial one keeps bits known only at run time
      return (fromHex(p.mask) & ones(width)) === ones(width) ? [[kind, (args) => valuesOf(p.value)(args).map((v) => v & ones(width))]] : [];
    case 'hash':
      // base + hash mod max: one value when the inputs are known, or when max <= 1 (then it is base)
      return [
        [
          kind,
          (args) => {
            const inputs = allKnown(p.inputs, args);
            if (inputs) return [v1modelHash(p.algorithm, inputs, fromHex(p.base), fromHex(p.max), width)];
            return fromHex(p.max) <= 1n ? [fromHex(p.base) & ones(width)] : [];
          },
        ],
      ];
    case 'checksumUpdate':
      return [
        [
          kind,
          (args) => {
            const inputs = p.payload ? undefined : allKnown(p.inputs, args);
            return inputs ? [BigInt(internetChecksum(packFields(inputs)))] : [];
          },
        ],
      ];
    default:
      return [];
  }
}
