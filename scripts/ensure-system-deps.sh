#!/usr/bin/env bash
# Installs the system (apt) packages that the tests need, if they are missing.
# Called by .ci/run before `npm ci`; safe to run repeatedly.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

APT_UPDATED=0

# need_apt PACKAGE BINARY: install the apt package PACKAGE unless BINARY is already on PATH.
need_apt() {
  local package="$1" binary="$2"
  if command -v "$binary" >/dev/null 2>&1; then
    return 0
  fi
  echo "ensure-system-deps: installing $package (for $binary)"
  if [ "$APT_UPDATED" -eq 0 ]; then
    $SUDO apt-get update
    APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package"
}

# tshark (Wireshark's command-line reader): the capture tests open every file
# our pcap/pcapng writers produce with it. The wireshark-common package asks
# (debconf) whether non-root users may capture; pre-answer "no" so the install
# can never stop at a prompt.
if ! command -v tshark >/dev/null 2>&1; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
fi
need_apt tshark tshark

# docker-registry (the CNCF distribution registry) and htpasswd: the registry
# tests start their own server on loopback with an htpasswd file (bcrypt, as
# distribution requires). On a host that allows it, the package's install also
# starts a system service on port 5000; the tests neither use nor need it.
need_apt docker-registry docker-registry
need_apt apache2-utils htpasswd
# openssl: the bearer-token registry tests make a signing key and certificate with it.
need_apt openssl openssl
