/**
 * ARP proxy: answers ARP requests for known IPv4 addresses in the data
 * plane, so they never flood the network.
 *
 * `arp_reply` matches Ethernet/IPv4 ARP requests (opcode 1) by the address
 * asked for; `reply` turns the request in place into the reply (RFC 826):
 * opcode 2, the sender becomes the target, the proxied MAC and the asked-for
 * address become the sender, the Ethernet addresses are rewritten to match,
 * and the packet goes back out of the port it came in on. Anything else —
 * a miss, a reply, another hardware/protocol type, a non-ARP packet —
 * continues unchanged (`NoAction`), e.g. to an L2 switch chained after it.
 *
 * Control plane: one entry per proxied address, `{ 'arp.targetProtoAddr':
 * ip, 'arp.opcode': 1 } → reply { mac }`.
 */
import { bit, program, std } from '@mpvisor/mpapi';

/** ARP opcodes (RFC 826): the control plane keys entries on `request`. */
export const ARP_OPCODE = { request: 1, reply: 2 } as const;
/** RFC 826 hardware type for Ethernet. */
const HW_ETHERNET = 1;

export const arpProxy = program('arp-proxy')
  .describe('ARP proxy: replies to ARP requests for known IPv4 addresses from the data plane')
  .headers({ ethernet: std.ethernet, arp: std.arp })
  .metadata({ askedFor: bit(32) })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.arp, 'parse_arp']], 'accept'))
      .state('parse_arp', (s) => s.extract('arp').accept()),
  )
  .stage('arp_reply', (t) =>
    t
      .key({ 'arp.targetProtoAddr': 'exact', 'arp.opcode': 'exact' })
      // Assignments run in order, so the asked-for address is saved before
      // the target fields are overwritten with the requester's.
      .action('reply', { mac: bit(48) }, (a, p) =>
        a
          .assign('meta.askedFor', a.get('arp.targetProtoAddr'))
          .assign('arp.opcode', ARP_OPCODE.reply)
          .assign('arp.targetHwAddr', a.get('arp.senderHwAddr'))
          .assign('arp.targetProtoAddr', a.get('arp.senderProtoAddr'))
          .assign('arp.senderHwAddr', p.mac)
          .assign('arp.senderProtoAddr', a.get('meta.askedFor'))
          .assign('ethernet.dstAddr', a.get('ethernet.srcAddr'))
          .assign('ethernet.srcAddr', p.mac)
          .setEgress(a.get('standard.ingressPort')),
      )
      .size(1024)
      .describe('proxied IPv4 address (requests only) → its MAC'),
  )
  .control((c) =>
    c.if(
      c.isValid('arp'),
      (c) =>
        c.if(
          c.get('arp.hwType').eq(HW_ETHERNET).and(c.get('arp.protoType').eq(std.ETHERTYPE.ipv4)),
          (c) => c.apply('arp_reply'),
        ),
    ),
  )
  .deparse('ethernet', 'arp');
