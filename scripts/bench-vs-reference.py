#!/usr/bin/env python3
"""Per-process comparison with the reference tools (medians of whole command runs).

usage: scripts/bench-vs-reference.py [PEERS_DIR]   (default ~/.cache/signet, as .ci/run installs)
Runs from ../shared/data/pypi with the release binary in target/release.
"""
import os, sys

sys.dont_write_bytecode = True  # importing benchutil leaves no scripts/__pycache__ behind
from benchutil import median_run  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
peers = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/signet")
data = os.path.join(root, "..", "shared", "data", "pypi")
ident = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19"
dist = "pypi_attestations-0.0.19.tar.gz"
signet = [os.path.join(root, "target/release/signet"), "pypi", "verify", "attestation", "--offline", "--identity", ident, dist]
ref = [os.path.join(peers, "venv/bin/pypi-attestations"), "verify", "attestation", "--offline", "--identity", ident, dist]

(a, _), (b, _) = median_run(signet, 21, cwd=data), median_run(ref, 7, cwd=data)
print(f"verify 2 PEP 740 attestations of {dist}, whole process, median:")
print(f"  signet pypi verify attestation      {a * 1000:8.1f} ms")
print(f"  pypi-attestations verify attestation {b * 1000:8.1f} ms")
print(f"  ratio {b / a:.0f}x")
