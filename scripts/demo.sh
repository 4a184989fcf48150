#!/usr/bin/env bash
# The README's main job, on a fresh clone: install everything, build, compile
# every example NF to IR, run a shipped capture through the router on the
# reference target, then run two tenants' policies on one data plane
# hypervisor (tenant A: L2 switch >> firewall; tenant B: NAT >> router) and
# print the hypervisor's resource report next to the HyperV paper's figures;
# the router on the emulated RMT switch; and the registry: the firewall and a
# firewall derived from it published, inspected, and run from the registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm install --no-audit --no-fund
npm run build --silent
mpvisor() { node packages/cli/dist/bin.js "$@"; }

echo; echo '== every example NF, compiled to validated IR =='
mpvisor build examples/nfs --out .mpvisor/ir

echo; echo '== router: a shipped capture, first 2 packets traced =='
mpvisor run examples/nfs/router.ts --pcap examples/captures/router.pcap \
  --entries examples/captures/router.entries.json --out .mpvisor/out/router --drops --trace 2

echo; echo '== two tenants on one data plane: A (L2 switch >> firewall, ports 1-4), B (NAT >> router, VLAN 100 on ports 5-7) =='
mpvisor hv examples/hypervisor/two-tenants.yaml --out .mpvisor/out/two-tenants --drops

echo; echo '== the hypervisor resource report: HyperV Tables I-III, ours next to the paper'"'"'s =='
mpvisor report

echo; echo '== the same router capture on the emulated RMT switch: same output bytes, and where it sits in the chip =='
mpvisor run examples/nfs/router.ts --pcap examples/captures/router.pcap \
  --entries examples/captures/router.entries.json --out .mpvisor/out/router-rmt --target rmt --no-progress
cmp -s .mpvisor/out/router/port-1.pcap .mpvisor/out/router-rmt/port-1.pcap && echo 'port-1.pcap: identical to the reference run'
mpvisor report --target rmt --svg .mpvisor/out/rmt | sed -n '/RMT placement of vPDP "router"/,/^$/p'
echo 'Stage-occupancy charts of every seed NF are in .mpvisor/out/rmt/*.svg'

echo; echo '== the registry: publish the firewall and a stricter one derived from it, then run both straight from the registry =='
# a fresh local store each run: published versions are immutable
rm -rf .mpvisor/demo-registry
mpvisor publish examples/nfs/firewall.ts --name acme/firewall --version 1.0.0 --tag latest --registry .mpvisor/demo-registry
mpvisor publish examples/registry/firewall-strict.ts --name acme/firewall-strict --version 1.0.0 --registry .mpvisor/demo-registry
mpvisor inspect acme/firewall-strict@1.0.0 --registry .mpvisor/demo-registry
mpvisor hv examples/hypervisor/from-registry.yaml --out .mpvisor/out/from-registry --drops

echo; echo 'Output captures are in .mpvisor/out/ (open them with Wireshark or tshark -r).'
