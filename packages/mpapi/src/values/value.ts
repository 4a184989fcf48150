/**
 * Values as users write them (numbers, bigints, hex, MAC and IP address
 * strings) and as the IR stores them (canonical hex strings).
 */
import { MpvisorError } from '../errors.js';

/** What a user may write where a value of some `bit<N>` is expected. */
export type ValueInput = number | bigint | string;

const MAC = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parse a value; returns an error message instead of throwing, so callers can name where it came from. */
export function parseValue(input: ValueInput): bigint | string {
  if (typeof input === 'bigint') return input >= 0n ? input : `negative value ${input}`;
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input)) return `${input} is not a safe integer (use a bigint or a string)`;
    return input >= 0 ? BigInt(input) : `negative value ${input}`;
  }
  const s = input.trim();
  if (/^0x[0-9a-fA-F]+$/.test(s)) return BigInt(s);
  if (/^0b[01]+$/.test(s)) return BigInt(s);
  if (/^[0-9]+$/.test(s)) return BigInt(s);
  if (MAC.test(s)) return BigInt(`0x${s.replace(/[:-]/g, '')}`);
  const v4 = IPV4.exec(s);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return `"${input}" is not an IPv4 address`;
    return octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
  }
  if (s.includes(':')) return parseIpv6(s) ?? `"${input}" is not an IPv6 address`;
  return `"${input}" is not a value (expected a number, 0x…, 0b…, a MAC or an IP address)`;
}

function parseIpv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const part = (p: string): string[] => (p === '' ? [] : p.split(':'));
  const head = part(halves[0] ?? '');
  const tail = halves.length === 2 ? part(halves[1] ?? '') : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail] : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/** Parse and check that a value fits `width` bits; throws INVALID_ARGUMENT naming `what`. */
export function valueOf(input: ValueInput, width: number, what: string): bigint {
  const v = parseValue(input);
  if (typeof v === 'string') throw new MpvisorError('INVALID_ARGUMENT', `${what}: ${v}`);
  if (!fits(v, width)) throw new MpvisorError('INVALID_ARGUMENT', `${what}: value ${input} does not fit in bit<${width}>`);
  return v;
}

export function fits(v: bigint, width: number): boolean {
  return v >= 0n && v < 1n << BigInt(width);
}

/** Canonical IR form of a value: lower-case hex, no leading zeros. */
export function toHex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

export function fromHex(h: string): bigint {
  return BigInt(h);
}

/** All-ones mask of `width` bits. */
export function ones(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** The mask of an LPM prefix of `prefixLength` bits on a `width`-bit key. */
export function prefixMask(width: number, prefixLength: number): bigint {
  return ones(width) ^ ones(width - prefixLength);
}
