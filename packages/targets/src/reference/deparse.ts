/** The deparser: valid headers in deparse order (stacks element by element), then the unparsed payload. */
import { BitWriter } from './bits.js';
import type { HeaderValue, PacketState } from './packet-state.js';

export function writeHeader(w: BitWriter, h: HeaderValue): void {
  h.type.fields.forEach((f, i) => {
    if (f.kind === 'bitField') w.write(h.fields[i]!, f.width);
    else if (h.varbitBits > 0) w.write(h.fields[i]!, h.varbitBits);
  });
}

export function deparse(state: PacketState, payload: Uint8Array): { bytes: Uint8Array; emitted: string[] } {
  const w = new BitWriter();
  const emitted: string[] = [];
  for (const name of state.layout.program.deparser) {
    const stack = state.stacks.get(name);
    const list = stack ? stack.map((h, i) => [`${name}[${i}]`, h] as const) : [[name, state.headers.get(name)!] as const];
    for (const [ref, h] of list) {
      if (!h.valid) continue;
      writeHeader(w, h);
      emitted.push(ref);
    }
  }
  w.writeBytes(payload);
  return { bytes: w.finish(), emitted };
}
