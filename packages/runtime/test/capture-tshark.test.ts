/**
 * Files written by our writers must open in Wireshark: read them back with
 * the real `tshark` (Debian package "tshark", installed by
 * scripts/ensure-system-deps.sh) and compare the fields it decodes with what
 * was written. A missing tshark fails these tests; it never skips them.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapWriter, PcapngWriter, PortCaptureWriter, type CaptureWriter } from '@mpvisor/runtime';
import { ethIpv4UdpFrame, tempDir, type UdpFrameSpec } from './capture-helpers.js';

let tsharkVersion: string | undefined;
let tsharkProblem = '';

beforeAll(() => {
  try {
    tsharkVersion = execFileSync('tshark', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  } catch (e) {
    tsharkProblem = (e as Error).message;
  }
});

function requireTshark(): void {
  if (tsharkVersion === undefined) {
    throw new Error(
      `tshark is not installed (or does not run): ${tsharkProblem}\n` +
        'Install it with: bash scripts/ensure-system-deps.sh   (as root, or with sudo available)',
    );
  }
}

/** Run tshark and return its standard output (stderr warnings, e.g. about running as root, are ignored). */
function tshark(args: readonly string[]): string {
  requireTshark();
  return execFileSync('tshark', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

const FIELDS = [
  'frame.number',
  'frame.len',
  'frame.cap_len',
  'frame.time_epoch',
  'frame.interface_id',
  'eth.dst',
  'eth.src',
  'eth.type',
  'ip.src',
  'ip.dst',
  'ip.ttl',
  'ip.len',
  'ip.checksum.status',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'udp.checksum.status',
  'data.data',
] as const;

type Row = Record<(typeof FIELDS)[number], string>;

/** tshark's decode of every frame, one record per frame, with IP and UDP checksum validation on. */
function decode(path: string): Row[] {
  const out = tshark([
    '-r', path,
    '-o', 'ip.check_checksum:TRUE',
    '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields',
    '-E', 'separator=\t',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ]);
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const cells = line.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cells[i] ?? ''])) as Row;
    });
}

/** tshark's summary and full dissection must not mention malformed packets. */
function expectNoMalformed(path: string, frames: number): void {
  const summary = tshark(['-r', path]);
  expect(summary.split('\n').filter((l) => l.trim().length > 0)).toHaveLength(frames);
  expect(summary).not.toMatch(/malformed/i);
  const verbose = tshark(['-r', path, '-V']);
  expect(verbose).not.toMatch(/malformed/i);
  expect(verbose).not.toMatch(/\[Expert Info \(Error/);
}

const specs: UdpFrameSpec[] = [
  { dstMac: '02:00:00:00:00:01', srcMac: '02:00:00:00:00:02', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 41000, dstPort: 42000, payload: new TextEncoder().encode('hello') },
  { dstMac: 'ff:ff:ff:ff:ff:ff', srcMac: '02:aa:bb:cc:dd:ee', srcIp: '192.0.2.7', dstIp: '198.51.100.200', srcPort: 50000, dstPort: 50001, payload: Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff), ttl: 1 },
  { dstMac: '00:11:22:33:44:55', srcMac: '66:77:88:99:aa:bb', srcIp: '172.16.5.4', dstIp: '10.255.255.254', srcPort: 61000, dstPort: 62000, payload: Uint8Array.from({ length: 18 }, (_, i) => 0xf0 + (i % 16)), ttl: 255 },
];
const frames = specs.map(ethIpv4UdpFrame);
const times = [1_700_000_000_123_456_789n, 1_700_000_001_000_000_001n, 1_700_000_002_999_999_999n];

/** tshark's frame.time_epoch for a nanosecond timestamp at a given resolution (it prints nine digits). */
function epoch(nanos: bigint, unit: bigint): string {
  const t = (nanos / unit) * unit;
  return `${t / 1_000_000_000n}.${(t % 1_000_000_000n).toString().padStart(9, '0')}`;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function expectRows(rows: Row[], unit: bigint[], interfaces: string[]): void {
  expect(rows).toHaveLength(specs.length);
  rows.forEach((row, i) => {
    const s = specs[i]!;
    const f = frames[i]!;
    expect(row).toEqual({
      'frame.number': String(i + 1),
      'frame.len': String(f.length),
      'frame.cap_len': String(f.length),
      'frame.time_epoch': epoch(times[i]!, unit[i]!),
      'frame.interface_id': interfaces[i]!,
      'eth.dst': s.dstMac,
      'eth.src': s.srcMac,
      'eth.type': '0x0800',
      'ip.src': s.srcIp,
      'ip.dst': s.dstIp,
      'ip.ttl': String(s.ttl ?? 64),
      'ip.len': String(20 + 8 + s.payload.length),
      'ip.checksum.status': '1', // 1 = Good
      'udp.srcport': String(s.srcPort),
      'udp.dstport': String(s.dstPort),
      'udp.length': String(8 + s.payload.length),
      'udp.checksum.status': '1',
      'data.data': hex(s.payload),
    } satisfies Row);
  });
}

const { dir, cleanup } = tempDir('mpvisor-tshark-');
afterAll(cleanup);

async function writeAll(w: CaptureWriter, interfaces: number[] = [0, 0, 0]): Promise<string> {
  for (const [i, f] of frames.entries()) await w.write({ data: f, timestampNanos: times[i]!, interface: interfaces[i]! });
  await w.close();
  return w.path;
}

describe('tshark reads what our writers write', () => {
  it('tshark is installed (scripts/ensure-system-deps.sh installs it)', () => {
    requireTshark();
    expect(tsharkVersion).toMatch(/^TShark \(Wireshark\) \d+\.\d+/);
  });

  it('pcap, microsecond timestamps', async () => {
    requireTshark();
    const path = await writeAll(await PcapWriter.create(join(dir, 'micro.pcap')));
    expectRows(decode(path), [1000n, 1000n, 1000n], ['', '', '']);
    expectNoMalformed(path, frames.length);
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-c', '1']).trim()).toBe('1700000000.123456000');
  });

  it('pcap, nanosecond timestamps', async () => {
    requireTshark();
    const path = await writeAll(await PcapWriter.create(join(dir, 'nano.pcap'), { precision: 'nano' }));
    expectRows(decode(path), [1n, 1n, 1n], ['', '', '']);
    expectNoMalformed(path, frames.length);
  });

  it('pcapng, two interfaces of different timestamp resolutions', async () => {
    requireTshark();
    const w = await PcapngWriter.create(join(dir, 'two.pcapng'), {
      interfaces: [{ name: 'port-1', precision: 'micro' }, { name: 'port-2', precision: 'nano' }],
    });
    const path = await writeAll(w, [1, 0, 1]);
    expectRows(decode(path), [1n, 1000n, 1n], ['1', '0', '1']);
    expectNoMalformed(path, frames.length);
    const names = tshark(['-r', path, '-T', 'fields', '-e', 'frame.interface_name']).trim().split('\n');
    expect(names).toEqual(['port-2', 'port-1', 'port-2']);
  });

  it('per-port captures from PortCaptureWriter', async () => {
    requireTshark();
    const out = join(dir, 'ports');
    const w = await PortCaptureWriter.create(out, { dropped: true, format: 'pcapng', precision: 'nano' });
    await w.write(3, { data: frames[0]!, timestampNanos: times[0]! });
    await w.write(3, { data: frames[1]!, timestampNanos: times[1]! });
    await w.writeDropped({ data: frames[2]!, timestampNanos: times[2]! });
    const summary = await w.close();
    expect(summary.files).toEqual([join(out, 'port-3.pcapng'), join(out, 'dropped.pcapng')]);
    const port3 = decode(join(out, 'port-3.pcapng'));
    expect(port3.map((r) => [r['frame.len'], r['ip.dst'], r['frame.time_epoch']])).toEqual([
      [String(frames[0]!.length), specs[0]!.dstIp, epoch(times[0]!, 1n)],
      [String(frames[1]!.length), specs[1]!.dstIp, epoch(times[1]!, 1n)],
    ]);
    expect(decode(join(out, 'dropped.pcapng')).map((r) => r['udp.dstport'])).toEqual([String(specs[2]!.dstPort)]);
    expectNoMalformed(join(out, 'port-3.pcapng'), 2);
  });
});
