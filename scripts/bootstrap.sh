#!/usr/bin/env bash
# Installs what PulseBMS needs on Debian 12: the C libraries it links, the broker its tests start,
# and the Python peers its interop tests use. Idempotent and quiet when everything is already there.
set -euo pipefail

# chromium: the headless browser of the dashboard test (Tests/IntegrationTests/DashboardBrowserTests.swift); its
# Depends are enough for --headless=new --disable-gpu. fonts-liberation is one of its Recommends, which
# --no-install-recommends leaves out: named here so the dashboard's Arial/Helvetica text renders alike everywhere.
APT_PACKAGES=(libmosquitto-dev libmodbus-dev libsocketcan-dev libsqlite3-dev mosquitto mosquitto-clients pkg-config systemd wrk curl
  chromium fonts-liberation)
PIP_PACKAGES=(pymodbus==3.6.9 cantools==45.1.0 blast-lite==1.1.1 schemathesis==4.32.5 openapi-spec-validator==0.9.0)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian mosquitto package starts a broker on port 1883 as a system service. Tests start their own
# brokers on free ports, so that one is neither needed nor in the way.

if [ ${#PIP_PACKAGES[@]} -gt 0 ]; then
  pip_missing=()
  for pkg in "${PIP_PACKAGES[@]}"; do
    python3 -m pip show -q "${pkg%%[=<>]*}" >/dev/null 2>&1 || pip_missing+=("$pkg")
  done
  if [ ${#pip_missing[@]} -gt 0 ]; then
    echo "bootstrap: pip installing ${pip_missing[*]}"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${pip_missing[@]}"
  fi
fi
