/**
 * Install a published NF onto a running hypervisor: pulled and verified by
 * the registry, then checked once more by the hypervisor against the IR
 * digest it was published with, so what runs is exactly what was published.
 */
import type { Hypervisor, InstallReport, Update } from '@mpvisor/runtime';
import type { PulledNf, Registry } from './registry.js';

export interface RegistryInstall {
  readonly report: InstallReport;
  readonly pulled: PulledNf;
}

export async function installFromRegistry(
  hv: Hypervisor,
  vpdp: number,
  ref: string,
  registry: Registry,
  options: { readonly entries?: readonly Update[] } = {},
): Promise<RegistryInstall> {
  const pulled = await registry.pull(ref);
  const report = hv.install(vpdp, pulled.ir, { ...(options.entries !== undefined ? { entries: options.entries } : {}), digest: pulled.irDigest });
  return { report, pulled };
}
