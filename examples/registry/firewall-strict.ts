/**
 * An NF derived from a pulled one: `firewall.ts` beside this file is
 * `acme/firewall@1.0.0` as `mpvisor pull … -o examples/registry/firewall.ts`
 * wrote it, so every name below is checked by the compiler against the
 * published NF. The derived firewall denies by default, lets through only
 * HTTP, HTTPS and DNS, and sends what passes out of an uplink port (3, the
 * default action's argument: the control plane can change it) instead of
 * port 0. Published as `acme/firewall-strict@1.0.0` (docs/registry.md).
 */
import { bit } from '@mpvisor/mpapi';
import { firewall } from './firewall.js';

const allow = (protocol: 6 | 17, port: number) =>
  ({ key: { 'ipv4.srcAddr': '_', 'ipv4.dstAddr': '_', 'ipv4.protocol': protocol, 'meta.l4SrcPort': '_', 'meta.l4DstPort': port }, action: 'allow' }) as const;

export const firewallStrict = firewall
  .derive('acme/firewall-strict', 'Default-deny firewall: only HTTP, HTTPS and DNS pass, out of the uplink port')
  .defaultAction('acl', 'deny')
  .addEntries('acl', allow(6, 80), allow(6, 443), allow(17, 53))
  // first: a later stage's setEgress would undo the ACL's drop
  .addStage('uplink', (t) => t.action('out', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('out', { port: 3 }), 'first');
