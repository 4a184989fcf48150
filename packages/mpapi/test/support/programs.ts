/** Small, valid programs the validation tests break one thing in. */
import { bit, program, stack, std } from '@mpvisor/mpapi';

/** Ethernet + IPv4, parsed, with two metadata fields and no stages yet. */
export const ipBase = () =>
  program('t')
    .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
    .metadata({ port: bit(9), x: bit(16) })
    .parser((p) =>
      p
        .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x0800, 'ip']], 'accept'))
        .state('ip', (s) => s.extract('ipv4').accept()),
    );

/**
 * A program that touches most of the IR: a header stack, lookahead-free
 * select on `.last`, verify, every key kind, const entries, registers,
 * counters, meters, digests, hashing, checksums and a branching control.
 */
export const miniRouter = program('mini-router')
  .describe('exercises most rules')
  .headers({ ethernet: std.ethernet, vlan: stack(std.vlan, 2), ipv4: std.ipv4 })
  .metadata({ nextHop: bit(32), colour: bit(2), hashed: bit(16) })
  .register('seen', { width: 32, size: 64 })
  .counter('pkts', { size: 64 })
  .meter('rate', { size: 16 })
  .digest('alert', { src: bit(32), port: bit(9) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x8100, 'vlan'], [0x0800, 'ip']], 'accept'))
      .state('vlan', (s) => s.extract('vlan').select([s.last('vlan.last.etherType')], [[0x8100, 'vlan'], [{ value: 0x0800, mask: 0xffff }, 'ip']], 'accept'))
      .state('ip', (s) => s.extract('ipv4').verify(s.get('ipv4.version').eq(4), 'ParserInvalidArgument').accept()),
  )
  .stage('acl', (t) =>
    t
      .key({ 'ipv4.srcAddr': 'ternary', 'ipv4.protocol': 'range', 'ipv4.diffserv': 'optional' })
      .action('deny', (a) => a.drop())
      .action('permit', (a) => a)
      .defaultAction('permit')
      .entries(
        { key: { 'ipv4.srcAddr': { value: '10.0.0.0', mask: '255.0.0.0' }, 'ipv4.protocol': [6, 17], 'ipv4.diffserv': '_' }, action: 'deny' },
        { key: { 'ipv4.srcAddr': '_', 'ipv4.protocol': '_', 'ipv4.diffserv': 46 }, action: 'permit' },
      ),
  )
  .stage('lpm', (t) =>
    t
      .key({ 'ipv4.dstAddr': 'lpm' })
      .action('route', { nh: bit(32), port: bit(9) }, (a, p) => a.assign('meta.nextHop', p.nh).setEgress(p.port).decrementTtl())
      .action('miss', (a) => a.drop())
      .defaultAction('miss', {}, { const: true })
      .entries({ key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'route', args: { nh: '10.0.0.1', port: 1 } }),
  )
  .stage('stats', (t) =>
    t
      .action('account', (a) =>
        a
          .count('pkts', 0)
          .registerWrite('seen', 0, a.get('ipv4.srcAddr'))
          .meterExecute('rate', 0, 'meta.colour')
          .hash('meta.hashed', 'crc16', [a.get('ipv4.srcAddr'), a.get('ipv4.dstAddr')])
          .digest('alert', { src: a.get('ipv4.srcAddr'), port: a.get('standard.ingressPort') })
          .checksumIncremental('ipv4.hdrChecksum', [a.get('ipv4.ttl').concat(a.get('ipv4.protocol'))], [a.get('ipv4.ttl').concat(a.get('ipv4.protocol'))]),
      )
      .defaultAction('account'),
  )
  .control((c) =>
    c.if(c.isValid('ipv4'), (c) =>
      c.apply('acl', { actions: { permit: (c) => c.apply('lpm', { hit: (c) => c.apply('stats') }) } }),
    ),
  )
  .deparse('ethernet', 'vlan', 'ipv4');
