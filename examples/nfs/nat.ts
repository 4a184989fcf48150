/**
 * Source NAT (NAPT) for TCP and UDP: `nat_snat` maps an inside flow source
 * (address, protocol, port) to an outside address and port, rewrites the
 * IPv4 source address and the TCP/UDP source port, recomputes the IPv4
 * header checksum and updates the L4 checksum incrementally (RFC 1624; the
 * L4 checksum covers the pseudo-header, so the address change counts too).
 * A miss leaves the packet untouched. The NF does not forward: chain it with
 * a router or a switch.
 *
 * An action cannot test which L4 header is valid, so there is one action per
 * protocol and the table is keyed on `ipv4.protocol`: the control plane
 * installs `rewrite_tcp` on protocol-6 entries and `rewrite_udp` on
 * protocol-17 entries, e.g.
 * `{ 'ipv4.srcAddr': 10.0.0.5, 'ipv4.protocol': 6, 'meta.l4SrcPort': 40000 }
 *  → rewrite_tcp { addr: 203.0.113.1, port: 61000 }`.
 * Return traffic (DNAT of the reverse mapping) is a separate NF/table.
 *
 * UDP checksum 0 means "no checksum" (RFC 768): it is left 0. A UDP checksum
 * that comes out 0 is sent as 0xffff, as RFC 768 requires.
 *
 * Non-first IPv4 fragments carry no L4 header and are not translated.
 */
import { bit, program, std } from '@mpvisor/mpapi';

export const nat = program('nat')
  .describe('Source NAT: rewrites IPv4 source address and TCP/UDP source port, with IPv4 and incremental L4 checksum updates')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4, tcp: std.tcp, udp: std.udp })
  .metadata({ l4SrcPort: bit(16), l4DstPort: bit(16), udpChecksumIn: bit(16) })
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
  .stage('nat_snat', (t) =>
    t
      .key({ 'ipv4.srcAddr': 'exact', 'ipv4.protocol': 'exact', 'meta.l4SrcPort': 'exact' })
      // Primitives run in order: the incremental update reads the old address
      // and port from the packet before they are overwritten.
      .action('rewrite_tcp', { addr: bit(32), port: bit(16) }, (a, p) =>
        a
          .checksumIncremental('tcp.checksum', [a.get('ipv4.srcAddr'), a.get('tcp.srcPort')], [p.addr, p.port])
          .assign('ipv4.srcAddr', p.addr)
          .assign('tcp.srcPort', p.port)
          .updateIpv4Checksum(),
      )
      .action('rewrite_udp', { addr: bit(32), port: bit(16) }, (a, p) =>
        a
          .assign('meta.udpChecksumIn', a.get('udp.checksum'))
          .checksumIncremental('udp.checksum', [a.get('ipv4.srcAddr'), a.get('udp.srcPort')], [p.addr, p.port])
          // no checksum stays no checksum; a computed 0 is sent as 0xffff
          .assign(
            'udp.checksum',
            a
              .get('meta.udpChecksumIn')
              .eq(0)
              .select(a.const(0, 16), a.get('udp.checksum').eq(0).select(a.const(0xffff, 16), a.get('udp.checksum'))),
          )
          .assign('ipv4.srcAddr', p.addr)
          .assign('udp.srcPort', p.port)
          .updateIpv4Checksum(),
      )
      .size(65536)
      .describe('inside (source address, protocol, source port) → outside address and port'),
  )
  .control((c) => c.if(c.isValid('ipv4').and(c.isValid('tcp').or(c.isValid('udp'))), (c) => c.apply('nat_snat')))
  .deparse('ethernet', 'ipv4', 'tcp', 'udp');
