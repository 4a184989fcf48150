import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatIpv4,
  formatIpv6,
  formatMac,
  fromHex,
  hex,
  ipv4ToBytes,
  ipv4ToNumber,
  ipv6ToBigInt,
  ipv6ToBytes,
  macToBigInt,
  macToBytes,
} from '../src/packet/index.js';

describe('address and hex helpers', () => {
  it('hex / fromHex round-trip and tolerate separators', () => {
    expect(hex(Uint8Array.of(0, 1, 0xab, 0xff))).toBe('0001abff');
    expect(fromHex('00 01:ab-ff')).toEqual(Uint8Array.of(0, 1, 0xab, 0xff));
    expect(fromHex('0xDEAD_beef')).toEqual(Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(fromHex('')).toEqual(new Uint8Array(0));
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      expect(fromHex(hex(b))).toEqual(b);
    }));
  });

  it('MAC addresses: text, bytes and integers', () => {
    expect(macToBytes('02:00:5E:10:00:01')).toEqual(Uint8Array.of(2, 0, 0x5e, 0x10, 0, 1));
    expect(macToBytes('02-00-5e-10-00-01')).toEqual(Uint8Array.of(2, 0, 0x5e, 0x10, 0, 1));
    expect(macToBigInt('ff:ff:ff:ff:ff:ff')).toBe((1n << 48n) - 1n);
    expect(formatMac(0x02005e100001n)).toBe('02:00:5e:10:00:01');
    expect(formatMac(Uint8Array.of(9, 9, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff), 2)).toBe('aa:bb:cc:dd:ee:ff');
    expect(() => macToBytes('02:00:5e:10:00')).toThrow(TypeError);
    expect(() => macToBytes('02:00:5e:10:00:001')).toThrow(TypeError);
    expect(() => macToBytes(1n << 48n)).toThrow(TypeError);
    fc.assert(fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      expect(macToBytes(formatMac(b))).toEqual(b);
    }));
  });

  it('IPv4 addresses: dotted quads, numbers and bytes', () => {
    expect(ipv4ToNumber('10.0.0.1')).toBe(0x0a000001);
    expect(ipv4ToNumber('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToBytes('192.168.0.199')).toEqual(Uint8Array.of(192, 168, 0, 199));
    expect(formatIpv4(0xc0a800c7)).toBe('192.168.0.199');
    expect(formatIpv4(Uint8Array.of(0, 10, 0, 0, 1), 1)).toBe('10.0.0.1');
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', '']) {
      expect(() => ipv4ToNumber(bad), bad).toThrow(TypeError);
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      expect(ipv4ToNumber(formatIpv4(n))).toBe(n);
    }));
  });

  it('IPv6 addresses: parse RFC 4291 forms, format per RFC 5952', () => {
    expect(formatIpv6(ipv6ToBytes('2001:0DB8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(formatIpv6(ipv6ToBytes('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1'); // first of equal runs
    expect(formatIpv6(ipv6ToBytes('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group stays
    expect(formatIpv6(ipv6ToBytes('2001:0:0:1:0:0:0:1'))).toBe('2001:0:0:1::1'); // the longest run wins
    expect(formatIpv6(ipv6ToBytes('::'))).toBe('::');
    expect(formatIpv6(ipv6ToBytes('::1'))).toBe('::1');
    expect(formatIpv6(ipv6ToBytes('fe80::'))).toBe('fe80::');
    expect(formatIpv6(ipv6ToBytes('::ffff:192.0.2.1'))).toBe('::ffff:192.0.2.1');
    expect(ipv6ToBigInt('::ffff:192.0.2.1')).toBe(0xffffc0000201n);
    expect(ipv6ToBytes('64:ff9b::192.0.2.33')).toEqual(ipv6ToBytes('64:ff9b::c000:221'));
    expect(formatIpv6(1n)).toBe('::1');
    for (const bad of ['1:::2', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '::1.2.3', '1:2:3:4:5:6:7::8']) {
      expect(() => ipv6ToBytes(bad), bad).toThrow(TypeError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(ipv6ToBytes(formatIpv6(b))).toEqual(b);
      }),
      { numRuns: 2000 },
    );
    // Zero-heavy addresses exercise the '::' placement.
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff), { minLength: 8, maxLength: 8 }), (groups) => {
        const text = groups.map((g) => g.toString(16)).join(':');
        expect(formatIpv6(ipv6ToBytes(formatIpv6(ipv6ToBytes(text))))).toBe(formatIpv6(ipv6ToBytes(text)));
        expect(ipv6ToBytes(formatIpv6(ipv6ToBytes(text)))).toEqual(ipv6ToBytes(text));
      }),
    );
  });
});
