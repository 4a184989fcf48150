import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError, PcapWriter, PcapngWriter, PortCaptureWriter, createCaptureWriter, readCapture, readCaptureAll } from '@mpvisor/runtime';
import { handPcap, pseudoRandomBytes, tempDir } from './capture-helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
let n = 0;
const sub = (): string => join(dir, `case${n++}`);

describe('output files are never left looking complete after a failure', () => {
  it('writes under <path>.partial and renames only in close()', async () => {
    for (const create of [PcapWriter.create, PcapngWriter.create]) {
      const path = join(dir, `atomic${n++}`);
      const w = await create(path);
      expect(existsSync(`${path}.partial`)).toBe(true);
      for (let i = 0; i < 5000; i++) await w.write({ data: pseudoRandomBytes(400, i + 1) }); // more than one 1 MiB buffer
      expect(existsSync(path)).toBe(false);
      await w.close();
      expect(existsSync(path)).toBe(true);
      expect(existsSync(`${path}.partial`)).toBe(false);
      expect(await readCaptureAll(path, { chunkSize: 1000 })).toHaveLength(5000);
      await w.close(); // idempotent
      await w.abort(); // no effect after a successful close
      expect(existsSync(path)).toBe(true);
    }
  });

  it('abort() removes the partial file and leaves no final file', async () => {
    const path = join(dir, 'aborted.pcap');
    const w = await PcapWriter.create(path);
    for (let i = 0; i < 3000; i++) await w.write({ data: pseudoRandomBytes(500, i + 1) });
    await w.abort();
    await w.abort();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.partial`)).toBe(false);
    await expect(w.write({ data: new Uint8Array(1) })).rejects.toThrow(/write after abort/);
  });

  it('a failed close() removes the partial file and leaves no final file', async () => {
    await expect(createCaptureWriter(join(dir, 'no-such-dir', 'out.pcapng'))).rejects.toThrow(/ENOENT/);
    const d = sub();
    mkdirSync(d);
    const writer = await PcapWriter.create(join(d, 'x.pcap'));
    await writer.write({ data: new Uint8Array(60) });
    // Make the final rename fail: the partial file disappears under the writer.
    rmSync(join(d, 'x.pcap.partial'));
    await expect(writer.close()).rejects.toThrow(/ENOENT/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('the pattern for copying: a bad input aborts the output', async () => {
    const d = sub();
    mkdirSync(d);
    const input = join(d, 'in.pcap');
    const full = handPcap({ le: true, records: [{ seconds: 1, fraction: 0, data: new Uint8Array(60) }, { seconds: 2, fraction: 0, data: new Uint8Array(98) }] });
    writeFileSync(input, full.subarray(0, full.length - 58));
    const out = await PcapWriter.create(join(d, 'out.pcap'));
    try {
      for await (const p of readCapture(input)) await out.write(p);
      await out.close();
    } catch (e) {
      await out.abort();
      expect(e).toBeInstanceOf(CaptureError);
    }
    expect(readdirSync(d)).toEqual(['in.pcap']);
  });
});

describe('PortCaptureWriter', () => {
  it('writes one capture per egress port, created lazily, plus dropped.pcap when asked', async () => {
    const d = sub();
    const w = await PortCaptureWriter.create(d, { dropped: true, precision: 'nano' });
    expect(readdirSync(d)).toEqual([]);
    await w.write(2, { data: pseudoRandomBytes(60, 1), timestampNanos: 5n });
    await w.write(1, { data: pseudoRandomBytes(61, 2), timestampNanos: 6n });
    await w.write(2, { data: pseudoRandomBytes(62, 3), timestampNanos: 7n });
    await w.writeDropped({ data: pseudoRandomBytes(63, 4), timestampNanos: 8n });
    expect(readdirSync(d).sort()).toEqual(['dropped.pcap.partial', 'port-1.pcap.partial', 'port-2.pcap.partial']);
    expect(w.counts()).toEqual(new Map([[1, 1], [2, 2]]));
    const summary = await w.close();
    expect(readdirSync(d).sort()).toEqual(['dropped.pcap', 'port-1.pcap', 'port-2.pcap']);
    expect(summary).toEqual({
      ports: [
        { port: 1, path: join(d, 'port-1.pcap'), packets: 1 },
        { port: 2, path: join(d, 'port-2.pcap'), packets: 2 },
      ],
      dropped: { path: join(d, 'dropped.pcap'), packets: 1 },
      files: [join(d, 'port-1.pcap'), join(d, 'port-2.pcap'), join(d, 'dropped.pcap')],
    });
    const port2 = await readCaptureAll(join(d, 'port-2.pcap'));
    expect(port2.map((p) => p.data)).toEqual([pseudoRandomBytes(60, 1), pseudoRandomBytes(62, 3)]);
    expect(port2.map((p) => p.timestampNanos)).toEqual([5n, 7n]);
    expect((await readCaptureAll(join(d, 'dropped.pcap')))[0]!.data).toEqual(pseudoRandomBytes(63, 4));
    await expect(w.write(1, { data: new Uint8Array(1) })).rejects.toThrow(/closed/);
  });

  it('creates an empty dropped capture when asked and nothing was dropped; ignores drops when not asked', async () => {
    const d = sub();
    const w = await PortCaptureWriter.create(d, { dropped: true, format: 'pcapng' });
    const summary = await w.close();
    expect(readdirSync(d)).toEqual(['dropped.pcapng']);
    expect(summary.dropped?.packets).toBe(0);
    expect(await readCaptureAll(join(d, 'dropped.pcapng'))).toEqual([]);

    const e = sub();
    const v = await PortCaptureWriter.create(e);
    await v.writeDropped({ data: new Uint8Array(60) });
    await v.write(7, { data: new Uint8Array(60) });
    const s = await v.close();
    expect(readdirSync(e)).toEqual(['port-7.pcap']);
    expect(s.dropped).toBeUndefined();
  });

  it('handles concurrent first packets for the same port', async () => {
    const d = sub();
    const w = await PortCaptureWriter.create(d, { format: 'pcapng' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => w.write(i % 3, { data: pseudoRandomBytes(30, i + 1) })));
    const s = await w.close();
    expect(s.ports.map((p) => [p.port, p.packets])).toEqual([[0, 7], [1, 7], [2, 6]]);
    expect(readdirSync(d).sort()).toEqual(['port-0.pcapng', 'port-1.pcapng', 'port-2.pcapng']);
    const port0 = await readCaptureAll(join(d, 'port-0.pcapng'));
    expect(port0.map((p) => p.data)).toEqual([0, 3, 6, 9, 12, 15, 18].map((i) => pseudoRandomBytes(30, i + 1)));
  });

  it('abort() removes every partial file', async () => {
    const d = sub();
    const w = await PortCaptureWriter.create(d, { dropped: true });
    for (let i = 0; i < 100; i++) await w.write(i % 4, { data: new Uint8Array(60) });
    await w.writeDropped({ data: new Uint8Array(60) });
    await w.abort();
    expect(readdirSync(d)).toEqual([]);
  });

  it('commits all or none: when one file cannot be committed, no file is left under its final name', async () => {
    const d = sub();
    const w = await PortCaptureWriter.create(d, { dropped: true });
    for (let i = 0; i < 30; i++) await w.write(1 + (i % 3), { data: pseudoRandomBytes(60, i + 1) });
    await w.writeDropped({ data: new Uint8Array(60) });
    // Sabotage port 3: its partial file vanishes, so its rename fails after ports 1 and 2 were renamed.
    rmSync(join(d, 'port-3.pcap.partial'));
    await expect(w.close()).rejects.toThrow(/ENOENT/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('rejects bad port numbers', async () => {
    const w = await PortCaptureWriter.create(sub());
    await expect(w.write(-1, { data: new Uint8Array(1) })).rejects.toThrow(RangeError);
    await expect(w.write(1.5, { data: new Uint8Array(1) })).rejects.toThrow(RangeError);
    await w.abort();
  });
});
