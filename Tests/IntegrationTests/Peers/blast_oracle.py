#!/usr/bin/env python3
"""NREL BLAST-Lite (PyPI `blast-lite`, 1.1.1) as the oracle for BMSCore's AgeingModel.

Reads a JSON list of cases from the file named by the first argument (or from standard input) and writes a
JSON list of results to the file named by the second argument (or to standard output). Each case:

    {"id": "lfp-25C-soc50", "model": "Lfp_Gr_250AhPrismatic",
     "time_s": [0, 3600, ..., 86400], "soc": [...], "temperature_c": [...], "repeat": 365}

`model` is a class name from `blast.models`. The period (time_s, soc, temperature_c, one value per sample) is fed
`repeat` times to `update_battery_state`, call k with its times shifted by k x (time_s[-1] - time_s[0]), so
neighbouring calls share their boundary instant and no time is lost between them (BLAST counts only
t[-1] - t[0] of each call). Each result: {"id", "model", "q", "r" (null when the model has no resistance
model), "outputs": the last value of every entry of the model's `outputs`, "states": likewise for `states`,
"t_days", "efc"}.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from blast import models  # noqa: E402


def run_case(case):
    model = getattr(models, case["model"])()
    time_s = np.asarray(case["time_s"], dtype=float)
    soc = np.asarray(case["soc"], dtype=float)
    temperature = np.asarray(case["temperature_c"], dtype=float)
    period = time_s[-1] - time_s[0]
    for k in range(int(case.get("repeat", 1))):
        model.update_battery_state(time_s + k * period, soc.copy(), temperature.copy())
    last = lambda table: {key: float(values[-1]) for key, values in table.items()}
    outputs = last(model.outputs)
    return {
        "id": case.get("id", ""),
        "model": case["model"],
        "q": outputs["q"],
        "r": outputs.get("r"),
        "outputs": outputs,
        "states": last(model.states),
        "t_days": float(model.stressors["t_days"][-1]),
        "efc": float(model.stressors["efc"][-1]),
    }


def main():
    source = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    cases = json.load(source)
    results = [run_case(case) for case in cases]
    text = json.dumps(results, indent=1)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as sink:
            sink.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
