/**
 * Action primitives, run in order. Where P4_16 leaves behaviour to the
 * target, the choice is written here and in docs/semantics.md.
 */
import type { Action, ActionCall, Expr, Primitive } from '@mpvisor/mpapi';
import { fromHex, toHex } from '@mpvisor/mpapi';
import {
  DROP_PORT,
  incrementalChecksum,
  internetChecksum,
  v1modelHash,
  TwoRateThreeColorMeter,
  type DigestMessage,
  type MeterCell,
  type ProgramState,
} from '@mpvisor/runtime';
import { BitWriter, mask } from './bits.js';
import { evaluate, type Env } from './evaluate.js';
import type { PacketState } from './packet-state.js';

/** What an action asks of the rest of the pass, beyond field writes. */
export interface PassRequests {
  clone?: { readonly session: number; readonly mode: 'ingress' | 'egress' };
  resubmit: boolean;
  recirculate: boolean;
}

export interface ActionContext {
  readonly state: PacketState;
  readonly device: ProgramState;
  readonly requests: PassRequests;
  readonly digests: DigestMessage[];
  /** The unparsed payload, for checksums over it. */
  readonly payload: Uint8Array;
  /** The matched entry's direct meter, if any. */
  readonly directMeter: MeterCell | null | undefined;
  readonly unit: 'packets' | 'bytes';
}

export function runAction(action: Action, call: ActionCall, ctx: ActionContext): void {
  const args = new Map(action.params.map((p) => [p.name, { value: fromHex(call.args[p.name] ?? '0x0'), width: p.width }]));
  const env: Env = { state: ctx.state, args };
  for (const p of action.body) runPrimitive(p, env, ctx);
}

const num = (e: Expr, env: Env): bigint => evaluate(e, env)[0];

/** The bits of checksum inputs as bytes; a varbit field contributes its actual size. */
function inputBytes(inputs: readonly Expr[], env: Env, payload?: Uint8Array): Uint8Array {
  const w = new BitWriter();
  for (const e of inputs) {
    if (e.kind === 'field' && env.state.layout.field(e.ref).varbit) {
      const bits = env.state.varbitBits(e.ref);
      if (bits > 0) w.write(env.state.get(e.ref), bits);
      continue;
    }
    const [v, width] = evaluate(e, env);
    w.write(v, width);
  }
  if (payload) w.writeBytes(payload);
  return w.finish();
}

function meterColour(cell: MeterCell | null | undefined, now: bigint, bytes: number, unit: 'packets' | 'bytes'): bigint {
  // an unconfigured meter marks every packet green (0), as BMv2 does
  if (!cell) return 0n;
  const meter = (cell.state ??= new TwoRateThreeColorMeter(cell.config, unit)) as TwoRateThreeColorMeter;
  return BigInt(meter.execute(now, bytes));
}

function runPrimitive(p: Primitive, env: Env, ctx: ActionContext): void {
  const { state } = ctx;
  const width = (ref: string): number => state.layout.field(ref).width;
  const packetBytes = Number(state.standard.packetLength);
  switch (p.kind) {
    case 'assign':
      return state.set(p.target, num(p.value, env));
    case 'maskedAssign': {
      const m = fromHex(p.mask);
      return state.set(p.target, (state.get(p.target) & ~m & mask(width(p.target))) | (num(p.value, env) & m));
    }
    case 'setValid':
    case 'setInvalid': {
      const h = state.header(p.header);
      if (h) h.valid = p.kind === 'setValid';
      return;
    }
    case 'copyHeader': {
      const dst = state.header(p.dst);
      const src = state.header(p.src);
      if (!dst || !src) return;
      src.fields.forEach((v, i) => (dst.fields[i] = v));
      dst.varbitBits = src.varbitBits;
      dst.valid = src.valid;
      return;
    }
    case 'pushFront':
    case 'popFront': {
      const stack = state.stacks.get(p.header)!;
      const n = p.count;
      const snapshot = stack.map((h) => ({ valid: h.valid, fields: [...h.fields], varbitBits: h.varbitBits }));
      stack.forEach((h, i) => {
        const from = p.kind === 'pushFront' ? i - n : i + n;
        const s = snapshot[from];
        h.valid = s?.valid ?? false;
        s?.fields.forEach((v, j) => (h.fields[j] = v));
        if (!s) h.fields.fill(0n);
        h.varbitBits = s?.varbitBits ?? 0;
      });
      const next = state.nextIndex.get(p.header) ?? 0;
      state.nextIndex.set(p.header, p.kind === 'pushFront' ? Math.min(stack.length, next + n) : Math.max(0, next - n));
      return;
    }
    case 'drop':
      // v1model mark_to_drop: egress_spec = drop port, mcast_grp = 0; a later setEgress undoes it
      state.standard.egressPort = BigInt(DROP_PORT);
      state.standard.mcastGroup = 0n;
      return;
    case 'setEgress':
      state.standard.egressPort = num(p.port, env);
      return;
    case 'multicast':
      state.standard.mcastGroup = num(p.group, env);
      return;
    case 'clone':
      // v1model keeps one clone request per packet: the last one wins
      ctx.requests.clone = { session: Number(num(p.session, env)), mode: p.mode };
      return;
    case 'resubmit':
      ctx.requests.resubmit = true;
      return;
    case 'recirculate':
      ctx.requests.recirculate = true;
      return;
    case 'digest': {
      const d = ctx.device.program.digests.find((x) => x.name === p.digest)!;
      const values: Record<string, string> = {};
      d.fields.forEach((f, i) => (values[f.name] = toHex(num(p.values[i]!, env) & mask(f.width))));
      ctx.digests.push({ program: ctx.device.program.name, digest: d.name, values, timestamp: state.standard.ingressTimestamp });
      return;
    }
    case 'registerRead': {
      const r = ctx.device.registers.get(p.register)!;
      const i = num(p.index, env);
      // out of range reads give 0 and writes are ignored (P4_16 leaves them undefined)
      state.set(p.target, i < BigInt(r.cells.length) ? r.cells[Number(i)]! : 0n);
      return;
    }
    case 'registerWrite': {
      const r = ctx.device.registers.get(p.register)!;
      const i = num(p.index, env);
      if (i < BigInt(r.cells.length)) r.cells[Number(i)] = num(p.value, env) & mask(r.width);
      return;
    }
    case 'count': {
      const c = ctx.device.counters.get(p.counter)!;
      const i = num(p.index, env);
      if (i < BigInt(c.packets.length)) {
        // a counter counts only its unit(s); the other value stays 0
        const unit = ctx.device.program.counters.find((x) => x.name === p.counter)!.unit;
        if (unit !== 'bytes') c.packets[Number(i)]! += 1n;
        if (unit !== 'packets') c.bytes[Number(i)]! += BigInt(packetBytes);
      }
      return;
    }
    case 'meterExecute': {
      const m = ctx.device.meters.get(p.meter)!;
      const i = num(p.index, env);
      const cell = i < BigInt(m.length) ? m[Number(i)] : null;
      const unit = ctx.device.program.meters.find((x) => x.name === p.meter)!.unit;
      state.set(p.target, meterColour(cell, state.standard.ingressTimestamp, packetBytes, unit) & mask(width(p.target)));
      return;
    }
    case 'directMeterRead':
      state.set(p.target, meterColour(ctx.directMeter, state.standard.ingressTimestamp, packetBytes, ctx.unit) & mask(width(p.target)));
      return;
    case 'hash': {
      const fields = p.inputs.map((e) => {
        const [value, w] = evaluate(e, env);
        return { value, width: w };
      });
      state.set(p.target, v1modelHash(p.algorithm, fields, fromHex(p.base), fromHex(p.max), width(p.target)));
      return;
    }
    case 'checksumVerify': {
      const computed = internetChecksum(inputBytes(p.inputs, env, p.payload ? ctx.payload : undefined));
      if (BigInt(computed) !== state.get(p.checksum)) state.standard.checksumError = 1n;
      return;
    }
    case 'checksumUpdate':
      state.set(p.target, BigInt(internetChecksum(inputBytes(p.inputs, env, p.payload ? ctx.payload : undefined))));
      return;
    case 'checksumIncremental': {
      const removed = inputBytes(p.removed, env);
      const added = inputBytes(p.added, env);
      state.set(p.target, BigInt(incrementalChecksum(Number(state.get(p.target)), removed, added)));
      return;
    }
  }
}
