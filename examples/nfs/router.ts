/**
 * IPv4 router, after the P4 tutorials' `basic.p4` with a next-hop table:
 *
 * - `ipv4_lpm` (longest prefix match on the destination) picks the next hop
 *   and the egress port, decrements the TTL and recomputes the header
 *   checksum (`set_nhop`); a miss drops the packet.
 * - `forward` (exact on the next hop) rewrites the destination MAC to the
 *   next hop's and the source MAC to the router's port MAC (`set_dmac`); a
 *   miss (next hop not resolved) drops.
 * - a packet whose TTL is 0 or 1 would expire here, so `ttl_expired` drops it
 *   (its default action is const) before any lookup.
 *
 * Only IPv4 is routed: any other packet passes through untouched (nothing is
 * rewritten and no egress port is chosen).
 *
 * Control plane: install routes in `ipv4_lpm` (`10.0.1.0/24 → set_nhop {
 * nhop: 10.0.1.1, port: 1 }`; for directly connected hosts the next hop is
 * the host itself) and one `forward` entry per next hop (its MAC from ARP,
 * and the MAC of the port towards it).
 */
import { bit, program, std } from '@mpvisor/mpapi';

export const router = program('router')
  .describe('IPv4 router: LPM to next hop and port, TTL decrement with checksum update, next-hop MAC rewrite')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .metadata({ nextHop: bit(32) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('ttl_expired', (t) =>
    t
      .action('drop_expired', (a) => a.drop())
      .defaultAction('drop_expired', {}, { const: true })
      .size(1)
      .describe('TTL would reach 0: drop'),
  )
  .stage('ipv4_lpm', (t) =>
    t
      .key({ 'ipv4.dstAddr': 'lpm' })
      .action('set_nhop', { nhop: bit(32), port: bit(9) }, (a, p) => a.assign('meta.nextHop', p.nhop).setEgress(p.port).decrementTtl())
      .action('drop', (a) => a.drop())
      .defaultAction('drop')
      .size(16384)
      .describe('routes: destination prefix → next hop and port'),
  )
  .stage('forward', (t) =>
    t
      .key({ 'meta.nextHop': 'exact' })
      .action('set_dmac', { dmac: bit(48), smac: bit(48) }, (a, p) => a.assign('ethernet.dstAddr', p.dmac).assign('ethernet.srcAddr', p.smac))
      .action('drop', (a) => a.drop())
      .defaultAction('drop')
      .size(4096)
      .describe('next hop → its MAC address and the MAC of the port towards it'),
  )
  .control((c) =>
    c.if(c.isValid('ipv4'), (c) =>
      c.if(
        c.get('ipv4.ttl').le(1),
        (c) => c.apply('ttl_expired'),
        (c) => c.apply('ipv4_lpm', { actions: { set_nhop: (c) => c.apply('forward') } }),
      ),
    ),
  )
  .deparse('ethernet', 'ipv4');
