/** The example NFs and policies, by name. */
import { arpProxy } from './arp-proxy.js';
import { ecmp } from './ecmp.js';
import { firewall } from './firewall.js';
import { fwStrict } from './fw-strict.js';
import { l2switch } from './l2-switch.js';
import { nat } from './nat.js';
import { tenantA, tenantB } from './policies.js';
import { router } from './router.js';
import { statefulFirewall } from './stateful-firewall.js';

export * from './arp-proxy.js';
export * from './ecmp.js';
export * from './firewall.js';
export * from './fw-strict.js';
export * from './l2-switch.js';
export * from './nat.js';
export * from './policies.js';
export * from './router.js';
export * from './stateful-firewall.js';

export const programs = { l2switch, firewall, router, arpProxy, nat, statefulFirewall, ecmp, fwStrict } as const;
export const policies = { tenantA, tenantB } as const;
