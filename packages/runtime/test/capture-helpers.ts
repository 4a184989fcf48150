/**
 * Test helpers for the capture tests: temp directories, hand-built frames and
 * hand-built pcap / pcapng bytes (independent of the writers under test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CaptureError } from '@mpvisor/runtime';

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = 'mpvisor-capture-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The Internet checksum (RFC 1071) of `bytes`, folded, complemented. */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface UdpFrameSpec {
  readonly dstMac: string;
  readonly srcMac: string;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
  readonly ttl?: number;
  readonly id?: number;
}

const mac = (s: string): number[] => s.split(':').map((h) => parseInt(h, 16));
const ipv4 = (s: string): number[] => s.split('.').map((d) => parseInt(d, 10));

/**
 * An Ethernet II / IPv4 / UDP frame, built by hand with correct IPv4 header
 * checksum and UDP checksum (over the RFC 768 pseudo-header).
 */
export function ethIpv4UdpFrame(spec: UdpFrameSpec): Uint8Array {
  const udpLength = 8 + spec.payload.length;
  const ipLength = 20 + udpLength;
  const frame = new Uint8Array(14 + ipLength);
  const v = new DataView(frame.buffer);
  frame.set(mac(spec.dstMac), 0);
  frame.set(mac(spec.srcMac), 6);
  v.setUint16(12, 0x0800);
  const ip = 14;
  frame[ip] = 0x45; // version 4, IHL 5
  frame[ip + 1] = 0; // DSCP/ECN
  v.setUint16(ip + 2, ipLength);
  v.setUint16(ip + 4, spec.id ?? 0x1234);
  v.setUint16(ip + 6, 0x4000); // DF
  frame[ip + 8] = spec.ttl ?? 64;
  frame[ip + 9] = 17; // UDP
  frame.set(ipv4(spec.srcIp), ip + 12);
  frame.set(ipv4(spec.dstIp), ip + 16);
  v.setUint16(ip + 10, internetChecksum(frame.subarray(ip, ip + 20)));
  const udp = ip + 20;
  v.setUint16(udp, spec.srcPort);
  v.setUint16(udp + 2, spec.dstPort);
  v.setUint16(udp + 4, udpLength);
  frame.set(spec.payload, udp + 8);
  // Pseudo-header: source, destination, zero, protocol, UDP length.
  const pseudo = new Uint8Array(12);
  pseudo.set(ipv4(spec.srcIp), 0);
  pseudo.set(ipv4(spec.dstIp), 4);
  pseudo[9] = 17;
  new DataView(pseudo.buffer).setUint16(10, udpLength);
  const partial = ~internetChecksum(pseudo) & 0xffff;
  let sum = internetChecksum(frame.subarray(udp, udp + udpLength), partial);
  if (sum === 0) sum = 0xffff;
  v.setUint16(udp + 6, sum);
  return frame;
}

/** A little byte-string builder that writes integers in either byte order. */
export class Bytes {
  private readonly parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(x: number): this {
    this.parts.push(x & 0xff);
    return this;
  }
  u16(x: number): this {
    const b = [x & 0xff, (x >>> 8) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(x: number): this {
    const b = [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(x: bigint): this {
    const lo = Number(BigInt.asUintN(64, x) & 0xffffffffn);
    const hi = Number(BigInt.asUintN(64, x) >> 32n);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface HandPcapRecord {
  readonly seconds: number;
  readonly fraction: number;
  readonly data: Uint8Array;
  readonly capLen?: number;
  readonly origLen?: number;
}

/** A pcap file built by hand, in either byte order. */
export function handPcap(opts: {
  le: boolean;
  nano?: boolean;
  snapLen?: number;
  linkType?: number;
  major?: number;
  records?: readonly HandPcapRecord[];
}): Uint8Array {
  const b = new Bytes(opts.le);
  b.u32(opts.nano === true ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(opts.major ?? 2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(opts.snapLen ?? 65535)
    .u32(opts.linkType ?? 1);
  for (const r of opts.records ?? []) {
    b.u32(r.seconds).u32(r.fraction).u32(r.capLen ?? r.data.length).u32(r.origLen ?? r.data.length).raw(r.data);
  }
  return b.build();
}

/** A pcapng block: type, length, body (padded), length. */
export function ngBlock(le: boolean, type: number, body: Uint8Array, lengthOverride?: { lead?: number; trail?: number }): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const length = 12 + padded;
  const b = new Bytes(le).u32(type).u32(lengthOverride?.lead ?? length).raw(body).pad4().u32(lengthOverride?.trail ?? length);
  return b.build();
}

/** An option list (code, value) ending with opt_endofopt. */
export function ngOptions(le: boolean, options: ReadonlyArray<readonly [number, ArrayLike<number>]>): Uint8Array {
  const b = new Bytes(le);
  for (const [code, value] of options) b.u16(code).u16(value.length).raw(value).pad4();
  if (options.length > 0) b.u16(0).u16(0);
  return b.build();
}

export function ngShb(le: boolean, options: ReadonlyArray<readonly [number, ArrayLike<number>]> = [], version: [number, number] = [1, 0]): Uint8Array {
  const body = concat(new Bytes(le).u32(0x1a2b3c4d).u16(version[0]).u16(version[1]).u64(-1n).build(), ngOptions(le, options));
  return ngBlock(le, 0x0a0d0d0a, body);
}

export function ngIdb(le: boolean, linkType: number, snapLen: number, options: ReadonlyArray<readonly [number, ArrayLike<number>]> = []): Uint8Array {
  return ngBlock(le, 1, concat(new Bytes(le).u16(linkType).u16(0).u32(snapLen).build(), ngOptions(le, options)));
}

export function ngEpb(le: boolean, interfaceId: number, units: bigint, data: Uint8Array, origLen = data.length, capLen = data.length): Uint8Array {
  const head = new Bytes(le)
    .u32(interfaceId)
    .u32(Number(units >> 32n))
    .u32(Number(units & 0xffffffffn))
    .u32(capLen)
    .u32(origLen)
    .build();
  return ngBlock(le, 6, concat(head, data));
}

export function ngSpb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return ngBlock(le, 3, concat(new Bytes(le).u32(origLen).build(), data));
}

/** Assert that `promise` rejects with a CaptureError for `file` at `offset` whose message matches. */
export async function expectCaptureError(promise: Promise<unknown>, file: string, offset: number, message: RegExp | string): Promise<CaptureError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a CaptureError').toBeInstanceOf(CaptureError);
  const err = caught as CaptureError;
  expect(err.file).toBe(file);
  expect(err.offset).toBe(offset);
  expect(err.message.startsWith(`${file}: `)).toBe(true);
  expect(err.message).toContain(`at byte offset ${offset}`);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  return err;
}
