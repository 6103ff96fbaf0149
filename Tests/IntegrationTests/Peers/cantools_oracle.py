#!/usr/bin/env python3
"""cantools as the oracle for PulseBMS's DBC decoder (Tests/IntegrationTests/CANOracleTests.swift).

Reads on stdin:  {"dbc_path": "...", "frames": [{"id": 854, "extended": false, "data_hex": "7A13F2FE6B01"}, ...]}
Writes on stdout: {"cantools": "45.1.0", "results": [...]} with one result per frame, in order:
  {"ok": true, "name": "BattStatus",
   "signals": {"PackVoltage": {"raw": "4986", "physical": "49.86", "label": null}, ...}}
  {"ok": false, "kind": "unknown_message" | "too_short" | "multiplexer" | "other", "error": "..."}

Every number is written as text (Python's repr) so that 64-bit integers and non-finite floats survive JSON
exactly. "raw" is cantools's decode with scaling=False, decode_choices=False; "physical" with scaling=True,
decode_choices=False; "label" the value-table label from decode_choices=True, or null.
"""

import json
import sys

import cantools
from cantools.database.namedsignalvalue import NamedSignalValue


def text(value):
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def classify(error):
    message = str(error)
    if "Wrong data size" in message:
        return "too_short"
    if "expected multiplexer id" in message:
        return "multiplexer"
    return "other"


def decode(database, frame):
    frame_id = int(frame["id"])  # JSON writers may send 854.0
    extended = bool(frame["extended"])
    try:
        # Extended ids are looked up with bit 31 set, so 0x300 standard and 0x300 extended stay apart.
        message = database.get_message_by_frame_id(frame_id, force_extended_id=extended)
    except KeyError:
        return {"ok": False, "kind": "unknown_message", "error": "no message 0x%X" % frame_id}
    if message.is_extended_frame != extended:
        return {"ok": False, "kind": "unknown_message", "error": "frame format differs"}
    data = bytes.fromhex(frame["data_hex"])
    try:
        raw = message.decode(data, decode_choices=False, scaling=False)
        physical = message.decode(data, decode_choices=False, scaling=True)
        labelled = message.decode(data, decode_choices=True, scaling=True)
    except Exception as error:  # cantools raises DecodeError and, for odd payloads, others
        return {"ok": False, "kind": classify(error), "error": str(error)}
    signals = {}
    for name, value in physical.items():
        label = labelled.get(name)
        signals[name] = {
            "raw": text(raw[name]),
            "physical": text(value),
            "label": str(label) if isinstance(label, (NamedSignalValue, str)) else None,
        }
    return {"ok": True, "name": message.name, "signals": signals}


def main():
    request = json.load(sys.stdin)
    database = cantools.database.load_file(request["dbc_path"])
    results = [decode(database, frame) for frame in request["frames"]]
    json.dump({"cantools": cantools.__version__, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
