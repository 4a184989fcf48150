/**
 * Example policies: the chains of NFs two tenants run on their vPDPs.
 *
 * - tenant A: an L2 learning switch, then the firewall filters what it forwards.
 * - tenant B: source NAT, then the router; the router step only runs for
 *   IPv4 packets (its condition is evaluated on the router's own parse).
 */
import { policy } from '@mpvisor/mpapi';
import { firewall } from './firewall.js';
import { l2switch } from './l2-switch.js';
import { nat } from './nat.js';
import { router } from './router.js';

export const tenantA = policy('tenant-a').describe('L2 switching, then the L3/L4 firewall').chain(l2switch, firewall);

export const tenantB = policy('tenant-b')
  .describe('Source NAT, then IPv4 routing (IPv4 packets only)')
  .chain(nat)
  .step(router, { when: (c) => c.isValid('ipv4') });
