#!/usr/bin/env bash
# Installs the Debian packages eps-dist needs (as root), or prints the exact
# command to run when not root. Swift itself (6.x) must already be on PATH.
set -euo pipefail
# chromium: only for scripts/report-browser-test.sh (renders eps-dist report headless).
# iproute2, iptables, procps, python3-minimal: only for scripts/multihost-test.sh (emulated hosts
# in network namespaces; sysctl; delay and loss through NFQUEUE by a standard-library Python daemon
# where the kernel has no sch_netem).
packages=(libopenmpi-dev openmpi-bin libopenblas-dev libturbojpeg0-dev libpng-dev pkg-config chromium unzip
  iproute2 iptables procps python3-minimal)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# python3 with venv and pip: scripts/make-saliency.py and scripts/real-photos.sh (CI's real-photo run)
# install their packages into a virtual environment of their own; eps-dist itself needs no Python.
if ! python3 -c "import venv, ensurepip, pip" >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-pip)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6 (swift.org) first" >&2
  exit 1
fi
