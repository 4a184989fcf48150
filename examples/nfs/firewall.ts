/**
 * L3/L4 firewall (ACL). Parses ethernet → ipv4 → tcp/udp and matches every
 * IPv4 packet against `acl`: source and destination address, protocol
 * (ternary) and L4 source/destination port (range). `allow` lets the packet
 * through unchanged, `deny` drops it.
 *
 * It is a filter, not a forwarder: it never sets an egress port, so it runs
 * chained behind an NF that does (e.g. `policy(…).chain(l2switch, firewall)`).
 * Non-IPv4 packets (ARP, …) are not looked at.
 *
 * Control plane: install ACL rules in `acl` with priorities (higher wins), as
 * for any table with ternary/range keys; don't-care fields are `_`. The
 * default is `allow` (a blacklist); for a default-deny (whitelist) firewall
 * set the default action to `deny`, as `fw-strict` does.
 *
 * The L4 ports are copied into `meta.l4SrcPort`/`meta.l4DstPort` while
 * parsing, because TCP and UDP ports live in different headers; both stay 0
 * for other protocols and for non-first IPv4 fragments (which carry no L4
 * header, so only the first fragment is parsed as TCP/UDP).
 */
import { bit, program, std } from '@mpvisor/mpapi';

export const firewall = program('firewall')
  .describe('L3/L4 firewall: ACL on IPv4 addresses, protocol and TCP/UDP port ranges; default allow')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4, tcp: std.tcp, udp: std.udp })
  .metadata({ l4SrcPort: bit(16), l4DstPort: bit(16) })
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
  .stage('acl', (t) =>
    t
      .key({
        'ipv4.srcAddr': 'ternary',
        'ipv4.dstAddr': 'ternary',
        'ipv4.protocol': 'ternary',
        'meta.l4SrcPort': 'range',
        'meta.l4DstPort': 'range',
      })
      .action('allow', (a) => a)
      .action('deny', (a) => a.drop())
      .defaultAction('allow')
      .size(1024)
      .describe('ACL: the highest-priority matching rule decides; no match allows'),
  )
  .control((c) => c.if(c.isValid('ipv4'), (c) => c.apply('acl')))
  .deparse('ethernet', 'ipv4', 'tcp', 'udp');
