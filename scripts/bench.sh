#!/usr/bin/env bash
# Benchmarks (figures only, nothing asserted): pure BMSCore timings, then SunSpec polls per second against
# the simulator over loopback Modbus TCP. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
for product in PulseBMSBench pulsebms-agent pulsebms-sim pulsebms-relay; do swift build -c release --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)

"$bin/PulseBMSBench"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/pulsebms-sim" --port "$port" --control-port $((port + 1)) \
  --pack unit=1,chemistry=NMC,cells=144,capacity=100,soc=60 \
  --pack unit=2,chemistry=NMC,cells=144,capacity=100,soc=60 \
  --pack unit=3,chemistry=LFP,cells=16,capacity=280,soc=60 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
"$bin/pulsebms-agent" bench-poll "modbus-tcp://127.0.0.1:$port/1" --seconds 5
"$bin/pulsebms-agent" bench-poll "modbus-tcp://127.0.0.1:$port/1" --seconds 5 --units 2
"$bin/pulsebms-agent" bench-poll "modbus-tcp://127.0.0.1:$port/3" --seconds 5

# Store-and-forward against a real mosquitto: the broker's QoS 1 ceiling, the live pipeline, and the drain
# of a backlog (BACKLOG rows, default one million), all in one run.
work=$(mktemp -d /tmp/pulsebms-bench.XXXXXX)
mqtt_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\nuser root\npersistence false\n' "$mqtt_port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >/dev/null 2>&1 &
broker=$!
trap 'kill $sim $broker 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$mqtt_port") 2>/dev/null && break; sleep 0.05; done
"$bin/pulsebms-agent" bench-forward --port "$mqtt_port" --state-dir "$work" --backlog "${BACKLOG:-1000000}"

# The relay: the broker's QoS 1 ceiling next to the relay's ingest into SQLite, in one run; the 30-day,
# hour-resolution telemetry query over 1 Hz data; GET latency p50/p99 under HTTP load (wrk, 32 connections).
"$bin/pulsebms-relay" bench-ingest --mqtt-port "$mqtt_port" --data-dir "$work/relay-ingest" --messages "${RELAY_MESSAGES:-50000}"
"$bin/pulsebms-relay" bench-query --data-dir "$work/relay-query" --days "${RELAY_DAYS:-30}"
http_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(python3 -c 'import secrets,string; a=string.digits+string.ascii_letters; r=lambda n: "".join(secrets.choice(a) for _ in range(n)); print("pbk_"+r(12)+"_"+r(43))')
"$bin/pulsebms-relay" --port "$http_port" --mqtt "mqtt://127.0.0.1:$mqtt_port" --data-dir "$work/relay-ingest" \
  --dev-token "$token" --rate-limit 100000000 --mqtt-client-id bench-http 2>/dev/null &
relay=$!
trap 'kill $sim $broker $relay 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$http_port/api/v1/health" >/dev/null && break; sleep 0.05; done
# Live streams: 1,000 WebSocket clients watching 100 devices at 1 Hz (published through the broker), the
# packs' phases spread over each second as on a real site, then all in step (the worst case: 100,000 messages
# to push at the start of every second).
for phases in "" --burst; do
  "$bin/pulsebms-relay" bench-ws --relay-port "$http_port" --relay-pid "$relay" --mqtt-port "$mqtt_port" --token "$token" \
    --clients "${WS_CLIENTS:-1000}" --devices "${WS_DEVICES:-100}" --seconds "${WS_SECONDS:-20}" $phases
done
for path in /api/v1/health /api/v1/devices/pack_7 "/api/v1/telemetry/pack_7?resolution=minute&start_time=2025-12-01T00:00:00Z&end_time=2025-12-02T00:00:00Z"; do
  echo "relay GET $path under load:"
  wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port$path" \
    | grep -E "Requests/sec|^ +50%|^ +99%"
done
