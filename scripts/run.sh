#!/usr/bin/env bash
# The main job: a whole demo site on one machine — a mosquitto broker, pulsebms-sim with four packs
# (LFP and NMC over SunSpec, one LFP pack through a register map, one NMC pack speaking the CAN-bus BMS
# protocol through an emulated slcan USB adapter) and pulsebms-agent reading, protecting and forwarding them. Ctrl-C stops everything. Set PULSEBMS_DEMO_SECONDS to stop by itself after that long.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
swift build --product pulsebms-agent
swift build --product pulsebms-sim
swift build --product pulsebms-relay
bin=$(swift build --show-bin-path)

work=$(mktemp -d /tmp/pulsebms-demo.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(free_port)
modbus_port=$(free_port)
control_port=$(free_port)
http_port=$(free_port)
dev_token=$(python3 -c 'import secrets,string; a=string.digits+string.ascii_letters; r=lambda n: "".join(secrets.choice(a) for _ in range(n)); print("pbk_"+r(12)+"_"+r(43))')

cat > "$work/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
max_queued_messages 0
set_tcp_nodelay true
user root
persistence false
CONF

sed -e "s/port: 1502/port: $modbus_port/" examples/sim-site.yaml > "$work/agent.yaml"
cat >> "$work/agent.yaml" <<CONF
  - device_id: pack_map
    name: Simulated LFP 16S, vendor register map
    chemistry: LFP
    specifications: { nominal_capacity: 100, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 }
    bus: sim
    unit_id: 3
    profile: register_map
    register_map: $(pwd)/Sources/EdgeAgent/RegisterMaps/generic-lfp-16s.yaml
  - device_id: pack_can
    name: Simulated NMC 14S, CAN-bus BMS over slcan
    chemistry: NMC
    specifications: { nominal_capacity: 56, nominal_voltage: 51.8, series_cells: 14, parallel_cells: 1 }
    bus: can_usb
    profile: canbus_bms
    can_commands: { open_contactors: "380#01", stop_power: "380#02", reset_alarms: "380#03", start: "380#04" }
mqtt: { host: 127.0.0.1, port: $mqtt_port, client_id: pulsebms-agent-demo }
CONF
# The CAN bus: the simulator's slcan adapter appears at $work/can0.tty (a pseudo-terminal).
python3 - "$work/agent.yaml" "$work/can0.tty" <<'PY'
import sys
path, tty = sys.argv[1], sys.argv[2]
text = open(path).read().replace("buses:\n", "buses:\n  - id: can_usb\n    slcan: { device: %s, bitrate: 500000 }\n" % tty, 1)
open(path, "w").write(text)
PY

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 & pids+=($!)
"$bin/pulsebms-sim" --port "$modbus_port" --control-port "$control_port" \
  --pack unit=1,chemistry=LFP,cells=16,capacity=280,soc=60,current=-40 \
  --pack unit=2,chemistry=NMC,cells=14,capacity=56,soc=70,current=20 \
  --pack "unit=3,chemistry=LFP,cells=16,capacity=100,soc=45,map=$(pwd)/Sources/EdgeAgent/RegisterMaps/generic-lfp-16s.yaml" \
  --pack "unit=4,chemistry=NMC,cells=14,capacity=56,soc=55,current=10,slcan=$work/can0.tty,candump=$work/can0.candump" \
  > "$work/sim.log" 2>&1 & pids+=($!)
sleep 1
"$bin/pulsebms-relay" --port "$http_port" --mqtt "mqtt://127.0.0.1:$mqtt_port" --data-dir "$work/relay" \
  --dev-token "$dev_token" --mqtt-client-id pulsebms-relay-demo > "$work/relay.log" 2>&1 & pids+=($!)
"$bin/pulsebms-agent" run --config "$work/agent.yaml" --state-dir "$work" > "$work/agent.log" 2>&1 & pids+=($!)

cat <<TXT
PulseBMS demo site is running (files in $work):
  MQTT broker      mqtt://127.0.0.1:$mqtt_port  — watch: mosquitto_sub -p $mqtt_port -t "pulsebms/#" -v
  simulated packs  modbus-tcp://127.0.0.1:$modbus_port units 1–3; try: $bin/pulsebms-agent probe modbus-tcp://127.0.0.1:$modbus_port/1
  CAN pack         unit 4 over slcan at $work/can0.tty; every frame in $work/can0.candump —
                   decode it: $bin/pulsebms-agent can-decode --profile canbus-bms $work/can0.candump
  fault injection  echo "fault 2 over_temperature 5" > /dev/tcp/127.0.0.1/$control_port   (unit 4 is the CAN pack)
  agent log        tail -f $work/agent.log   (protective actions also in $work/actions.jsonl)
  relay (REST)     http://127.0.0.1:$http_port/api/v1   development token: $dev_token
                   curl -s -H "Authorization: Bearer $dev_token" http://127.0.0.1:$http_port/api/v1/devices
                   curl -s -H "Authorization: Bearer $dev_token" "http://127.0.0.1:$http_port/api/v1/telemetry/pack_nmc?resolution=minute"
                   curl -s http://127.0.0.1:$http_port/api/v1/health
  dashboard        http://127.0.0.1:$http_port/dashboard/?access_token=$dev_token
Ctrl-C stops everything.
TXT
if [ -n "${PULSEBMS_DEMO_SECONDS:-}" ]; then sleep "$PULSEBMS_DEMO_SECONDS"; else wait; fi
