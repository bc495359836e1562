#!/usr/bin/env python3
"""NFIQ 2 oracle for rekam-biometrics' tests.

Reads PNG paths (500 ppi grey fingerprints) from the command line, or one per line on standard
input when none are given, and prints one NFIQ 2 score (0-100) per line, in order.

NFIQ 2 comes from the PyPI wheel nbis-py==0.1.3 (NBIS and NFIQ 2 bundled), which the test
installs in a virtual environment under target/. When NFIQ 2 cannot compute a score (the
wheel raises Nfiq2ComputeFailed, e.g. for an image without usable ridges or minutiae) the
score printed is 0, as NFIQ 2 itself reports for images it finds no fingerprint in.

Standard error gets the mean time per image in milliseconds (minutiae extraction and NFIQ 2).
"""
import sys
import time

import nbis


def main():
    paths = sys.argv[1:] or [line.strip() for line in sys.stdin if line.strip()]
    settings = nbis.NbisExtractorSettings(
        min_quality=0.0,
        get_center=False,
        check_fingerprint=False,
        compute_nfiq2=True,
        ppi=500.0,
    )
    extractor = nbis.new_nbis_extractor(settings)
    total = 0.0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        start = time.perf_counter()
        try:
            score = extractor.extract_minutiae(data).quality().score
        except nbis.NbisError.Nfiq2ComputeFailed:
            score = 0
        total += time.perf_counter() - start
        print(score, flush=True)
    if paths:
        print(f"nfiq2 mean ms per image: {1000.0 * total / len(paths):.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
