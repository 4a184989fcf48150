/**
 * ECMP load balancer (after the P4 tutorials' `load_balance.p4`): routes IPv4
 * by destination prefix to an ECMP group and spreads flows over the group's
 * next hops by a hash of the 5-tuple, so every packet of a flow takes the
 * same path.
 *
 * - `ecmp_group` (lpm on the destination) picks the group (`set_ecmp`) and
 *   hashes (crc16) source/destination address, protocol and L4 ports into
 *   one of `ECMP_BUCKETS` buckets; a miss drops.
 * - `ecmp_nhop` (group, bucket) sets the next hop's MAC and egress port and
 *   decrements the TTL (with the checksum); a miss drops.
 * - `send_frame` (egress port) sets the source MAC to the port's own MAC.
 * - packets whose TTL would expire are dropped by `ttl_expired`.
 *
 * The bucket count is a constant of the program (the IR's hash bounds are
 * constants), so the controller fills **all** `ECMP_BUCKETS` buckets of every
 * group it uses: for next hops h0…h(k-1), bucket i → h(i mod k), or repeat
 * next hops in proportion to their weights. A missing bucket drops the flows
 * that hash to it.
 *
 * Non-IPv4 packets pass through untouched.
 */
import { bit, program, std } from '@mpvisor/mpapi';

/** Hash buckets per group: the unit of ECMP weight. */
export const ECMP_BUCKETS = 16;

export const ecmp = program('ecmp')
  .describe('ECMP load balancer: 5-tuple hash over a fixed number of buckets per next-hop group')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4, tcp: std.tcp, udp: std.udp })
  .metadata({ l4SrcPort: bit(16), l4DstPort: bit(16), ecmpGroup: bit(16), ecmpSelect: bit(16) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) =>
        s.extract('ipv4').select(
          ['ipv4.fragOffset', 'ipv4.protocol'],
          [
            [[0, std.IPPROTO.tcp], 'parse_tcp'],
            [[0, std.IPPROTO.udp], 'parse_udp'],
          ],
          'accept',
        ),
      )
      .state('parse_tcp', (s) => s.extract('tcp').set('meta.l4SrcPort', s.get('tcp.srcPort')).set('meta.l4DstPort', s.get('tcp.dstPort')).accept())
      .state('parse_udp', (s) => s.extract('udp').set('meta.l4SrcPort', s.get('udp.srcPort')).set('meta.l4DstPort', s.get('udp.dstPort')).accept()),
  )
  .stage('ttl_expired', (t) =>
    t
      .action('drop_expired', (a) => a.drop())
      .defaultAction('drop_expired', {}, { const: true })
      .size(1)
      .describe('TTL would reach 0: drop'),
  )
  .stage('ecmp_group', (t) =>
    t
      .key({ 'ipv4.dstAddr': 'lpm' })
      .action('set_ecmp', { group: bit(16) }, (a, p) =>
        a.assign('meta.ecmpGroup', p.group).hash(
          'meta.ecmpSelect',
          'crc16',
          [a.get('ipv4.srcAddr'), a.get('ipv4.dstAddr'), a.get('ipv4.protocol'), a.get('meta.l4SrcPort'), a.get('meta.l4DstPort')],
          { base: 0, max: ECMP_BUCKETS },
        ),
      )
      .action('drop', (a) => a.drop())
      .defaultAction('drop')
      .size(16384)
      .describe('destination prefix → ECMP group; the 5-tuple hash picks a bucket'),
  )
  .stage('ecmp_nhop', (t) =>
    t
      .key({ 'meta.ecmpGroup': 'exact', 'meta.ecmpSelect': 'exact' })
      .action('set_nhop', { dmac: bit(48), port: bit(9) }, (a, p) => a.assign('ethernet.dstAddr', p.dmac).setEgress(p.port).decrementTtl())
      .action('drop', (a) => a.drop())
      .defaultAction('drop')
      .size(4096)
      .describe('(group, bucket) → next hop MAC and egress port'),
  )
  .stage('send_frame', (t) =>
    t
      .key({ 'standard.egressPort': 'exact' })
      .action('rewrite_mac', { smac: bit(48) }, (a, p) => a.assign('ethernet.srcAddr', p.smac))
      .size(512)
      .describe("egress port → the port's own MAC, as the frame's source"),
  )
  .control((c) =>
    c.if(c.isValid('ipv4'), (c) =>
      c.if(
        c.get('ipv4.ttl').le(1),
        (c) => c.apply('ttl_expired'),
        (c) =>
          c.apply('ecmp_group', {
            actions: { set_ecmp: (c) => c.apply('ecmp_nhop', { actions: { set_nhop: (c) => c.apply('send_frame') } }) },
          }),
      ),
    ),
  )
  .deparse('ethernet', 'ipv4', 'tcp', 'udp');
