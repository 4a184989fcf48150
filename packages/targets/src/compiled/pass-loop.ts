/**
 * The v1model pass loop of compiled code — reference/process.ts runPasses:
 * resubmit, recirculate, clones, multicast replication, the egress port —
 * generated for one chain of step functions, with standard metadata as
 * numbers in a reused Float64Array. The compiled target drives its
 * pipeline with it, the compiled image executor each vPDP's chain.
 *
 * Generated rather than written once because most chains need little of
 * it: what a chain's programs can ask for is known from their actions
 * (`capsOf`), and the loop is generated with only that — no pass loop for
 * a chain that never resubmits or recirculates, no clone handling for one
 * that never clones. A chain the generator could not compile a program of
 * runs that program interpreted, with every capability on.
 *
 * The virtualized flavour adds the hypervisor's per-packet work in the same
 * function: the stage-slot cursor, the egress filter (nothing leaves
 * through a port outside the vPDP), the slot figures and, for a run of
 * packets, the vPDP's counters — so a virtualized packet costs the native
 * one plus a handful of integer operations, not a second layer of calls.
 */
import type { Primitive, Program } from '@mpvisor/mpapi';
import { DROP_PORT, type PacketIn, type ProcessResult, type Replica, type VirtualResult, type VpdpCounters } from '@mpvisor/runtime';
import type { Requests, StepFn } from './binding.js';
import { STD_SLOTS } from './codegen.js';

/** What a program's actions can ask of the pass loop. */
export interface StepCaps {
  readonly clone: boolean;
  /** resubmit or recirculate: another pass */
  readonly again: boolean;
  /** multicast, or a write to standard.mcastGroup */
  readonly multicast: boolean;
}

/** For a program run interpreted, or anything not looked into. */
export const ALL_CAPS: StepCaps = { clone: true, again: true, multicast: true };

export function capsOf(program: Program): StepCaps {
  let clone = false;
  let again = false;
  let multicast = false;
  const visit = (p: Primitive): void => {
    if (p.kind === 'clone') clone = true;
    else if (p.kind === 'resubmit' || p.kind === 'recirculate') again = true;
    else if (p.kind === 'multicast') multicast = true;
    else if ('target' in p && p.target === 'standard.mcastGroup') multicast = true;
  };
  for (const stage of program.stages) for (const a of stage.actions) a.body.forEach(visit);
  // a parser `set` can write standard metadata too
  for (const st of program.parser.states) for (const op of st.ops) if (op.kind === 'set' && op.target === 'standard.mcastGroup') multicast = true;
  return { clone, again, multicast };
}

/** What a generated loop is bound to. */
export interface LoopContext {
  readonly steps: readonly StepFn[];
  readonly cloneSessions: ReadonlyMap<number, number>;
  readonly multicastGroups: ReadonlyMap<number, readonly Replica[]>;
  readonly maxPasses: number;
  /** Standard metadata, in STD_INDEX order (codegen.ts). */
  readonly S: Float64Array;
  readonly R: Requests;
}

/** The hypervisor's side of a virtualized chain. */
export interface VpdpContext extends LoopContext {
  readonly vpdp: number;
  /** The vPDP's ports as a bitmap over every port number, for the egress filter. */
  readonly ports: Uint8Array;
  readonly counters: VpdpCounters;
}

export interface NativeLoop {
  one(packet: PacketIn): ProcessResult;
  /** packets[from..to) into out[from..to). */
  run(packets: readonly PacketIn[], from: number, to: number, out: ProcessResult[]): void;
}

export interface VirtualLoop {
  one(packet: PacketIn, epoch: number): VirtualResult;
  /** packets[from..to) into out[from..to), each counted in the vPDP's counters. */
  run(packets: readonly PacketIn[], from: number, to: number, out: VirtualResult[], epoch: number): void;
}

type Mode = 'native' | 'virtualized';

/**
 * The pass state array S: standard metadata (STD_INDEX, codegen.ts), then
 * for image programs the stage-slot cursor their generated code moves —
 * the slot of the last stage, slot passes, generic tables, native tables.
 */
export const SLOT_CURSOR = { slot: STD_SLOTS, passes: STD_SLOTS + 1, tables: STD_SLOTS + 2, native: STD_SLOTS + 3 } as const;
export const PASS_STATE_SIZE = STD_SLOTS + 4;

const OUTPUT_INSTANCE = "{ ingress: 'ingressClone', egress: 'egressClone' }";

/** The source of `new Function(source)`, which returns `bind(C)`, which returns the loop bound to C. */
export function passLoopSource(caps: readonly StepCaps[], mode: Mode): string {
  const clone = caps.some((c) => c.clone);
  const again = caps.some((c) => c.again);
  const multicast = caps.some((c) => c.multicast);
  const virtual = mode === 'virtualized';
  const { slot, passes, tables, native } = SLOT_CURSOR;
  const L: string[] = [];
  const at = (depth: number, ...lines: string[]): void => void L.push(...lines.map((l) => '  '.repeat(depth) + l));

  /**
   * One packet `packet`, from its first pass to its outputs; `finish(depth)`
   * gets `outputs`, `dr` ('' or the drop reason) and `pass`, and ends the
   * packet (a return, or the next packet of a run).
   */
  const body = (depth: number, finish: (depth: number) => void): void => {
    const done = (d: number, outputs: string, drop: string): void => at(d, `outputs = ${outputs}; dr = ${drop}; break P;`);
    at(depth, 'let input = packet.data;', 'let outputs, dr = "";');
    if (virtual) at(depth, '// outputs the egress filter stopped: nothing leaves through a port outside the vPDP', 'let contained = 0;');
    if (clone) at(depth, 'let clones;');
    if (again) at(depth, 'let instanceType = 0;');
    at(depth, '// bit<48> microseconds (v1model ingress_global_timestamp), converted only if a program reads it', 'R.ts = packet.timestamp;', 'let timestamp = -1;');
    if (virtual) at(depth, `S[${slot}] = -1; S[${passes}] = 1; S[${tables}] = 0; S[${native}] = 0;`);
    at(depth, again ? 'let pass = 1;' : 'const pass = 1;', again ? 'P: for (;; pass++) {' : 'P: {');
    const d = depth + 1;
    at(d, `S[0] = packet.port; S[1] = 0; S[2] = input.length; S[3] = 0; S[4] = 0; S[5] = 0; S[6] = ${again ? 'instanceType' : '0'}; S[7] = timestamp; S[8] = 0;`);
    if (clone || again) at(d, [clone ? 'R.cl = false;' : '', again ? 'R.rs = false; R.rc = false;' : ''].filter(Boolean).join(' '));
    if (virtual && again) at(d, '// a new pass of the chain starts again before slot 0: a slot pass of its own if the last one used a slot', `if (S[${slot}] >= 0) { S[${passes}]++; S[${slot}] = -1; }`);
    at(d, 'let current = input, dropped = false;');
    if (caps.length === 1) {
      at(d, 'const o0 = s0(current, S, R);', 'if (o0 !== undefined) {', '  current = o0;', '  dropped = S[1] === DROP && S[5] === 0;', '}');
    } else {
      at(d, 'K: {');
      caps.forEach((_, i) => at(d + 1, `const o${i} = s${i}(current, S, R);`, `if (o${i} !== undefined) {`, `  current = o${i};`, '  // a dropped packet reaches no later program of the chain', '  if (S[1] === DROP && S[5] === 0) { dropped = true; break K; }', '}'));
      at(d, '}');
    }
    if (again) at(d, 'timestamp = S[7];', '// v1model: resubmit is decided at the end of ingress, before the drop; recirculate after egress, so never for a dropped packet', 'const again = R.rs ? 1 : R.rc && !dropped ? 2 : 0;');
    if (clone) {
      at(d, 'if (R.cl) {', '  const ingress = R.cm === 0;', '  const port = sessions.get(R.cs);', `  if (port !== undefined && (ingress || (!dropped${again ? ' && again !== 1' : ''}))) {`);
      const push = "(clones ??= []).push({ port, data: (ingress ? input : current).slice(), instance: OUTPUT_INSTANCE[ingress ? 'ingress' : 'egress'] });";
      at(d, virtual ? `    if (mask[port] === 1) ${push} else contained++;` : `    ${push}`, '  }', '}');
    }
    const rest = clone ? 'clones ?? []' : '[]';
    if (again) {
      at(d, 'if (again !== 0) {', '  if (pass >= maxPasses) {');
      done(d + 2, rest, "'resubmitLimit'");
      at(d, '  }', '  if (again === 2) input = current;', '  instanceType = again === 1 ? 6 : 4;', '  continue;', '}');
    }
    at(d, 'if (dropped) {');
    done(d + 1, rest, "'dropped'");
    at(d, '}');
    if (multicast) {
      at(d, 'const group = S[5];', 'if (group !== 0) {', '  const replicas = groups.get(group);', '  if (replicas === undefined) {');
      done(d + 2, rest, "'unknownMulticastGroup'");
      at(d, '  }', '  if (replicas.length === 0) {');
      done(d + 2, rest, "'emptyMulticastGroup'");
      at(d, '  }', '  const n = replicas.length;');
      if (virtual) {
        at(d, `  const out = ${clone ? 'clones ?? []' : '[]'};`);
        at(d, '  for (let i = 0; i < n; i++) {', '    const r = replicas[i];', "    if (mask[r.port] === 1) out.push({ port: r.port, data: current, instance: 'replica', rid: r.instance });", '    else contained++;', '  }');
      } else {
        at(d, clone ? '  const out = clones ?? new Array(n), from = clones ? clones.length : 0;' : '  const out = new Array(n), from = 0;');
        at(d, '  for (let i = 0; i < n; i++) {', '    const r = replicas[i];', "    out[from + i] = { port: r.port, data: current, instance: 'replica', rid: r.instance };", '  }');
      }
      done(d + 1, 'out', '""');
      at(d, '}');
    }
    // the port as a small integer: S holds doubles, and a double field would be boxed in every output
    at(d, 'const port = S[1] | 0;');
    const normal = [
      "const normal = { port, data: current, instance: 'normal' };",
      clone ? 'if (clones) { clones.push(normal); outputs = clones; } else outputs = [normal];' : 'outputs = [normal];',
    ];
    if (virtual) at(d, 'if (mask[port] === 1) {', ...normal.map((l) => `  ${l}`), '} else {', '  contained++;', `  outputs = ${rest};`, '}');
    else at(d, ...normal);
    if (again) at(d, 'break P;');
    at(depth, '}');
    finish(depth);
  };

  /** The hypervisor's part once the chain is done: the slot figures (leaves `slots` and `sp`) and the drop reason of a packet all of whose outputs were stopped. */
  const hypervisor = (d: number): void => {
    at(d, `const sp = S[${passes}], st = S[${tables}] + sp, sn = S[${native}];`);
    at(d, 'if (slots.slotPasses !== sp || slots.tablesUsed !== st || slots.nativeTables !== sn || slots.contained !== contained) {');
    at(d, '  slots = { slotPasses: sp, tablesUsed: st, nativeTables: sn, contained };', '}');
    at(d, "if (dr === '' && outputs.length === 0 && contained > 0) dr = 'outsideVpdp';");
  };
  const virtualResult = "dr === '' ? { vpdp, epoch, slots, passes: pass, outputs } : { vpdp, epoch, slots, passes: pass, outputs, dropped: dr }";

  at(0, `// the pass loop of a chain of ${caps.length} step${caps.length === 1 ? '' : 's'}, ${mode}: clone ${clone}, resubmit/recirculate ${again}, multicast ${multicast}`);
  at(0, '"use strict";', `const DROP = ${DROP_PORT};`);
  if (clone) at(0, `const OUTPUT_INSTANCE = ${OUTPUT_INSTANCE};`);
  at(0, 'return function bind(C) {');
  at(1, 'const S = C.S, R = C.R, groups = C.multicastGroups, sessions = C.cloneSessions, maxPasses = C.maxPasses;');
  caps.forEach((_, i) => at(1, `const s${i} = C.steps[${i}];`));
  if (!virtual) {
    const nativeResult = 'dr === "" ? { outputs, passes: pass } : { outputs, passes: pass, dropped: dr }';
    at(1, 'function one(packet) {');
    body(2, (d) => at(d, `return ${nativeResult};`));
    at(1, '}');
    // a run has the body inline: the loop is the same code for every batch, with no inlining left to chance
    at(1, 'function run(packets, from, to, out) {', '  for (let k = from; k < to; k++) {', '    const packet = packets[k];');
    body(3, (d) => at(d, `out[k] = ${nativeResult};`));
    at(1, '  }', '}');
    at(1, 'return { one, run };');
    at(0, '};');
    return L.join('\n');
  }
  at(1, 'const vpdp = C.vpdp, mask = C.ports, counters = C.counters;');
  at(1, '// packets on one path have the same slot figures: the last (readonly) object is reused rather than one made per packet');
  at(1, 'let slots = { slotPasses: 0, tablesUsed: 0, nativeTables: 0, contained: 0 };');
  at(1, 'function one(packet, epoch) {');
  body(2, (d) => {
    hypervisor(d);
    at(d, `return ${virtualResult};`);
  });
  at(1, '}');
  // a run has the body inline, counted in locals: no call and no reading back a packet's result
  at(1, 'function run(packets, from, to, out, epoch) {', '  let nOutputs = 0, nDropped = 0, nContained = 0, nSlotPasses = 0;', '  for (let k = from; k < to; k++) {', '    const packet = packets[k];');
  body(3, (d) => {
    hypervisor(d);
    at(d, `out[k] = ${virtualResult};`, 'nOutputs += outputs.length; nContained += contained; nSlotPasses += sp;', "if (dr !== '') nDropped++;");
  });
  at(1, '  }', '  counters.packets += to - from; counters.outputs += nOutputs; counters.dropped += nDropped; counters.contained += nContained; counters.slotPasses += nSlotPasses;', '}');
  at(1, 'return { one, run };');
  at(0, '};');
  return L.join('\n');
}

type Bind = (C: LoopContext) => NativeLoop | VirtualLoop;

/**
 * Built loops by what they were generated for (the source depends on the
 * chain's length and its capabilities only): every chain of the same kind
 * shares one function, one thing for the JIT to optimise, and a new
 * epoch's chain generates nothing.
 */
const built = new Map<string, Bind>();

function build(caps: readonly StepCaps[], mode: Mode): Bind {
  const any = (k: keyof StepCaps): number => (caps.some((c) => c[k]) ? 1 : 0);
  const key = `${mode} ${caps.length} ${any('clone')}${any('again')}${any('multicast')}`;
  let bind = built.get(key);
  if (!bind) {
    bind = (new Function(passLoopSource(caps, mode)) as () => Bind)();
    built.set(key, bind);
  }
  return bind;
}

export function nativeLoop(caps: readonly StepCaps[], C: LoopContext): NativeLoop {
  return build(caps, 'native')(C) as NativeLoop;
}

export function virtualLoop(caps: readonly StepCaps[], C: VpdpContext): VirtualLoop {
  return build(caps, 'virtualized')(C) as VirtualLoop;
}
