#!/usr/bin/env bash
# The README's main job, on a fresh clone: install everything, build, compile
# every example NF to IR, then run shipped captures through the router and
# through tenant A's policy (L2 switch >> firewall) on the reference target.
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

echo; echo '== tenant A: L2 switch >> firewall =='
mpvisor run examples/nfs/policies.ts --nf tenant-a --pcap examples/captures/tenant-a.pcap \
  --entries examples/captures/tenant-a.entries.yaml --out .mpvisor/out/tenant-a --drops

echo; echo 'Output captures are in .mpvisor/out/ (open them with Wireshark or tshark -r).'
