#!/usr/bin/env bash
# Runs every PulseBMS test on a fresh Debian 12 machine: installs what is missing, builds with the
# warnings check, then runs unit and integration tests (which start their own mosquitto brokers).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== swift build --build-tests"
swift build --build-tests 2>&1 | tee "$log"
# Our own code must build without warnings (dependencies' warnings are not ours to fix).
if grep -E "^$(pwd)/(Sources|Tests)/.*warning:" "$log"; then
  echo "test.sh: the build printed warnings in PulseBMS code" >&2
  exit 1
fi

echo "== swift test"
swift test --skip-build "$@"
