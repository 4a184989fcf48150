/**
 * L2 learning switch: `smac` learns source MACs (a miss sends a digest to the
 * control plane, which installs the entry), `dmac` forwards known
 * destinations and floods the rest to multicast group 1.
 */
import { bit, program, std } from '@mpvisor/mpapi';

export const l2switch = program('l2-switch')
  .describe('L2 learning switch: MAC learning by digest, forwarding by destination MAC, flooding on miss')
  .headers({ ethernet: std.ethernet })
  .digest('mac_learn', { srcAddr: bit(48), ingressPort: bit(9) })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
  .stage('smac', (t) =>
    t
      .key({ 'ethernet.srcAddr': 'exact' })
      .action('learn', (a) => a.digest('mac_learn', { srcAddr: a.get('ethernet.srcAddr'), ingressPort: a.get('standard.ingressPort') }))
      .action('known', (a) => a)
      .defaultAction('learn')
      .size(4096),
  )
  .stage('dmac', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port))
      .action('flood', (a) => a.multicast(1))
      .defaultAction('flood')
      .size(4096),
  )
  .control((c) => c.apply('smac').apply('dmac'));
