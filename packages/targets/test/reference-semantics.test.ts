/**
 * The reference target's packet semantics, pinned with real bytes in and
 * bytes out: parser errors, deparsing, header validity and stacks, table
 * lookup, forwarding decisions (drop, multicast, clone, resubmit,
 * recirculate), digests, registers, counters, meters, hashes, checksums,
 * arithmetic, and policy chains. Programs are small and built inline; the
 * expected bytes are built independently with the packet library.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bit, header, PARSER_ERROR_CODES, policy, program, stack, std, varbit, type ActionCall, type KeyMatch, type ParserErrorName } from '@mpvisor/mpapi';
import {
  crc16,
  crc32,
  csum16,
  dissect,
  ethernet,
  incrementalChecksum,
  internetChecksum,
  ipv4,
  ipv6,
  loadPipeline,
  packet,
  packFields,
  payload,
  tcp,
  udp,
  vlan,
  xor16,
  type DigestMessage,
  type Entity,
  type PacketIn,
  type PipelineSource,
  type ProcessResult,
  type TraceEvent,
  type Update,
} from '@mpvisor/runtime';
import { DEFAULT_MAX_PASSES, INSTANCE_TYPE, MAX_PARSER_STATES, ReferenceTarget, type ReferenceTargetOptions } from '@mpvisor/targets';

// ---------------------------------------------------------------- helpers

function load(nf: PipelineSource, updates: readonly Update[] = [], options: ReferenceTargetOptions = {}): ReferenceTarget {
  const t = new ReferenceTarget(options);
  t.load(loadPipeline(nf));
  if (updates.length > 0) {
    const w = t.write(updates);
    expect(w.results.filter((r) => !r.ok)).toEqual([]);
  }
  return t;
}

const call = (action: string, args: Record<string, string> = {}): ActionCall => ({ kind: 'actionCall', action, args });
const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const entry = (stage: string, matches: readonly KeyMatch[], action: ActionCall, priority?: number, prog?: string): Update => ({
  type: 'insert',
  entity: { kind: 'tableEntry', stage, matches, action, ...(priority !== undefined ? { priority } : {}), ...(prog !== undefined ? { program: prog } : {}) },
});
const insert = (entity: Entity): Update => ({ type: 'insert', entity });
const exact = (v: number | bigint): KeyMatch => ({ kind: 'exact', value: hex(v) });
const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const mac = (s: string): bigint => BigInt(`0x${s.replace(/:/g, '')}`);
const concat = (...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** The only output of a result (a normal one). */
function only(r: ProcessResult): Uint8Array {
  expect(r.dropped).toBeUndefined();
  expect(r.outputs).toHaveLength(1);
  return r.outputs[0]!.data;
}

function parserErrors(r: ProcessResult): string[] {
  return (r.trace ?? []).flatMap((e: TraceEvent) => (e.kind === 'parser' ? [e.error] : []));
}

const code = (name: ParserErrorName): string => hex(PARSER_ERROR_CODES[name]);

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const udpPacket = (fields: { src?: string; dst?: string; sport?: number; dport?: number; ttl?: number; data?: Uint8Array | number } = {}): Uint8Array =>
  packet(
    ethernet({ dst: MAC_B, src: MAC_A }),
    ipv4({ src: fields.src ?? '10.0.0.1', dst: fields.dst ?? '10.1.2.3', ttl: fields.ttl ?? 64 }),
    udp({ sport: fields.sport ?? 40000, dport: fields.dport ?? 4000 }),
    payload(fields.data ?? 12),
  );

// ---------------------------------------------------------------- parser errors

/** Ethernet → IPv4, reporting the parser error and IPv4 validity in a digest; every packet goes to port 1. */
const toIpv4 = program('to-ipv4')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .digest('seen', { err: bit(8), ip: bit(1) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('report', (t) =>
    t.action('report', (a) => a.digest('seen', { err: a.get('standard.parserError'), ip: a.isValid('ipv4').toBit(1) }).setEgress(1)).defaultAction('report'),
  );

/** Select without a default case. */
const noDefault = program('no-default')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .digest('seen', { err: bit(8) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']]))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('report', (t) => t.action('report', (a) => a.digest('seen', { err: a.get('standard.parserError') }).setEgress(1)).defaultAction('report'));

/** VLAN tags into a two-element stack. */
const vlans = program('vlans')
  .headers({ ethernet: std.ethernet, vlan: stack(std.vlan, 2) })
  .digest('seen', { err: bit(8), v0: bit(1), v1: bit(1) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.vlan, 'parse_vlan']], 'accept'))
      .state('parse_vlan', (s) => s.extract('vlan').select([s.last('vlan.last.etherType')], [[std.ETHERTYPE.vlan, 'parse_vlan']], 'accept')),
  )
  .stage('report', (t) =>
    t
      .action('report', (a) =>
        a.digest('seen', { err: a.get('standard.parserError'), v0: a.isValid('vlan[0]').toBit(1), v1: a.isValid('vlan[1]').toBit(1) }).setEgress(1),
      )
      .defaultAction('report'),
  );

/** An IPv4-shaped header whose options may be at most 4 bytes. */
const ipv4Short = header('ipv4_short_t', { ...std.ipv4.fields, options: varbit(32, { field: 'ihl', multiplier: 32, offset: -160 }) });
const shortOptions = program('short-options')
  .headers({ ethernet: std.ethernet, ipv4: ipv4Short })
  .digest('seen', { err: bit(8) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('report', (t) => t.action('report', (a) => a.digest('seen', { err: a.get('standard.parserError') }).setEgress(1)).defaultAction('report'));

/** A parser that never ends. */
const spinning = program('spinning')
  .headers({ ethernet: std.ethernet })
  .digest('seen', { err: bit(8) })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').goto('spin')).state('spin', (s) => s.goto('spin')))
  .stage('report', (t) => t.action('report', (a) => a.digest('seen', { err: a.get('standard.parserError') }).setEgress(1)).defaultAction('report'));

/** Chooses IPv4 or IPv6 by looking ahead at the version nibble, whatever the EtherType says. */
const byVersion = program('by-version')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4, ipv6: std.ipv6 })
  .digest('seen', { err: bit(8), v4: bit(1), v6: bit(1), ttl: bit(8) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select([s.lookahead(4)], [[4, 'parse_ipv4'], [6, 'parse_ipv6']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept())
      .state('parse_ipv6', (s) => s.extract('ipv6').accept()),
  )
  .stage('report', (t) =>
    t
      .action('report', (a) =>
        a
          .digest('seen', { err: a.get('standard.parserError'), v4: a.isValid('ipv4').toBit(1), v6: a.isValid('ipv6').toBit(1), ttl: a.get('ipv4.ttl') })
          .setEgress(1),
      )
      .defaultAction('report'),
  );

/** A verify that fails with the error it names. */
const verifying = program('verifying')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .digest('seen', { err: bit(8), ip: bit(1) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').verify(s.get('ipv4.version').eq(4), 'NoMatch').accept()),
  )
  .stage('report', (t) =>
    t.action('report', (a) => a.digest('seen', { err: a.get('standard.parserError'), ip: a.isValid('ipv4').toBit(1) }).setEgress(1)).defaultAction('report'),
  );

/** Run one packet; expect it forwarded unchanged to port 1 with the digest's `err` = the parser error. */
function expectParserError(t: ReferenceTarget, data: Uint8Array, error: ParserErrorName): DigestMessage {
  const r = t.process({ port: 0, data }, { trace: true });
  expect(parserErrors(r)).toEqual([error]);
  expect(r.outputs.map((o) => o.port)).toEqual([1]);
  expect(only(r)).toEqual(data); // headers kept, the rest as payload: nothing changed, nothing lost
  const digests = t.drainDigests();
  expect(digests).toHaveLength(1);
  expect(digests[0]!.values['err']).toBe(code(error));
  return digests[0]!;
}

describe('parser errors set standard.parserError and the packet continues, bytes unchanged', () => {
  it('NoError on a well-formed packet', () => {
    const d = expectParserError(load(toIpv4), udpPacket(), 'NoError');
    expect(d.values['ip']).toBe('0x1');
  });

  it('PacketTooShort on a truncated header: the headers before it stay valid, the rest is payload', () => {
    const t = load(toIpv4);
    const full = udpPacket();
    for (const cut of [14, 15, 20, 33]) {
      const d = expectParserError(t, full.subarray(0, cut), 'PacketTooShort');
      expect(d.values['ip']).toBe('0x0');
    }
    // even Ethernet may be missing: nothing extracted, everything payload
    for (const cut of [0, 1, 13]) expectParserError(t, full.subarray(0, cut), 'PacketTooShort');
  });

  it('PacketTooShort when the options the IHL announces run past the end', () => {
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ihl: 15 }), payload(8));
    expectParserError(load(toIpv4), data, 'PacketTooShort');
  });

  it('NoMatch when no select case matches and there is no default', () => {
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), udp(), payload(4));
    expectParserError(load(noDefault), data, 'NoMatch');
    expectParserError(load(noDefault), udpPacket(), 'NoError');
  });

  it('NoMatch (or any named error) from a failing verify, after the extract it follows', () => {
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', version: 5 }), payload(4));
    const d = expectParserError(load(verifying), data, 'NoMatch');
    expect(d.values['ip']).toBe('0x1');
  });

  it('StackOutOfBounds extracting a third VLAN tag into a two-element stack', () => {
    const t = load(vlans);
    const three = packet(ethernet({ dst: MAC_B, src: MAC_A }), vlan({ vid: 1 }), vlan({ vid: 2 }), vlan({ vid: 3 }), payload(10));
    const d = expectParserError(t, three, 'StackOutOfBounds');
    expect([d.values['v0'], d.values['v1']]).toEqual(['0x1', '0x1']);
    const two = packet(ethernet({ dst: MAC_B, src: MAC_A }), vlan({ vid: 1 }), vlan({ vid: 2 }), payload(10));
    expectParserError(t, two, 'NoError');
  });

  it('HeaderTooShort when a varbit field would be longer than its maximum', () => {
    const t = load(shortOptions);
    const opts = (n: number) => new Uint8Array(n).fill(1);
    expectParserError(t, packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: opts(4) }), payload(8)), 'NoError');
    expectParserError(t, packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: opts(8) }), payload(8)), 'HeaderTooShort');
  });

  it('ParserInvalidArgument when the IHL is below 5 (a negative options length)', () => {
    for (const ihl of [0, 1, 4]) {
      const d = expectParserError(load(toIpv4), packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ihl }), payload(8)), 'ParserInvalidArgument');
      expect(d.values['ip']).toBe('0x0');
    }
  });

  it(`ParserTimeout after ${MAX_PARSER_STATES} states of a parser loop`, () => {
    const t = load(spinning);
    const r = t.process({ port: 0, data: udpPacket() }, { trace: true });
    const parser = r.trace!.find((e) => e.kind === 'parser');
    expect(parser).toMatchObject({ kind: 'parser', error: 'ParserTimeout', extracted: ['ethernet'] });
    expect(parser?.kind === 'parser' ? parser.states.length : 0).toBe(MAX_PARSER_STATES);
    t.drainDigests();
    expectParserError(t, udpPacket(), 'ParserTimeout');
  });

  it('lookahead selects without consuming; past the end it is PacketTooShort', () => {
    const t = load(byVersion);
    const v4 = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 33 }), payload(4));
    expect(expectParserError(t, v4, 'NoError').values).toMatchObject({ v4: '0x1', v6: '0x0', ttl: '0x21' });
    const v6 = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), payload(4));
    expect(expectParserError(t, v6, 'NoError').values).toMatchObject({ v4: '0x0', v6: '0x1' });
    const other = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(Uint8Array.of(0x50, 1, 2)));
    expect(expectParserError(t, other, 'NoError').values).toMatchObject({ v4: '0x0', v6: '0x0' });
    expectParserError(t, packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 })), 'PacketTooShort');
  });

  it('errors in one program of a chain do not leak into the next one', () => {
    // the second program sees its own parse: NoError
    const t = load(policy('two').chain(noDefault, toIpv4));
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), payload(4));
    const r = t.process({ port: 0, data }, { trace: true });
    expect(parserErrors(r)).toEqual(['NoMatch', 'NoError']);
    expect(t.drainDigests().map((d) => [d.program, d.values['err']])).toEqual([
      ['no-default', code('NoMatch')],
      ['to-ipv4', code('NoError')],
    ]);
  });
});

// ---------------------------------------------------------------- deparsing

const h16 = header('h16_t', { v: bit(16) });
const reordering = program('reordering')
  .headers({ ethernet: std.ethernet, one: h16, two: h16 })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_one']], 'accept'))
      .state('parse_one', (s) => s.extract('one').extract('two').accept()),
  )
  .deparse('ethernet', 'two', 'one');

const tagT = header('tag_t', { a: bit(16), b: bit(16) });
const editing = program('editing')
  .headers({ ethernet: std.ethernet, tag: tagT, ipv4: std.ipv4 })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('edit', (t) =>
    t
      .key({ 'ethernet.srcAddr': 'exact' })
      .action('add_tag', { v: bit(16) }, (a, p) => a.setValid('tag').assign('tag.a', p.v).assign('ethernet.etherType', 0x88b5))
      .action('remove_ipv4', (a) => a.setInvalid('ipv4'))
      .action('invalid_then_valid', (a) => a.setInvalid('ipv4').setValid('ipv4')),
  )
  .deparse('ethernet', 'tag', 'ipv4');

const router = program('opts-router')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('fwd', (t) => t.action('fwd', (a) => a.decrementTtl().setEgress(2)).defaultAction('fwd'))
  .control((c) => c.if(c.isValid('ipv4'), (c) => c.apply('fwd')));

const tagging = program('tagging')
  .headers({ ethernet: std.ethernet, vlan: stack(std.vlan, 2) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.vlan, 'parse_vlan']], 'accept'))
      .state('parse_vlan', (s) => s.extract('vlan').select([s.last('vlan.last.etherType')], [[std.ETHERTYPE.vlan, 'parse_vlan']], 'accept')),
  )
  .stage('tags', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('push', { vid: bit(12) }, (a, p) =>
        a
          .pushFront('vlan', 1)
          .setValid('vlan[0]')
          .assign('vlan[0].vid', p.vid)
          .assign('vlan[0].etherType', a.get('ethernet.etherType'))
          .assign('ethernet.etherType', std.ETHERTYPE.vlan),
      )
      .action('pop', (a) => a.assign('ethernet.etherType', a.get('vlan[0].etherType')).popFront('vlan', 1)),
  );

/** Skips two bytes after Ethernet before extracting a 16-bit header. */
const skipping = program('skipping')
  .headers({ ethernet: std.ethernet, one: h16 })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').advance(16).extract('one').accept()));

describe('deparsing', () => {
  it('bytes skipped by advance are neither headers nor payload: they vanish (as in BMv2)', () => {
    const t = load(skipping);
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(Uint8Array.of(0xaa, 0xbb, 0x12, 0x34, 0x99)));
    expect(only(t.process({ port: 0, data }))).toEqual(concat(data.subarray(0, 14), [0x12, 0x34, 0x99]));
    // an advance past the end is PacketTooShort, and then nothing is skipped
    const short = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(Uint8Array.of(0xaa)));
    const r = t.process({ port: 0, data: short }, { trace: true });
    expect(parserErrors(r)).toEqual(['PacketTooShort']);
    expect(only(r)).toEqual(short);
  });

  it('emits valid headers in deparse order, then the payload', () => {
    const t = load(reordering);
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(Uint8Array.of(0x11, 0x11, 0x22, 0x22, 0xaa, 0xbb)));
    const expected = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(Uint8Array.of(0x22, 0x22, 0x11, 0x11, 0xaa, 0xbb)));
    const r = t.process({ port: 0, data }, { trace: true });
    expect(only(r)).toEqual(expected);
    expect(r.trace!.find((e) => e.kind === 'deparse')).toMatchObject({ emitted: ['ethernet', 'two', 'one'], length: expected.length });
  });

  it('setValid adds a header at its deparse position; its unset fields are zero', () => {
    const t = load(editing, [entry('edit', [exact(mac(MAC_A))], call('add_tag', { v: '0xbeef' }))]);
    const data = udpPacket();
    const expected = concat(packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 })), [0xbe, 0xef, 0, 0], data.subarray(14));
    expect(only(t.process({ port: 0, data }))).toEqual(expected);
  });

  it('setInvalid removes a header; setValid after it brings it back unchanged', () => {
    const data = udpPacket();
    const removed = load(editing, [entry('edit', [exact(mac(MAC_A))], call('remove_ipv4'))]);
    expect(only(removed.process({ port: 0, data }))).toEqual(concat(data.subarray(0, 14), data.subarray(34)));
    const restored = load(editing, [entry('edit', [exact(mac(MAC_A))], call('invalid_then_valid'))]);
    expect(only(restored.process({ port: 0, data }))).toEqual(data);
  });

  it('IPv4 options (a varbit field) round-trip, and the header checksum covers them', () => {
    const t = load(router);
    const options = Uint8Array.of(0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00);
    for (const opts of [undefined, options, new Uint8Array(40).fill(1)]) {
      const build = (ttl: number) =>
        packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.9.9.9', ttl, ...(opts ? { options: opts } : {}) }), udp({ sport: 1, dport: 2 }), payload(5));
      const out = t.process({ port: 0, data: build(64) });
      expect(out.outputs.map((o) => o.port)).toEqual([2]);
      expect(only(out)).toEqual(build(63));
      const ipLayer = dissect(only(out)).layers.find((l) => l.kind === 'ipv4');
      expect(ipLayer?.kind === 'ipv4' && ipLayer.checksumOk).toBe(true);
    }
  });

  it('pushFront makes room for a new tag; popFront removes the first', () => {
    const t = load(tagging, [
      entry('tags', [exact(mac('02:00:00:00:00:01'))], call('push', { vid: hex(100) })),
      entry('tags', [exact(mac('02:00:00:00:00:02'))], call('push', { vid: hex(200) })),
      entry('tags', [exact(mac('02:00:00:00:00:03'))], call('pop')),
      entry('tags', [exact(mac('02:00:00:00:00:04'))], call('push', { vid: hex(300) })),
    ]);
    const rest = [ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload(4)] as const;
    const eth = (dst: string) => ethernet({ dst, src: MAC_A });
    // untagged + push
    expect(only(t.process({ port: 0, data: packet(eth('02:00:00:00:00:01'), ...rest) }))).toEqual(packet(eth('02:00:00:00:00:01'), vlan({ vid: 100 }), ...rest));
    // one tag + push: the new tag goes in front
    expect(only(t.process({ port: 0, data: packet(eth('02:00:00:00:00:02'), vlan({ vid: 100 }), ...rest) }))).toEqual(
      packet(eth('02:00:00:00:00:02'), vlan({ vid: 200 }), vlan({ vid: 100 }), ...rest),
    );
    // two tags + pop: the outer one goes
    expect(only(t.process({ port: 0, data: packet(eth('02:00:00:00:00:03'), vlan({ vid: 200 }), vlan({ vid: 100 }), ...rest) }))).toEqual(
      packet(eth('02:00:00:00:00:03'), vlan({ vid: 100 }), ...rest),
    );
    // a full stack + push: the last element falls off the end (and its bytes with it)
    const full = packet(eth('02:00:00:00:00:04'), vlan({ vid: 200 }), vlan({ vid: 100 }), ...rest);
    const pushed = only(t.process({ port: 0, data: full }));
    expect(pushed).toEqual(concat(packet(eth('02:00:00:00:00:04'), vlan({ vid: 300, type: std.ETHERTYPE.vlan })), full.subarray(14, 18), full.subarray(22)));
  });
});

// ---------------------------------------------------------------- table lookup and control flow

const lpmRouter = program('lpm-router')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('routes', (t) =>
    t
      .key({ 'ipv4.dstAddr': 'lpm' })
      .action('port', { p: bit(9) }, (a, x) => a.setEgress(x.p))
      .defaultAction('port', { p: 9 }),
  );

const acl = program('acl')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4, udp: std.udp })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').select(['ipv4.protocol'], [[std.IPPROTO.udp, 'parse_udp']], 'accept'))
      .state('parse_udp', (s) => s.extract('udp').accept()),
  )
  .stage('rules', (t) =>
    t
      .key({ 'ipv4.srcAddr': 'ternary', 'udp.dstPort': 'range', 'ipv4.protocol': 'optional' })
      .action('port', { p: bit(9) }, (a, x) => a.setEgress(x.p))
      .defaultAction('port', { p: 9 }),
  );

const branching = program('branching')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('classify', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('seen', (a) => a))
  .stage('pick', (t) =>
    t
      .key({ 'ipv4.srcAddr': 'exact' })
      .action('to_a', (a) => a)
      .action('to_b', (a) => a)
      .action('to_c', (a) => a)
      .defaultAction('to_b'),
  )
  .stage('on_hit', (t) => t.action('go', (a) => a.setEgress(1)).defaultAction('go'))
  .stage('on_miss', (t) => t.action('go', (a) => a.setEgress(2)).defaultAction('go'))
  .stage('after_a', (t) => t.action('mark', (a) => a.assign('ipv4.diffserv', 0xa)).defaultAction('mark'))
  .stage('after_b', (t) => t.action('mark', (a) => a.assign('ipv4.diffserv', 0xb)).defaultAction('mark'))
  .stage('after_other', (t) => t.action('mark', (a) => a.assign('ipv4.diffserv', 0xd)).defaultAction('mark'))
  .control((c) =>
    c
      .apply('classify', { hit: (c) => c.apply('on_hit'), miss: (c) => c.apply('on_miss') })
      .apply('pick', { actions: { to_a: (c) => c.apply('after_a'), to_b: (c) => c.apply('after_b') }, default: (c) => c.apply('after_other') }),
  );

describe('table lookup', () => {
  it('lpm: the longest matching prefix wins, whatever the installation order; a miss runs the default', () => {
    const route = (v: string, len: number, p: number): Update => entry('routes', [{ kind: 'lpm', value: hex(ip(v)), prefixLength: len }], call('port', { p: hex(p) }));
    const t = load(lpmRouter, [route('10.1.0.0', 16, 2), route('10.1.2.3', 32, 4), route('10.0.0.0', 8, 1), route('10.1.2.0', 24, 3)]);
    const portFor = (dst: string) => t.process({ port: 0, data: udpPacket({ dst }) }).outputs[0]!.port;
    expect(['10.1.2.3', '10.1.2.4', '10.1.3.1', '10.2.0.1', '11.0.0.1'].map(portFor)).toEqual([4, 3, 2, 1, 9]);
    // a /0 (written as a don't-care) catches what nothing longer does
    expect(t.write([entry('routes', [{ kind: 'any' }], call('port', { p: '0x5' }))]).ok).toBe(true);
    expect(['10.1.2.3', '11.0.0.1'].map(portFor)).toEqual([4, 5]);
  });

  it('ternary and range: the highest priority wins; between equal priorities the first installed', () => {
    const ANY: KeyMatch = { kind: 'any' };
    const tern = (v: string, m: string): KeyMatch => ({ kind: 'ternary', value: hex(ip(v)), mask: hex(ip(m)) });
    const range = (lo: number, hi: number): KeyMatch => ({ kind: 'range', low: hex(lo), high: hex(hi) });
    const rule = (m: KeyMatch[], p: number, prio: number) => entry('rules', [...m, ANY], call('port', { p: hex(p) }), prio);
    const t = load(acl, [
      rule([tern('10.1.0.0', '255.255.0.0'), range(1000, 2000)], 2, 20),
      rule([tern('10.0.0.0', '255.0.0.0'), ANY], 1, 10),
      rule([ANY, range(0, 65535)], 3, 5),
      rule([tern('192.168.1.1', '255.255.255.255'), ANY], 4, 5),
    ]);
    const portFor = (src: string, dport: number) => t.process({ port: 0, data: udpPacket({ src, dport }) }).outputs[0]!.port;
    expect(portFor('10.1.2.3', 1500)).toBe(2);
    expect(portFor('10.1.2.3', 999)).toBe(1);
    expect(portFor('10.1.2.3', 2001)).toBe(1);
    expect(portFor('10.200.0.1', 1500)).toBe(1);
    expect(portFor('11.0.0.1', 53)).toBe(3);
    // equal priority 5: the catch-all was installed first, so it wins over the exact source
    expect(portFor('192.168.1.1', 53)).toBe(3);
    // deleted and reinstalled, it is now the later one
    const catchAll = rule([ANY, range(0, 65535)], 3, 5);
    expect(t.write([{ type: 'delete', entity: catchAll.entity }, catchAll]).ok).toBe(true);
    expect(portFor('192.168.1.1', 53)).toBe(4);
    // non-UDP: udp.dstPort reads 0 (invalid header), still inside the range rule
    const tcpPacket = packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '11.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 1, dport: 2 }));
    expect(t.process({ port: 0, data: tcpPacket }).outputs[0]!.port).toBe(3);
  });

  it('optional: a value matches exactly, a don\'t-care matches anything', () => {
    const ANY: KeyMatch = { kind: 'any' };
    const t = load(acl, [
      entry('rules', [ANY, ANY, { kind: 'optional', value: hex(17) }], call('port', { p: '0x1' }), 2),
      entry('rules', [ANY, ANY, ANY], call('port', { p: '0x2' }), 1),
    ]);
    expect(t.process({ port: 0, data: udpPacket() }).outputs[0]!.port).toBe(1);
    const tcpPacket = packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp());
    expect(t.process({ port: 0, data: tcpPacket }).outputs[0]!.port).toBe(2);
    // a non-IPv4 packet: every key reads 0; only the don't-care entry matches
    expect(t.process({ port: 0, data: packet(ethernet({ dst: MAC_B, src: MAC_A }), payload(20)) }).outputs[0]!.port).toBe(2);
  });

  it('hit/miss branching and action-run branching (the default action counts as the action that ran)', () => {
    const t = load(branching, [
      entry('classify', [exact(ip('10.1.2.3'))], call('seen')),
      entry('pick', [exact(ip('10.0.0.1'))], call('to_a')),
      entry('pick', [exact(ip('10.0.0.3'))], call('to_c')),
    ]);
    const run = (src: string, dst: string) => {
      const out = t.process({ port: 0, data: udpPacket({ src, dst }) }).outputs[0]!;
      return [out.port, out.data[15]] as const;
    };
    expect(run('10.0.0.1', '10.1.2.3')).toEqual([1, 0xa]);
    expect(run('10.0.0.1', '10.9.9.9')).toEqual([2, 0xa]);
    expect(run('10.0.0.2', '10.1.2.3')).toEqual([1, 0xb]); // miss: default to_b ran
    expect(run('10.0.0.3', '10.1.2.3')).toEqual([1, 0xd]); // to_c has no case: default branch
    expect(t.resources().tables.filter((x) => ['classify', 'pick'].includes(x.stage)).map((x) => [x.stage, x.hits, x.misses])).toEqual([
      ['classify', 3, 1],
      ['pick', 3, 1],
    ]);
  });
});

// ---------------------------------------------------------------- forwarding decisions

const forwarding = program('forwarding')
  .headers({ ethernet: std.ethernet })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
  .stage('first', (t) =>
    t
      .key({ 'ethernet.etherType': 'exact' })
      .action('drop_then_fwd', (a) => a.drop().setEgress(3))
      .action('fwd_then_drop', (a) => a.setEgress(3).drop())
      .action('drop', (a) => a.drop())
      .action('group', { g: bit(16) }, (a, x) => a.assign('ethernet.srcAddr', 0x0200000000ff).multicast(x.g))
      .action('group_then_drop', (a) => a.multicast(1).drop())
      .action('drop_then_group', (a) => a.drop().multicast(1)),
  )
  .stage('second', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('rescue', (a) => a.setEgress(4)));

describe('forwarding decisions', () => {
  const frame = (type: number, dst = MAC_B) => packet(ethernet({ dst, src: MAC_A, type }), payload(8));
  const t = () =>
    load(forwarding, [
      entry('first', [exact(0x1001)], call('drop_then_fwd')),
      entry('first', [exact(0x1002)], call('fwd_then_drop')),
      entry('first', [exact(0x1003)], call('drop')),
      entry('first', [exact(0x1004)], call('group', { g: '0x1' })),
      entry('first', [exact(0x1005)], call('group', { g: '0x2' })),
      entry('first', [exact(0x1006)], call('group', { g: '0x3' })),
      entry('first', [exact(0x1007)], call('group_then_drop')),
      entry('first', [exact(0x1008)], call('drop_then_group')),
      entry('second', [exact(mac('02:00:00:00:00:99'))], call('rescue')),
      insert({ kind: 'multicastGroup', id: 1, replicas: [{ port: 1, instance: 10 }, { port: 2, instance: 20 }, { port: 2, instance: 21 }] }),
      insert({ kind: 'multicastGroup', id: 2, replicas: [] }),
    ]);

  it('drop marks the packet; a later setEgress (same action or a later stage) undoes it (v1model)', () => {
    const tt = t();
    expect(tt.process({ port: 0, data: frame(0x1001) }).outputs.map((o) => o.port)).toEqual([3]);
    expect(tt.process({ port: 0, data: frame(0x1002) })).toMatchObject({ outputs: [], dropped: 'dropped', passes: 1 });
    expect(tt.process({ port: 0, data: frame(0x1003) })).toMatchObject({ outputs: [], dropped: 'dropped' });
    expect(tt.process({ port: 0, data: frame(0x1003, '02:00:00:00:00:99') }).outputs.map((o) => [o.port, o.instance])).toEqual([[4, 'normal']]);
    // nothing decided: port 0, v1model's default egress_spec
    expect(tt.process({ port: 5, data: frame(0x9999) }).outputs.map((o) => o.port)).toEqual([0]);
  });

  it('multicast replicates the modified packet to every replica, in order, with its replication id', () => {
    const data = frame(0x1004);
    const r = t().process({ port: 0, data });
    const modified = concat(data.subarray(0, 6), [2, 0, 0, 0, 0, 0xff], data.subarray(12));
    expect(r.dropped).toBeUndefined();
    expect(r.outputs).toEqual([
      { port: 1, data: modified, instance: 'replica', rid: 10 },
      { port: 2, data: modified, instance: 'replica', rid: 20 },
      { port: 2, data: modified, instance: 'replica', rid: 21 },
    ]);
  });

  it('a multicast group that does not exist or has no replicas drops with a reason', () => {
    expect(t().process({ port: 0, data: frame(0x1006) })).toMatchObject({ outputs: [], dropped: 'unknownMulticastGroup' });
    expect(t().process({ port: 0, data: frame(0x1005) })).toMatchObject({ outputs: [], dropped: 'emptyMulticastGroup' });
  });

  it('drop clears a multicast group set before it; a group set after a drop replicates', () => {
    expect(t().process({ port: 0, data: frame(0x1007) })).toMatchObject({ outputs: [], dropped: 'dropped' });
    expect(t().process({ port: 0, data: frame(0x1008) }).outputs.map((o) => o.port)).toEqual([1, 2, 2]);
  });
});

const cloning = program('cloning')
  .headers({ ethernet: std.ethernet })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
  .stage('c', (t) =>
    t
      .key({ 'ethernet.etherType': 'exact' })
      .action('ingress_clone', { s: bit(32) }, (a, x) => a.assign('ethernet.srcAddr', 0x0200000000cc).clone(x.s, 'ingress').setEgress(1))
      .action('egress_clone', { s: bit(32) }, (a, x) => a.assign('ethernet.srcAddr', 0x0200000000cc).clone(x.s, 'egress').setEgress(1))
      .action('clone_and_drop', { s: bit(32) }, (a, x) => a.clone(x.s, 'ingress').drop())
      .action('two_clones', (a) => a.clone(7, 'ingress').clone(3, 'egress').setEgress(1))
      .action('egress_clone_and_drop', { s: bit(32) }, (a, x) => a.clone(x.s, 'egress').drop())
      .action('egress_clone_and_resubmit', { s: bit(32) }, (a, x) => a.clone(x.s, 'egress').setEgress(1).resubmit()),
  );

describe('clone', () => {
  const t = () =>
    load(cloning, [
      entry('c', [exact(0x2001)], call('ingress_clone', { s: '0x3' })),
      entry('c', [exact(0x2002)], call('egress_clone', { s: '0x3' })),
      entry('c', [exact(0x2003)], call('clone_and_drop', { s: '0x3' })),
      entry('c', [exact(0x2004)], call('ingress_clone', { s: '0x63' })),
      entry('c', [exact(0x2005)], call('two_clones')),
      entry('c', [exact(0x2006)], call('egress_clone_and_drop', { s: '0x3' })),
      entry('c', [exact(0x2007)], call('egress_clone_and_resubmit', { s: '0x3' })),
      insert({ kind: 'cloneSession', id: 3, port: 9 }),
      insert({ kind: 'cloneSession', id: 7, port: 8 }),
    ]);
  const frame = (type: number) => packet(ethernet({ dst: MAC_B, src: MAC_A, type }), payload(8));
  const modified = (d: Uint8Array) => concat(d.subarray(0, 6), [2, 0, 0, 0, 0, 0xcc], d.subarray(12));

  it('an ingress clone carries the packet as received, to the session port, before the original', () => {
    const data = frame(0x2001);
    expect(t().process({ port: 0, data }).outputs).toEqual([
      { port: 9, data, instance: 'ingressClone' },
      { port: 1, data: modified(data), instance: 'normal' },
    ]);
  });

  it('an egress clone carries the packet as it leaves', () => {
    const data = frame(0x2002);
    expect(t().process({ port: 0, data }).outputs).toEqual([
      { port: 9, data: modified(data), instance: 'egressClone' },
      { port: 1, data: modified(data), instance: 'normal' },
    ]);
  });

  it('a clone of a dropped packet still leaves; the original is reported dropped', () => {
    const data = frame(0x2003);
    expect(t().process({ port: 0, data })).toEqual({ outputs: [{ port: 9, data, instance: 'ingressClone' }], dropped: 'dropped', passes: 1 });
  });

  it('an egress clone is made only by a packet that reaches egress: not when dropped, not on a resubmitted pass', () => {
    expect(t().process({ port: 0, data: frame(0x2006) })).toEqual({ outputs: [], dropped: 'dropped', passes: 1 });
    const r = t().process({ port: 0, data: frame(0x2007) });
    expect(r.outputs).toEqual([]);
    expect(r.dropped).toBe('resubmitLimit');
  });

  it('a clone is a copy: changing it does not change the packet given to process', () => {
    const data = frame(0x2001);
    const before = data.slice();
    const clone = t().process({ port: 0, data }).outputs[0]!;
    expect(clone.data).not.toBe(data);
    clone.data.fill(0);
    expect(data).toEqual(before);
  });

  it('a clone to a session the control plane has not created makes no copy; the last clone request wins', () => {
    expect(t().process({ port: 0, data: frame(0x2004) }).outputs.map((o) => o.instance)).toEqual(['normal']);
    expect(t().process({ port: 0, data: frame(0x2005) }).outputs.map((o) => [o.port, o.instance])).toEqual([
      [9, 'egressClone'],
      [1, 'normal'],
    ]);
  });
});

const passT = header('pass_t', { scratch: bit(8), itype: bit(8), count: bit(8) });
const passes = program('passes')
  .headers({ ethernet: std.ethernet, h: passT })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_h']], 'accept'))
      .state('parse_h', (s) => s.extract('h').accept()),
  )
  .stage('first', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('resub', (a) => a.assign('h.scratch', 0xff).assign('h.count', a.get('h.count').add(1)).resubmit())
      .action('recirc', (a) => a.assign('h.scratch', 0xff).assign('h.count', a.get('h.count').add(1)).recirculate())
      .action('resub_drop', (a) => a.resubmit().drop())
      .action('recirc_drop', (a) => a.recirculate().drop()),
  )
  .stage('loop', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('resub', (a) => a.resubmit())
      .action('recirc', (a) => a.assign('h.count', a.get('h.count').add(1)).recirculate()),
  )
  .stage('later', (t) => t.action('out', (a) => a.assign('h.itype', a.get('standard.instanceType').cast(8)).setEgress(2)).defaultAction('out'))
  .control((c) =>
    c
      .if(c.get('standard.instanceType').eq(0), (c) => c.apply('first'))
      .apply('loop')
      .if(c.get('standard.instanceType').ne(0), (c) => c.apply('later')),
  );

describe('resubmit and recirculate', () => {
  const dst = (n: number) => `02:00:00:00:01:0${n}`;
  const t = (options: ReferenceTargetOptions = {}) =>
    load(
      passes,
      [
        entry('first', [exact(mac(dst(1)))], call('resub')),
        entry('first', [exact(mac(dst(2)))], call('recirc')),
        entry('first', [exact(mac(dst(3)))], call('resub_drop')),
        entry('first', [exact(mac(dst(4)))], call('recirc_drop')),
        entry('loop', [exact(mac(dst(5)))], call('resub')),
        entry('loop', [exact(mac(dst(6)))], call('recirc')),
      ],
      options,
    );
  const frame = (n: number) => packet(ethernet({ dst: dst(n), src: MAC_A, type: 0x88b5 }), payload(Uint8Array.of(0, 0, 0, 0xee)));
  const fields = (d: Uint8Array) => ({ scratch: d[14], itype: d[15], count: d[16] });

  it('resubmit runs the pipeline again on the original bytes, with instance type 6', () => {
    const r = t().process({ port: 0, data: frame(1) }, { trace: true });
    expect(r.passes).toBe(2);
    expect(r.outputs.map((o) => o.port)).toEqual([2]);
    expect(fields(only(r))).toEqual({ scratch: 0, itype: Number(INSTANCE_TYPE.resubmitted), count: 0 });
    expect(r.trace!.filter((e) => e.kind === 'pass').map((e) => (e.kind === 'pass' ? [e.pass, e.reason] : []))).toEqual([
      [1, 'new'],
      [2, 'resubmit'],
    ]);
  });

  it('recirculate runs it again on the deparsed (modified) bytes, with instance type 4', () => {
    const r = t().process({ port: 0, data: frame(2) });
    expect(r.passes).toBe(2);
    expect(fields(only(r))).toEqual({ scratch: 0xff, itype: Number(INSTANCE_TYPE.recirculated), count: 1 });
  });

  it('resubmit wins over a drop (decided at the end of ingress); recirculate does not (a dropped packet never reaches egress)', () => {
    const resubmitted = t().process({ port: 0, data: frame(3) });
    expect(resubmitted.passes).toBe(2);
    expect(fields(only(resubmitted)).itype).toBe(6);
    expect(t().process({ port: 0, data: frame(4) })).toEqual({ outputs: [], dropped: 'dropped', passes: 1 });
  });

  it(`a packet that keeps coming back is dropped as 'resubmitLimit' after ${DEFAULT_MAX_PASSES} passes`, () => {
    expect(t().process({ port: 0, data: frame(5) })).toEqual({ outputs: [], dropped: 'resubmitLimit', passes: DEFAULT_MAX_PASSES });
    expect(t().process({ port: 0, data: frame(6) })).toEqual({ outputs: [], dropped: 'resubmitLimit', passes: DEFAULT_MAX_PASSES });
    expect(t({ maxPasses: 3 }).process({ port: 0, data: frame(6) })).toEqual({ outputs: [], dropped: 'resubmitLimit', passes: 3 });
    // one pass allowed: a resubmission is already over the limit
    expect(t({ maxPasses: 1 }).process({ port: 0, data: frame(1) })).toEqual({ outputs: [], dropped: 'resubmitLimit', passes: 1 });
  });
});

// ---------------------------------------------------------------- digests, registers, counters, meters

const stateT = header('state_t', { idx: bit(8), val: bit(16), color: bit(8) });
const stateful = program('stateful')
  .headers({ ethernet: std.ethernet, h: stateT })
  .metadata({ v: bit(16) })
  .register('cnt', { width: 16, size: 4 })
  .counter('pk', { size: 4 })
  .counter('pko', { size: 4, unit: 'packets' })
  .counter('bo', { size: 4, unit: 'bytes' })
  .meter('m', { size: 2, unit: 'packets' })
  .meter('mb', { size: 1, unit: 'bytes' })
  .digest('learn', { src: bit(48), port: bit(9), idx: bit(8) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_h']], 'accept'))
      .state('parse_h', (s) => s.extract('h').accept()),
  )
  .stage('op', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('bump', (a) =>
        a
          .registerRead('meta.v', 'cnt', a.get('h.idx'))
          .assign('meta.v', a.get('meta.v').add(1))
          .registerWrite('cnt', a.get('h.idx'), a.get('meta.v'))
          .assign('h.val', a.get('meta.v'))
          .count('pk', a.get('h.idx'))
          .count('pko', a.get('h.idx'))
          .count('bo', a.get('h.idx')),
      )
      .action('meter_packets', (a) => a.meterExecute('m', a.get('h.idx'), 'h.color'))
      .action('meter_bytes', (a) => a.meterExecute('mb', 0, 'h.color'))
      .action('learn', (a) => a.digest('learn', { src: a.get('ethernet.srcAddr'), port: a.get('standard.ingressPort'), idx: a.get('h.idx') }))
      .defaultAction('bump'),
  )
  .stage('out', (t) => t.action('out', (a) => a.setEgress(1)).defaultAction('out'));

describe('digests, registers, counters and meters', () => {
  const OP = {
    meterPackets: '02:00:00:00:02:01',
    meterBytes: '02:00:00:00:02:02',
    learn: '02:00:00:00:02:03',
  };
  const t = () =>
    load(stateful, [
      entry('op', [exact(mac(OP.meterPackets))], call('meter_packets')),
      entry('op', [exact(mac(OP.meterBytes))], call('meter_bytes')),
      entry('op', [exact(mac(OP.learn))], call('learn')),
    ]);
  const frame = (dst: string, idx: number, extra = 0) => packet(ethernet({ dst, src: MAC_A, type: 0x88b5 }), payload(Uint8Array.from([idx, 0, 0, 0, ...new Uint8Array(extra)])));
  const val = (d: Uint8Array) => (d[15]! << 8) | d[16]!;
  const colour = (d: Uint8Array) => d[17]!;

  it('digests carry their field values, the program and the arrival time; draining empties the queue', () => {
    const tt = t();
    tt.process({ port: 7, data: frame(OP.learn, 3), timestamp: 100n });
    tt.process({ port: 8, data: frame(OP.learn, 4), timestamp: 250n });
    expect(tt.drainDigests()).toEqual([
      { program: 'stateful', digest: 'learn', values: { src: hex(mac(MAC_A)), port: '0x7', idx: '0x3' }, timestamp: 100n },
      { program: 'stateful', digest: 'learn', values: { src: hex(mac(MAC_A)), port: '0x8', idx: '0x4' }, timestamp: 250n },
    ]);
    expect(tt.drainDigests()).toEqual([]);
  });

  it('registers: read, modify and write across packets; bit<16> wraps', () => {
    const tt = t();
    const seen = [1, 1, 1, 2].map((idx) => val(only(tt.process({ port: 0, data: frame(MAC_B, idx) }))));
    expect(seen).toEqual([1, 2, 3, 1]);
    expect(tt.read({ kind: 'register', register: 'cnt' }).map((e) => (e.kind === 'register' ? e.value : ''))).toEqual(['0x0', '0x3', '0x1', '0x0']);
    expect(tt.write([{ type: 'modify', entity: { kind: 'register', register: 'cnt', index: 1, value: '0xffff' } }]).ok).toBe(true);
    expect(val(only(tt.process({ port: 0, data: frame(MAC_B, 1) })))).toBe(0);
    // an index past the end reads 0 and writes nothing
    expect(val(only(tt.process({ port: 0, data: frame(MAC_B, 9) })))).toBe(1);
    expect(tt.read({ kind: 'register', register: 'cnt' })).toHaveLength(4);
  });

  it('indexed counters count packets and bytes (the packet length as received)', () => {
    const tt = t();
    const a = frame(MAC_B, 2);
    const b = frame(MAC_B, 2, 100);
    tt.process({ port: 0, data: a });
    tt.process({ port: 0, data: b });
    tt.process({ port: 0, data: frame(MAC_B, 3) });
    tt.process({ port: 0, data: frame(MAC_B, 200) }); // out of range: not counted
    expect(tt.read({ kind: 'counter', counter: 'pk' }).map((e) => (e.kind === 'counter' ? [e.packets, e.bytes] : []))).toEqual([
      [0n, 0n],
      [0n, 0n],
      [2n, BigInt(a.length + b.length)],
      [1n, BigInt(a.length)],
    ]);
    // a counter of one unit counts only that unit
    const cell = (name: string) => tt.read({ kind: 'counter', counter: name, index: 2 }).map((e) => (e.kind === 'counter' ? [e.packets, e.bytes] : []));
    expect(cell('pko')).toEqual([[2n, 0n]]);
    expect(cell('bo')).toEqual([[0n, BigInt(a.length + b.length)]]);
  });

  it('a packet-rate meter colours by RFC 2698, refilling with PacketIn.timestamp (µs)', () => {
    const tt = t();
    // unconfigured: green
    expect(colour(only(tt.process({ port: 0, data: frame(OP.meterPackets, 0) })))).toBe(0);
    expect(tt.write([{ type: 'modify', entity: { kind: 'meter', meter: 'm', index: 0, config: { cir: 1, cburst: 2, pir: 2, pburst: 4 } } }]).ok).toBe(true);
    const at = (ts: bigint, n: number) => Array.from({ length: n }, () => colour(only(tt.process({ port: 0, data: frame(OP.meterPackets, 0), timestamp: ts }))));
    // both buckets start full: C=2, P=4
    expect(at(1_000n, 5)).toEqual([0, 0, 1, 1, 2]);
    // one second later: +1 committed, +2 peak tokens
    expect(at(1_001_000n, 3)).toEqual([0, 1, 2]);
    // buckets never fill past their burst
    expect(at(100_000_000n, 5)).toEqual([0, 0, 1, 1, 2]);
    // the other cell is independent (and unconfigured)
    expect(colour(only(tt.process({ port: 0, data: frame(OP.meterPackets, 1), timestamp: 100_000_000n })))).toBe(0);
  });

  it('a byte-rate meter counts the packet length', () => {
    const tt = t();
    expect(tt.write([{ type: 'modify', entity: { kind: 'meter', meter: 'mb', index: 0, config: { cir: 100, cburst: 100, pir: 200, pburst: 150 } } }]).ok).toBe(true);
    const data = frame(OP.meterBytes, 0, 32); // 50 bytes
    expect(data.length).toBe(50);
    expect(Array.from({ length: 4 }, () => colour(only(tt.process({ port: 0, data, timestamp: 0n }))))).toEqual([0, 0, 1, 2]);
    // 0.25 s later: +25 committed, +50 peak: one more yellow
    expect(Array.from({ length: 2 }, () => colour(only(tt.process({ port: 0, data, timestamp: 250_000n }))))).toEqual([1, 2]);
  });
});

const dmeter = program('dmeter')
  .headers({ ethernet: std.ethernet })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
  .stage('m', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('colour', (a) => a.directMeterRead('ethernet.etherType'))
      .directMeter('packets')
      .directCounter(),
  );

describe('direct meters and counters', () => {
  it('colour and count per entry', () => {
    const t = load(dmeter, [entry('m', [exact(mac(MAC_B))], call('colour')), entry('m', [exact(mac(MAC_A))], call('colour'))]);
    expect(
      t.write([{ type: 'modify', entity: { kind: 'directMeter', stage: 'm', matches: [exact(mac(MAC_B))], config: { cir: 0, cburst: 0, pir: 1000, pburst: 1 } } }]).ok,
    ).toBe(true);
    const run = (dst: string) => {
      const d = only(t.process({ port: 0, data: packet(ethernet({ dst, src: MAC_A, type: 0xffff }), payload(6)), timestamp: 0n }));
      return (d[12]! << 8) | d[13]!;
    };
    expect([run(MAC_B), run(MAC_B), run(MAC_A)]).toEqual([1, 2, 0]);
    expect(t.read({ kind: 'directCounter', stage: 'm' }).map((e) => (e.kind === 'directCounter' ? [e.packets, e.bytes] : []))).toEqual([
      [2n, 40n],
      [1n, 20n],
    ]);
  });
});

// ---------------------------------------------------------------- hashes and checksums

const hashT = header('hash_t', {
  a: bit(32),
  b: bit(16),
  s: bit(72),
  crc16: bit(16),
  crc32: bit(32),
  ident: bit(48),
  csum: bit(16),
  xor: bit(16),
  mod: bit(16),
  crc32s: bit(32),
  crc16s: bit(16),
  crc32odd: bit(32),
});
const hashing = program('hashing')
  .headers({ ethernet: std.ethernet, h: hashT })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_h']], 'accept'))
      .state('parse_h', (s) => s.extract('h').accept()),
  )
  .stage('hash', (t) =>
    t
      .action('all', (a) => {
        const ab = [a.get('h.a'), a.get('h.b')];
        return a
          .hash('h.crc16', 'crc16', ab)
          .hash('h.crc32', 'crc32', ab)
          .hash('h.ident', 'identity', ab)
          .hash('h.csum', 'csum16', ab)
          .hash('h.xor', 'xor16', ab)
          .hash('h.mod', 'crc16', ab, { base: 5, max: 16 })
          .hash('h.crc32s', 'crc32', [a.get('h.s')])
          .hash('h.crc16s', 'crc16', [a.get('h.s')])
          .hash('h.crc32odd', 'crc32', [a.get('h.b').slice(11, 0)]);
      })
      .defaultAction('all'),
  );

describe('hash functions', () => {
  // Node 20.15+ has zlib.crc32 (the Ethernet/zlib CRC-32); otherwise only the check value below is independent.
  const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

  it('crc16, crc32, identity, csum16 and xor16 match the runtime algorithms, zlib and the CRC catalogue check values', () => {
    const t = load(hashing);
    const check = new TextEncoder().encode('123456789');
    const run = (a: number, b: number) => {
      const body = new Uint8Array(43);
      new DataView(body.buffer).setUint32(0, a);
      new DataView(body.buffer).setUint16(4, b);
      body.set(check, 6);
      const out = only(t.process({ port: 0, data: packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(body)) })).subarray(14);
      const v = new DataView(out.buffer, out.byteOffset);
      return {
        crc16: v.getUint16(15),
        crc32: v.getUint32(17),
        ident: v.getUint32(21) * 0x10000 + v.getUint16(25),
        csum: v.getUint16(27),
        xor: v.getUint16(29),
        mod: v.getUint16(31),
        crc32s: v.getUint32(33),
        crc16s: v.getUint16(37),
        crc32odd: v.getUint32(39),
      };
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }), (a, b) => {
        const bytes = Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, b >> 8, b & 0xff);
        expect(packFields([{ value: BigInt(a), width: 32 }, { value: BigInt(b), width: 16 }])).toEqual(bytes);
        // 12 bits: padded with zeros at the end to a whole byte (BMv2's field-list serialisation)
        const odd = Uint8Array.of((b >> 4) & 0xff, (b & 0xf) << 4);
        const got = run(a, b);
        expect(got).toEqual({
          crc16: crc16(bytes),
          crc32: crc32(bytes),
          ident: a * 0x10000 + b,
          csum: csum16(bytes),
          xor: ((a >>> 16) ^ (a & 0xffff) ^ b) >>> 0,
          mod: 5 + (crc16(bytes) % 16),
          crc32s: 0xcbf43926,
          crc16s: 0xbb3d,
          crc32odd: crc32(odd),
        });
        expect(got.csum).toBe(internetChecksum(bytes));
        expect(got.xor).toBe(xor16(bytes));
        if (zlibCrc32) {
          expect(got.crc32).toBe(zlibCrc32(bytes));
          expect(got.crc32odd).toBe(zlibCrc32(odd));
          expect(zlibCrc32(check)).toBe(0xcbf43926);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const ipv4Fields = ['version', 'ihl', 'diffserv', 'totalLen', 'identification', 'flags', 'fragOffset', 'ttl', 'protocol', 'srcAddr', 'dstAddr'] as const;
const checksums = program('checksums')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4, udp: std.udp })
  .digest('ck', { err: bit(1) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').select(['ipv4.protocol'], [[std.IPPROTO.udp, 'parse_udp']], 'accept'))
      .state('parse_udp', (s) => s.extract('udp').accept()),
  )
  .stage('verify', (t) =>
    t
      .action('verify', (a) =>
        a
          .checksumVerify('ipv4.hdrChecksum', [...ipv4Fields.map((f) => a.get(`ipv4.${f}`)), 'ipv4.options'])
          .digest('ck', { err: a.get('standard.checksumError') })
          .setEgress(1),
      )
      .defaultAction('verify'),
  )
  .stage('l4', (t) =>
    t
      .key({ 'udp.dstPort': 'exact' })
      .action('fix_udp', (a) =>
        a.checksumUpdate(
          'udp.checksum',
          [a.get('ipv4.srcAddr'), a.get('ipv4.dstAddr'), a.const(0, 8), a.get('ipv4.protocol'), a.get('udp.length'), a.get('udp.srcPort'), a.get('udp.dstPort'), a.get('udp.length')],
          { payload: true },
        ),
      )
      .action('snat', { addr: bit(32) }, (a, p) => a.checksumIncremental('ipv4.hdrChecksum', [a.get('ipv4.srcAddr')], [p.addr]).assign('ipv4.srcAddr', p.addr)),
  )
  .control((c) => c.if(c.isValid('ipv4'), (c) => c.apply('verify').apply('l4')));

describe('checksums', () => {
  const ipPacket = (f: { options?: Uint8Array; checksum?: number; src?: string } = {}) =>
    packet(
      ethernet({ dst: MAC_B, src: MAC_A }),
      ipv4({ src: f.src ?? '192.168.7.9', dst: '10.0.0.2', ...(f.options ? { options: f.options } : {}), ...(f.checksum !== undefined ? { checksum: f.checksum } : {}) }),
      udp({ sport: 1234, dport: 7 }),
      payload(3),
    );

  it('checksumVerify leaves standard.checksumError 0 for a good IPv4 header (options included) and sets it for a bad one', () => {
    const t = load(checksums);
    const errOf = (data: Uint8Array) => {
      expect(only(t.process({ port: 0, data }))).toEqual(data);
      return t.drainDigests()[0]!.values['err'];
    };
    const options = Uint8Array.of(0x94, 0x04, 0, 0, 1, 1, 1, 1);
    expect(errOf(ipPacket())).toBe('0x0');
    expect(errOf(ipPacket({ options }))).toBe('0x0');
    const good = ipPacket().subarray(24, 26);
    const wrong = (((good[0]! << 8) | good[1]!) ^ 0x0100) & 0xffff;
    expect(errOf(ipPacket({ checksum: wrong }))).toBe('0x1');
    expect(errOf(ipPacket({ options, checksum: 0 }))).toBe('0x1');
    // a flipped option byte breaks a checksum computed with the options
    const flipped = ipPacket({ options });
    flipped[14 + 21] = flipped[14 + 21]! ^ 0x40;
    expect(errOf(flipped)).toBe('0x1');
  });

  it('checksumUpdate over the pseudo-header, UDP header and payload gives the UDP checksum real stacks compute', () => {
    const t = load(checksums, [entry('l4', [exact(9999)], call('fix_udp'))]);
    for (const size of [0, 1, 7, 64]) {
      const build = (checksum?: number) =>
        packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: '10.0.0.1', dst: '172.16.5.4' }), udp({ sport: 5000, dport: 9999, ...(checksum !== undefined ? { checksum } : {}) }), payload(Uint8Array.from({ length: size }, (_, i) => i * 7 + 3)));
      expect(only(t.process({ port: 0, data: build(0) }))).toEqual(build());
      const udpLayer = dissect(build()).layers.find((l) => l.kind === 'udp');
      expect(udpLayer?.kind === 'udp' && udpLayer.checksumOk).toBe(true);
    }
  });

  it('an incremental update (RFC 1624) gives the same header checksum as recomputing it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 255 }), (from, to, ttl) => {
        const dotted = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
        const t = load(checksums, [entry('l4', [exact(7)], call('snat', { addr: hex(to) }))]);
        const build = (src: number) => packet(ethernet({ dst: MAC_B, src: MAC_A }), ipv4({ src: dotted(src), dst: '10.0.0.2', ttl }), udp({ sport: 1234, dport: 7, checksum: 0 }), payload(3));
        const out = only(t.process({ port: 0, data: build(from) }));
        expect(out).toEqual(build(to));
        const before = build(from);
        const old = (before[24]! << 8) | before[25]!;
        expect((out[24]! << 8) | out[25]!).toBe(incrementalChecksum(old, before.subarray(26, 30), out.subarray(26, 30)));
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------- expressions

const arT = header('ar_t', {
  x: bit(8),
  y: bit(8),
  w: bit(16),
  add: bit(8),
  addSat: bit(8),
  sub: bit(8),
  subSat: bit(8),
  mul: bit(8),
  shl1: bit(8),
  shl8: bit(8),
  shr9: bit(8),
  neg: bit(8),
  not: bit(8),
  band: bit(8),
  bor: bit(8),
  bxor: bit(8),
  castUp: bit(16),
  castDown: bit(8),
  slice: bit(8),
  concat: bit(16),
  max: bit(8),
  sliceConcat: bit(8),
  lt: bit(8),
  shrY: bit(8),
});
const arithmetic = program('arithmetic')
  .headers({ ethernet: std.ethernet, h: arT })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x88b5, 'parse_h']], 'accept'))
      .state('parse_h', (s) => s.extract('h').accept()),
  )
  .stage('compute', (t) =>
    t
      .action('compute', (a) => {
        const x = a.get('h.x');
        const y = a.get('h.y');
        const w = a.get('h.w');
        return a
          .assign('h.add', x.add(y))
          .assign('h.addSat', x.addSat(y))
          .assign('h.sub', y.sub(x))
          .assign('h.subSat', y.subSat(x))
          .assign('h.mul', x.mul(y))
          .assign('h.shl1', x.shl(1))
          .assign('h.shl8', x.shl(8))
          .assign('h.shr9', x.shr(9))
          .assign('h.neg', y.neg())
          .assign('h.not', y.not())
          .assign('h.band', x.and(y))
          .assign('h.bor', x.or(y))
          .assign('h.bxor', x.xor(y))
          .assign('h.castUp', x.cast(16))
          .assign('h.castDown', w.cast(8))
          .assign('h.slice', w.slice(11, 4))
          .assign('h.concat', x.concat(y))
          .assign('h.max', x.gt(y).select(x, y))
          .assign('h.sliceConcat', x.concat(y).slice(11, 4))
          .assign('h.lt', x.lt(y).toBit(8))
          .assign('h.shrY', x.shr(y));
      })
      .defaultAction('compute'),
  );

describe('expressions', () => {
  const t = load(arithmetic);
  const run = (x: number, y: number, w: number) => {
    const body = new Uint8Array(27);
    body[0] = x;
    body[1] = y;
    body[2] = w >> 8;
    body[3] = w & 0xff;
    const o = only(t.process({ port: 0, data: packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(body)) })).subarray(14);
    const u16 = (i: number) => (o[i]! << 8) | o[i + 1]!;
    return {
      add: o[4],
      addSat: o[5],
      sub: o[6],
      subSat: o[7],
      mul: o[8],
      shl1: o[9],
      shl8: o[10],
      shr9: o[11],
      neg: o[12],
      not: o[13],
      band: o[14],
      bor: o[15],
      bxor: o[16],
      castUp: u16(17),
      castDown: o[19],
      slice: o[20],
      concat: u16(21),
      max: o[23],
      sliceConcat: o[24],
      lt: o[25],
      shrY: o[26],
    };
  };
  /** P4_16 unsigned bit<8> semantics, written out independently. */
  const model = (x: number, y: number, w: number) => ({
    add: (x + y) % 256,
    addSat: Math.min(255, x + y),
    sub: (y - x + 256) % 256,
    subSat: Math.max(0, y - x),
    mul: (x * y) % 256,
    shl1: (x * 2) % 256,
    shl8: 0,
    shr9: 0,
    neg: (256 - y) % 256,
    not: 255 - y,
    band: x & y,
    bor: x | y,
    bxor: x ^ y,
    castUp: x,
    castDown: w & 0xff,
    slice: (w >> 4) & 0xff,
    concat: x * 256 + y,
    max: Math.max(x, y),
    sliceConcat: ((x * 256 + y) >> 4) & 0xff,
    lt: x < y ? 1 : 0,
    shrY: y >= 8 ? 0 : x >> y,
  });

  it('bit<8> arithmetic wraps, saturating operators clamp, shifts past the width give 0', () => {
    expect(run(250, 10, 0xabcd)).toEqual({
      add: 4,
      addSat: 255,
      sub: 16,
      subSat: 0,
      mul: 196,
      shl1: 244,
      shl8: 0,
      shr9: 0,
      neg: 246,
      not: 245,
      band: 10,
      bor: 250,
      bxor: 240,
      castUp: 250,
      castDown: 0xcd,
      slice: 0xbc,
      concat: 0xfa0a,
      max: 250,
      sliceConcat: 0xa0,
      lt: 0,
      shrY: 0,
    });
  });

  it('matches an independent model of P4_16 unsigned semantics for any operands', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), (x, y, w) => {
        expect(run(x, y, w)).toEqual(model(x, y, w));
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------- policy chains

const gate = program('gate')
  .headers({ ethernet: std.ethernet })
  .digest('gate_ran', { type: bit(16) })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
  .stage('gate', (t) =>
    t
      .key({ 'ethernet.etherType': 'exact' })
      .action('block', (a) => a.drop())
      .action('pass', (a) => a.digest('gate_ran', { type: a.get('ethernet.etherType') }))
      .defaultAction('pass'),
  );
const marker = program('marker')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .digest('marker_ran', { ttl: bit(8) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('mark', (t) =>
    t.action('mark', (a) => a.digest('marker_ran', { ttl: a.get('ipv4.ttl') }).assign('ethernet.srcAddr', 0x0200000000bb).setEgress(3)).defaultAction('mark'),
  );
const chained = policy('chained').chain(gate).step(marker, { when: (c) => c.isValid('ipv4') });

describe('policy chains', () => {
  const t = () => load(chained, [entry('gate', [exact(0x88b6)], call('block'), undefined, 'gate')]);
  const withSrc = (d: Uint8Array, last: number) => concat(d.subarray(0, 6), [2, 0, 0, 0, 0, last], d.subarray(12));
  const steps = (r: ProcessResult) => (r.trace ?? []).flatMap((e) => (e.kind === 'pass' ? [`run ${e.program}`] : e.kind === 'skip' ? [`skip ${e.program}`] : []));

  it('every program runs in order on what the previous one deparsed', () => {
    const tt = t();
    const data = udpPacket({ ttl: 9 });
    const r = tt.process({ port: 0, data }, { trace: true });
    expect(steps(r)).toEqual(['run gate', 'run marker']);
    expect(r.outputs).toEqual([{ port: 3, data: withSrc(data, 0xbb), instance: 'normal' }]);
    expect(tt.drainDigests().map((d) => [d.program, d.digest])).toEqual([
      ['gate', 'gate_ran'],
      ['marker', 'marker_ran'],
    ]);
  });

  it('a program that drops ends the chain: the next one never runs', () => {
    const tt = t();
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b6 }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }));
    const r = tt.process({ port: 0, data }, { trace: true });
    expect(r).toMatchObject({ outputs: [], dropped: 'dropped', passes: 1 });
    expect(steps(r)).toEqual(['run gate']);
    expect(tt.drainDigests()).toEqual([]);
  });

  it('a step whose condition is false is skipped (its parse runs, its control does not)', () => {
    const tt = t();
    const data = packet(ethernet({ dst: MAC_B, src: MAC_A, type: 0x88b5 }), payload(10));
    const r = tt.process({ port: 0, data }, { trace: true });
    expect(steps(r)).toEqual(['run gate', 'run marker', 'skip marker']);
    expect(r.outputs).toEqual([{ port: 0, data, instance: 'normal' }]);
    expect(tt.drainDigests().map((d) => d.program)).toEqual(['gate']);
  });
});

// ---------------------------------------------------------------- robustness of the entry points

describe('process', () => {
  it('refuses an ingress port outside 0..510 (a caller error, not a packet)', () => {
    const t = load(toIpv4);
    for (const port of [-1, 511, 1.5]) expect(() => t.process({ port, data: udpPacket() } as PacketIn)).toThrow(/ingress port .* is not in 0\.\.510/);
  });

  it('processBatch gives the results of process, one per packet, in order', () => {
    const t = load(lpmRouter, [entry('routes', [{ kind: 'lpm', value: hex(ip('10.1.0.0')), prefixLength: 16 }], call('port', { p: '0x2' }))]);
    const packets = ['10.1.2.3', '11.0.0.1', '10.1.9.9'].map((dst) => ({ port: 0, data: udpPacket({ dst }) }));
    expect(t.processBatch(packets).map((r) => r.outputs[0]!.port)).toEqual([2, 9, 2]);
  });
});
