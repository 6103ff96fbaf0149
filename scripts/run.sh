#!/usr/bin/env bash
# The main job. For now: build both programs and show what they offer. Later issues turn this into a
# whole demo site (mosquitto, simulated packs, the agent and the relay) on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
swift build --product pulsebms-agent
swift build --product pulsebms-relay
bin=$(swift build --show-bin-path)

"$bin/pulsebms-agent" --help
echo
"$bin/pulsebms-agent" version
echo
"$bin/pulsebms-relay" --help
