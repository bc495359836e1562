"""Runs iris-iqm (the Python port of MITRE BIQT-Iris, ISO/IEC 29794-6 metrics) on each image
path read from stdin, printing one JSON object per line with the metrics the Rust test
compares. Timing goes to stderr."""

import json
import sys
import time

import iris_iqm

FIELDS = [
    "error_code",
    "iris_center_x",
    "iris_center_y",
    "iris_diameter",
    "pupil_center_x",
    "pupil_center_y",
    "pupil_diameter",
    "iris_pupil_ratio",
    "usable_iris_area_percent",
    "iso_iris_sclera_contrast",
    "iso_iris_pupil_contrast",
    "iso_sharpness",
    "iso_greyscale_utilization",
    "iso_iris_pupil_concentricity",
    "iso_margin_adequacy",
    "overall_quality",
    "iso_overall_quality",
]

total = 0.0
n = 0
for line in sys.stdin:
    path = line.strip()
    if not path:
        continue
    t = time.perf_counter()
    d = iris_iqm.evaluate(path).to_dict()
    if n > 0:  # the first call includes numba's compilation
        total += time.perf_counter() - t
    n += 1
    print(json.dumps({k: d[k] for k in FIELDS}), flush=True)
if n > 1:
    print(f"iris-iqm: {1000 * total / (n - 1):.0f} ms per image after the first", file=sys.stderr)
