/**
 * A deliberately small evaluator of example IR, for the example tests only:
 * it runs action bodies and walks the control graph on an already-parsed
 * packet (a map of field values and a set of valid headers), so the examples'
 * behaviour can be checked before a real target exists. It is not a target:
 * no parser, no deparser, no table matching (tests supply the hit), a stub
 * hash (FNV-1a, whatever the algorithm), and varbit checksum inputs count
 * as empty (test packets carry no options).
 */
import { Scope, type Action, type ActionCall, type Expr, type Primitive, type Program, type Stage } from '@mpvisor/mpapi';

export interface PacketState {
  readonly fields: Map<string, bigint>;
  readonly valid: Set<string>;
  dropped: boolean;
  /** Stage name → action that ran, in order. */
  readonly trace: (readonly [string, string])[];
}

export interface DeviceState {
  readonly registers: Map<string, bigint[]>;
}

/** What a keyed stage returns for a packet: the entry's action, or undefined for a miss. */
export type Lookup = (stage: Stage, pkt: PacketState) => ActionCall | undefined;

const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;

export function packet(fields: Record<string, bigint | number>, valid: readonly string[]): PacketState {
  return {
    fields: new Map(Object.entries(fields).map(([k, v]) => [k, BigInt(v)])),
    valid: new Set(valid),
    dropped: false,
    trace: [],
  };
}

export function device(p: Program): DeviceState {
  return { registers: new Map(p.registers.map((r) => [r.name, Array<bigint>(r.size).fill(0n)])) };
}

/** Ones-complement sum (RFC 1071) of a bit string, padded to 16-bit words. */
function onesSum(value: bigint, width: number, start = 0n): bigint {
  let v = value;
  let w = width;
  if (w % 16 !== 0) {
    v <<= BigInt(16 - (w % 16));
    w += 16 - (w % 16);
  }
  let sum = start;
  for (let i = w - 16; i >= 0; i -= 16) sum += (v >> BigInt(i)) & 0xffffn;
  while (sum > 0xffffn) sum = (sum & 0xffffn) + (sum >> 16n);
  return sum;
}

/** The Internet checksum of `parts` (value, width), as a sender computes it. */
export function internetChecksum(parts: readonly (readonly [bigint | number, number])[]): bigint {
  let v = 0n;
  let w = 0;
  for (const [x, n] of parts) {
    v = (v << BigInt(n)) | BigInt(x);
    w += n;
  }
  return ~onesSum(v, w) & 0xffffn;
}

class Evaluator {
  constructor(
    private readonly p: Program,
    private readonly scope: Scope,
    private readonly pkt: PacketState,
    private readonly dev: DeviceState,
    private readonly params: ReadonlyMap<string, { v: bigint; w: number }> = new Map(),
  ) {}

  width(ref: string): number {
    const f = this.scope.field(ref);
    if (typeof f === 'string') throw new Error(f);
    return f.varbit ? 0 : f.width;
  }

  bits(e: Expr): { v: bigint; w: number } {
    switch (e.kind) {
      case 'const':
        return { v: BigInt(e.value), w: e.width };
      case 'field': {
        const w = this.width(e.ref);
        return { v: w === 0 ? 0n : (this.pkt.fields.get(e.ref) ?? 0n), w };
      }
      case 'param': {
        const p = this.params.get(e.name);
        if (!p) throw new Error(`no argument ${e.name}`);
        return p;
      }
      case 'unary': {
        const a = this.bits(e.arg);
        if (e.op === '~') return { v: ~a.v & mask(a.w), w: a.w };
        if (e.op === '-') return { v: -a.v & mask(a.w), w: a.w };
        break;
      }
      case 'binary': {
        const l = this.bits(e.left);
        const r = this.bits(e.right);
        const m = mask(l.w);
        switch (e.op) {
          case '+': return { v: (l.v + r.v) & m, w: l.w };
          case '-': return { v: (l.v - r.v) & m, w: l.w };
          case '*': return { v: (l.v * r.v) & m, w: l.w };
          case '|+|': return { v: l.v + r.v > m ? m : l.v + r.v, w: l.w };
          case '|-|': return { v: l.v > r.v ? l.v - r.v : 0n, w: l.w };
          case '&': return { v: l.v & r.v, w: l.w };
          case '|': return { v: l.v | r.v, w: l.w };
          case '^': return { v: l.v ^ r.v, w: l.w };
          case '<<': return { v: (l.v << r.v) & m, w: l.w };
          case '>>': return { v: l.v >> r.v, w: l.w };
          case '++': return { v: (l.v << BigInt(r.w)) | r.v, w: l.w + r.w };
          default: break;
        }
        break;
      }
      case 'slice': {
        const a = this.bits(e.arg);
        return { v: (a.v >> BigInt(e.lo)) & mask(e.hi - e.lo + 1), w: e.hi - e.lo + 1 };
      }
      case 'cast': {
        if (this.isBool(e.arg)) return { v: this.bool(e.arg) ? 1n : 0n, w: e.width };
        return { v: this.bits(e.arg).v & mask(e.width), w: e.width };
      }
      case 'mux':
        return this.bool(e.cond) ? this.bits(e.then) : this.bits(e.else);
      default:
        break;
    }
    throw new Error(`not a bit expression here: ${JSON.stringify(e)}`);
  }

  private isBool(e: Expr): boolean {
    return e.kind === 'bool' || e.kind === 'isValid' || (e.kind === 'unary' && e.op === '!') ||
      (e.kind === 'binary' && ['==', '!=', '<', '<=', '>', '>=', '&&', '||'].includes(e.op));
  }

  bool(e: Expr): boolean {
    switch (e.kind) {
      case 'bool': return e.value;
      case 'isValid': return this.pkt.valid.has(e.header);
      case 'unary': return !this.bool(e.arg);
      case 'binary': {
        if (e.op === '&&') return this.bool(e.left) && this.bool(e.right);
        if (e.op === '||') return this.bool(e.left) || this.bool(e.right);
        const l = this.bits(e.left).v;
        const r = this.bits(e.right).v;
        switch (e.op) {
          case '==': return l === r;
          case '!=': return l !== r;
          case '<': return l < r;
          case '<=': return l <= r;
          case '>': return l > r;
          case '>=': return l >= r;
          default: break;
        }
        break;
      }
      default: break;
    }
    throw new Error(`not a bool expression: ${JSON.stringify(e)}`);
  }

  private concat(es: readonly Expr[]): { v: bigint; w: number } {
    return es.map((e) => this.bits(e)).reduce((a, b) => ({ v: (a.v << BigInt(b.w)) | b.v, w: a.w + b.w }), { v: 0n, w: 0 });
  }

  run(prim: Primitive): void {
    const f = this.pkt.fields;
    switch (prim.kind) {
      case 'assign':
        f.set(prim.target, this.bits(prim.value).v & mask(this.width(prim.target)));
        return;
      case 'drop':
        this.pkt.dropped = true;
        return;
      case 'setEgress':
        f.set('standard.egressPort', this.bits(prim.port).v);
        return;
      case 'registerRead':
        f.set(prim.target, this.dev.registers.get(prim.register)![Number(this.bits(prim.index).v)] ?? 0n);
        return;
      case 'registerWrite':
        this.dev.registers.get(prim.register)![Number(this.bits(prim.index).v)] = this.bits(prim.value).v;
        return;
      case 'hash': {
        // stub: FNV-1a over the inputs' bytes (not the named algorithm)
        const { v, w } = this.concat(prim.inputs);
        const bytes = Math.ceil(w / 8);
        let h = 0x811c9dc5n;
        for (let i = bytes - 1; i >= 0; i--) h = ((h ^ ((v >> BigInt(8 * i)) & 0xffn)) * 0x01000193n) & 0xffffffffn;
        const max = BigInt(prim.max);
        f.set(prim.target, (BigInt(prim.base) + (max === 0n ? h : h % max)) & mask(this.width(prim.target)));
        return;
      }
      case 'checksumUpdate': {
        const { v, w } = this.concat(prim.inputs);
        f.set(prim.target, ~onesSum(v, w) & 0xffffn);
        return;
      }
      case 'checksumIncremental': {
        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
        const removed = this.concat(prim.removed);
        const added = this.concat(prim.added);
        const start = ~(f.get(prim.target) ?? 0n) & 0xffffn;
        const sum = onesSum(added.v, added.w, onesSum(~removed.v & mask(removed.w), removed.w, start));
        f.set(prim.target, ~sum & 0xffffn);
        return;
      }
      default:
        throw new Error(`primitive ${prim.kind} is not supported by the test evaluator`);
    }
  }
}

/** Run one action with its arguments on a packet. */
export function runAction(p: Program, stage: Stage, call: ActionCall, pkt: PacketState, dev: DeviceState): void {
  const action: Action | undefined = stage.actions.find((a) => a.name === call.action);
  if (!action) throw new Error(`stage ${stage.name} has no action ${call.action}`);
  const params = new Map(action.params.map((x) => [x.name, { v: BigInt(call.args[x.name] ?? '0x0'), w: x.width }]));
  const ev = new Evaluator(p, new Scope(p), pkt, dev, params);
  for (const prim of action.body) ev.run(prim);
  pkt.trace.push([stage.name, action.name]);
}

/** Walk the control graph; keyless stages run their default, keyed ones ask `lookup` (undefined: miss). */
export function runControl(p: Program, pkt: PacketState, dev: DeviceState, lookup: Lookup = () => undefined): PacketState {
  const ev = new Evaluator(p, new Scope(p), pkt, dev);
  let at = p.control.entry;
  for (let steps = 0; at !== null; steps++) {
    if (steps > 1000) throw new Error('control does not terminate');
    const node = p.control.nodes.find((n) => n.id === at);
    if (!node) throw new Error(`no control node ${at}`);
    if (node.kind === 'branch') {
      at = ev.bool(node.cond) ? node.then : node.else;
      continue;
    }
    const stage = p.stages.find((s) => s.name === node.stage)!;
    const hit = stage.keys.length > 0 ? lookup(stage, pkt) : undefined;
    const call = hit ?? stage.defaultAction.action;
    runAction(p, stage, call, pkt, dev);
    const next = node.next;
    if (next.kind === 'always') at = next.to;
    else if (next.kind === 'hitMiss') at = hit ? next.hit : next.miss;
    else at = next.cases.find((c) => c.action === call.action)?.to ?? next.default;
  }
  return pkt;
}
