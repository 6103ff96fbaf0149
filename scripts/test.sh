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

if [ $# -gt 0 ]; then
  swift test --skip-build "$@"
  exit
fi
# Four tests run on their own, after the rest: the one that counts a pack's polls per second against its
# schedule (it needs the two cores to itself), the relay's end-to-end test, whose schemathesis run keeps both
# cores busy for a minute or two, the dashboard in headless Chromium, whose renderer would take cores from
# the timing-sensitive tests beside it, and the MQTT client on a descriptor numbered beyond 1024 (it holds
# every lower number while it runs).
alone="deadUnitOnASharedBusLeavesItsNeighboursRate|RelayEndToEndTests|DashboardBrowserTests|MQTTHighDescriptorTests"
echo "== swift test (all but the tests that run alone)"
swift test --skip-build --skip "$alone"
echo "== swift test (poll rate on a shared bus, alone)"
swift test --skip-build --filter deadUnitOnASharedBusLeavesItsNeighboursRate
echo "== swift test (the relay end to end, with schemathesis, alone)"
swift test --skip-build --filter RelayEndToEndTests
echo "== swift test (the dashboard in headless Chromium, alone)"
swift test --skip-build --filter DashboardBrowserTests
echo "== swift test (MQTT on a descriptor beyond 1024, alone)"
swift test --skip-build --filter MQTTHighDescriptorTests
