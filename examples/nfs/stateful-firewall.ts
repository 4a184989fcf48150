/**
 * Stateful rate-limiting firewall (after P4NFV's stateful NF example): counts
 * packets per IPv4 source in fixed time windows and drops a source once it
 * has sent more than `threshold` packets in the current window, for the rest
 * of that window. A source that never exceeds `threshold` packets per window
 * always passes.
 *
 * State: per source (a crc32 hash of the source address picks one of
 * `FLOW_SLOTS` slots) the start of its current window (`window_start`,
 * microseconds of `standard.ingressTimestamp`) and the packets seen in it
 * (`pkt_count`). Per packet:
 *
 *   track          read the slot; elapsed = now - window_start
 *   if elapsed >= window:  reset_window   (new window starts now, count = 1)
 *   else:                  count_packet   (count += 1, saturating)
 *   if count > threshold:  block          (drop)
 *
 * Sources that hash to the same slot share a count (a sketch, as in
 * hardware); size `FLOW_SLOTS` for the number of concurrent sources.
 *
 * It is a filter and never picks an egress port: chain it behind a
 * forwarder. Non-IPv4 packets pass unchecked.
 *
 * Control plane: `threshold` (packets) and `window` (µs) are the arguments of
 * `track`'s default action, so they are tuned with a set-default-action on
 * `track` (defaults: `DEFAULT_THRESHOLD` packets per `DEFAULT_WINDOW_US`).
 * The registers are the NF's state, copied when it migrates.
 */
import { bit, program, std } from '@mpvisor/mpapi';

/** Register slots, i.e. distinct sources tracked at once. */
export const FLOW_SLOTS = 1024;
/** Default window: one second, in microseconds. */
export const DEFAULT_WINDOW_US = 1_000_000;
/** Default limit: packets per source per window. */
export const DEFAULT_THRESHOLD = 100;

export const statefulFirewall = program('stateful-firewall')
  .describe('Stateful firewall: drops IPv4 sources that exceed a packet-rate threshold within a time window')
  .headers({ ethernet: std.ethernet, ipv4: std.ipv4 })
  .metadata({
    slot: bit(32),
    now: bit(48),
    windowStart: bit(48),
    elapsed: bit(48),
    window: bit(48),
    count: bit(32),
    threshold: bit(32),
  })
  .register('pkt_count', { width: 32, size: FLOW_SLOTS })
  .register('window_start', { width: 48, size: FLOW_SLOTS })
  .parser((p) =>
    p
      .state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[std.ETHERTYPE.ipv4, 'parse_ipv4']], 'accept'))
      .state('parse_ipv4', (s) => s.extract('ipv4').accept()),
  )
  .stage('track', (t) =>
    t
      .action('track', { threshold: bit(32), window: bit(48) }, (a, p) =>
        a
          .hash('meta.slot', 'crc32', [a.get('ipv4.srcAddr')], { base: 0, max: FLOW_SLOTS })
          .registerRead('meta.windowStart', 'window_start', a.get('meta.slot'))
          .registerRead('meta.count', 'pkt_count', a.get('meta.slot'))
          .assign('meta.now', a.get('standard.ingressTimestamp'))
          .assign('meta.elapsed', a.get('meta.now').sub(a.get('meta.windowStart')))
          .assign('meta.window', p.window)
          .assign('meta.threshold', p.threshold),
      )
      .defaultAction('track', { threshold: DEFAULT_THRESHOLD, window: DEFAULT_WINDOW_US })
      .size(1)
      .describe("read the source's window and count; the default action's arguments are the configuration"),
  )
  .stage('reset_window', (t) =>
    t
      .action('start_window', (a) =>
        a
          .assign('meta.count', 1)
          .registerWrite('window_start', a.get('meta.slot'), a.get('meta.now'))
          .registerWrite('pkt_count', a.get('meta.slot'), a.get('meta.count')),
      )
      .defaultAction('start_window', {}, { const: true })
      .size(1)
      .describe('the window has passed: a new one starts with this packet'),
  )
  .stage('count_packet', (t) =>
    t
      .action('increment', (a) =>
        a.assign('meta.count', a.get('meta.count').addSat(1)).registerWrite('pkt_count', a.get('meta.slot'), a.get('meta.count')),
      )
      .defaultAction('increment', {}, { const: true })
      .size(1)
      .describe('one more packet in the current window'),
  )
  .stage('block', (t) =>
    t
      .action('drop', (a) => a.drop())
      .defaultAction('drop', {}, { const: true })
      .size(1)
      .describe('over the threshold: drop'),
  )
  .control((c) =>
    c.if(c.isValid('ipv4'), (c) =>
      c
        .apply('track')
        .if(
          c.get('meta.elapsed').ge(c.get('meta.window')),
          (c) => c.apply('reset_window'),
          (c) => c.apply('count_packet'),
        )
        .if(c.get('meta.count').gt(c.get('meta.threshold')), (c) => c.apply('block')),
    ),
  )
  .deparse('ethernet', 'ipv4');
