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

# Nothing is required yet.
# Issue 3 will add: need_apt tshark tshark
