/**
 * A stricter firewall, derived from `firewall` in a few lines: a bigger ACL
 * and default deny, with const rules that let through web browsing — HTTP
 * and HTTPS, DNS, and their replies (matched by source port, as a stateless
 * ACL must) — and SSH from the management network 10.0.0.0/8.
 */
import { firewall } from './firewall.js';

const allow = (proto: 6 | 17, src: '_' | { value: string; mask: string }, sport: '_' | number, dport: '_' | number) =>
  ({ key: { 'ipv4.srcAddr': src, 'ipv4.dstAddr': '_', 'ipv4.protocol': proto, 'meta.l4SrcPort': sport, 'meta.l4DstPort': dport }, action: 'allow' }) as const;

export const fwStrict = firewall
  .derive('acme/fw-strict', 'Default-deny firewall: web browsing (HTTP/HTTPS/DNS and replies) and SSH from 10.0.0.0/8 only')
  .resize('acl', 8192)
  .defaultAction('acl', 'deny')
  .addEntries('acl', allow(6, '_', '_', 80), allow(6, '_', '_', 443), allow(17, '_', '_', 53), allow(6, '_', 80, '_'), allow(6, '_', 443, '_'))
  .addEntries('acl', allow(17, '_', 53, '_'), allow(6, { value: '10.0.0.0', mask: '255.0.0.0' }, '_', 22));
