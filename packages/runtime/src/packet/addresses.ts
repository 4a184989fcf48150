/**
 * Address and hex helpers for building and reading packets.
 *
 * Parsers throw a TypeError on malformed text (they are for code and tests
 * that build packets); formatters accept any bytes and never throw.
 */

const HEX = '0123456789abcdef';

/** Lower-case hex of `bytes`, no separators: `hex(Uint8Array.of(1, 171)) === '01ab'`. */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b >> 4]! + HEX[b & 15]!;
  return s;
}

/**
 * Bytes from hex text. Whitespace, `:`, `-`, `_` and `.` separators are ignored,
 * as is a leading `0x`, so hex dumps can be pasted in readable groups.
 */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s:\-_.]/g, '');
  if (clean.length % 2 !== 0) throw new TypeError(`fromHex: odd number of hex digits (${clean.length})`);
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new TypeError(`fromHex: not hex: ${JSON.stringify(text)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---------------------------------------------------------------- MAC

/** A MAC address: text (`02:00:00:00:00:01`, `-` also accepted), 6 bytes, or a 48-bit integer. */
export type MacInput = string | Uint8Array | bigint;

/** The 6 bytes of a MAC address. */
export function macToBytes(mac: MacInput): Uint8Array {
  if (typeof mac === 'bigint') {
    if (mac < 0n || mac >= 1n << 48n) throw new TypeError(`MAC address out of range: ${mac}`);
    const out = new Uint8Array(6);
    for (let i = 0; i < 6; i++) out[i] = Number((mac >> BigInt(8 * (5 - i))) & 0xffn);
    return out;
  }
  if (mac instanceof Uint8Array) {
    if (mac.length !== 6) throw new TypeError(`MAC address must be 6 bytes, got ${mac.length}`);
    return Uint8Array.from(mac);
  }
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** A MAC address as a 48-bit integer. */
export function macToBigInt(mac: MacInput): bigint {
  let v = 0n;
  for (const b of macToBytes(mac)) v = (v << 8n) | BigInt(b);
  return v;
}

/** `aa:bb:cc:dd:ee:ff` (lower case) from 6 bytes (at `offset`) or a 48-bit integer. */
export function formatMac(mac: Uint8Array | bigint, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) {
    const b = typeof mac === 'bigint' ? Number((mac >> BigInt(8 * (5 - i))) & 0xffn) : (mac[offset + i] ?? 0);
    parts.push(HEX[b >> 4]! + HEX[b & 15]!);
  }
  return parts.join(':');
}

// ---------------------------------------------------------------- IPv4

/** An IPv4 address: dotted quad, 4 bytes, or a 32-bit unsigned integer. */
export type Ipv4Input = string | number | Uint8Array;

/** An IPv4 address as a 32-bit unsigned integer: `ipv4ToNumber('10.0.0.1') === 0x0a000001`. */
export function ipv4ToNumber(addr: Ipv4Input): number {
  if (typeof addr === 'number') {
    if (!Number.isInteger(addr) || addr < 0 || addr > 0xffffffff) throw new TypeError(`IPv4 address out of range: ${addr}`);
    return addr;
  }
  if (addr instanceof Uint8Array) {
    if (addr.length !== 4) throw new TypeError(`IPv4 address must be 4 bytes, got ${addr.length}`);
    return ((addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!) >>> 0;
  }
  const parts = addr.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new TypeError(`not an IPv4 address: ${JSON.stringify(addr)}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** The 4 bytes of an IPv4 address. */
export function ipv4ToBytes(addr: Ipv4Input): Uint8Array {
  const n = ipv4ToNumber(addr);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Dotted quad from a 32-bit integer or from 4 bytes (at `offset`). */
export function formatIpv4(addr: number | Uint8Array, offset = 0): string {
  if (typeof addr === 'number') {
    const n = addr >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
  }
  return `${addr[offset] ?? 0}.${addr[offset + 1] ?? 0}.${addr[offset + 2] ?? 0}.${addr[offset + 3] ?? 0}`;
}

// ---------------------------------------------------------------- IPv6

/** An IPv6 address: text (RFC 4291 §2.2, including `::` and a dotted-quad tail), 16 bytes, or a 128-bit integer. */
export type Ipv6Input = string | bigint | Uint8Array;

function parseIpv6Groups(text: string): number[] | undefined {
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    // A dotted-quad tail stands for the last two groups.
    let v4: number;
    try {
      v4 = ipv4ToNumber(s.slice(lastColon + 1));
    } catch {
      return undefined;
    }
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const doubles = s.split('::');
  if (doubles.length > 2) return undefined;
  const parseSide = (side: string): number[] | undefined => {
    if (side === '') return [];
    const groups = side.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseSide(doubles[0]!);
  if (left === undefined) return undefined;
  if (doubles.length === 1) return left.length === 8 ? left : undefined;
  const right = parseSide(doubles[1]!);
  if (right === undefined) return undefined;
  const known = left.length + right.length;
  if (known > 7) return undefined;
  return [...left, ...new Array<number>(8 - known).fill(0), ...right];
}

/** The 16 bytes of an IPv6 address. */
export function ipv6ToBytes(addr: Ipv6Input): Uint8Array {
  if (addr instanceof Uint8Array) {
    if (addr.length !== 16) throw new TypeError(`IPv6 address must be 16 bytes, got ${addr.length}`);
    return Uint8Array.from(addr);
  }
  const out = new Uint8Array(16);
  if (typeof addr === 'bigint') {
    if (addr < 0n || addr >= 1n << 128n) throw new TypeError(`IPv6 address out of range: ${addr}`);
    for (let i = 0; i < 16; i++) out[i] = Number((addr >> BigInt(8 * (15 - i))) & 0xffn);
    return out;
  }
  const groups = parseIpv6Groups(addr);
  if (groups === undefined) throw new TypeError(`not an IPv6 address: ${JSON.stringify(addr)}`);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** An IPv6 address as a 128-bit unsigned integer. */
export function ipv6ToBigInt(addr: Ipv6Input): bigint {
  let v = 0n;
  for (const b of ipv6ToBytes(addr)) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * RFC 5952 text of an IPv6 address from 16 bytes (at `offset`) or a 128-bit
 * integer: lower case, no leading zeros, the longest run of two or more zero
 * groups (the first such run on a tie) shortened to `::`, and IPv4-mapped
 * addresses as `::ffff:a.b.c.d` (§5).
 */
export function formatIpv6(addr: Uint8Array | bigint, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) {
    if (typeof addr === 'bigint') {
      groups.push(Number((addr >> BigInt(16 * (7 - i))) & 0xffffn));
    } else {
      groups.push(((addr[offset + 2 * i] ?? 0) << 8) | (addr[offset + 2 * i + 1] ?? 0));
    }
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(((groups[6]! << 16) | groups[7]!) >>> 0)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const txt = groups.map((g) => g.toString(16));
  if (bestStart < 0) return txt.join(':');
  return `${txt.slice(0, bestStart).join(':')}::${txt.slice(bestStart + bestLen).join(':')}`;
}
