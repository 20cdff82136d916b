#!/usr/bin/env python3
"""Benchmark `signet pypi audit` on a lockfile of N files against a loopback index, and compare
with verifying the same files one by one with pypi-attestations (per-process time x count).

usage: scripts/bench-pypi-audit.py [N] [PEERS_DIR]   (default 500, ~/.cache/signet)

The index is a static directory served by Python's http.server on 127.0.0.1: the PyPI
integrity API path of each distribution in ../shared/data/pypi that has provenance (three
real ones: GitHub, Google and CircleCI publishers). The pylock.toml lists N files, cycling
through them, each with its sha256 (so nothing is downloaded). The signet binary is
$CARGO_TARGET_DIR/release/signet (default target/release/signet).
"""
import hashlib, os, socket, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True  # importing benchutil leaves no scripts/__pycache__ behind
from benchutil import median_run  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
peers = sys.argv[2] if len(sys.argv) > 2 else os.path.expanduser("~/.cache/signet")
data = os.path.join(root, "..", "shared", "data")
target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
signet = os.path.join(target, "release", "signet")
dists = [
    ("pypi-attestations", "0.0.19", "pypi_attestations-0.0.19.tar.gz"),
    ("gcb-attestation-test", "0.0.0", "gcb_attestation_test-0.0.0.tar.gz"),
    ("circleci-sign-publish-example", "0.0.1.dev137",
     "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl"),
]

work = tempfile.mkdtemp(prefix="signet-audit-bench-")
lock = ["lock-version = \"1.0\"", "created-by = \"bench-pypi-audit\""]
for project, version, f in dists:
    d = os.path.join(work, "integrity", project, version, f)
    os.makedirs(d)
    with open(os.path.join(data, "pypi", f + ".provenance"), "rb") as src:
        open(os.path.join(d, "provenance"), "wb").write(src.read())
for i in range(n):
    project, version, f = dists[i % len(dists)]
    sha = hashlib.sha256(open(os.path.join(data, "pypi", f), "rb").read()).hexdigest()
    table = "[[packages.wheels]]" if f.endswith(".whl") else "[packages.sdist]"
    lock += ["", "[[packages]]", f"name = \"{project}\"", f"version = \"{version}\"", table,
             f"name = \"{f}\"", f"hashes = {{sha256 = \"{sha}\"}}"]
lockfile = os.path.join(work, "pylock.toml")
open(lockfile, "w").write("\n".join(lock) + "\n")

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                           "--directory", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        break
    except OSError:
        time.sleep(0.05)

# The server is stopped in `finally`, also when a failed run exits.
try:
    audit = [signet, "--trusted-root", os.path.join(data, "trust", "prod.trusted_root.json"),
             "pypi", "audit", "--index-url", f"http://127.0.0.1:{port}", lockfile]
    a, runs = median_run(audit, 5)
    print(f"signet pypi audit, {n} files (pylock.toml, loopback index), 5 runs: "
          f"median {a:.2f} s ({', '.join(f'{x:.2f}' for x in runs)}), {a / n * 1000:.2f} ms/file")
    ref_bin = os.path.join(peers, "venv", "bin", "pypi-attestations")
    if os.path.exists(ref_bin):
        ident = ("https://github.com/trailofbits/pypi-attestations/.github/workflows/"
                 "release.yml@refs/tags/v0.0.19")
        ref = [ref_bin, "verify", "attestation", "--offline", "--identity", ident,
               "pypi_attestations-0.0.19.tar.gz"]
        b, _ = median_run(ref, 5, cwd=os.path.join(data, "pypi"))
        print(f"pypi-attestations verify attestation, one file per process: median {b:.3f} s;"
              f" x {n} files = {b * n:.0f} s; ratio {b * n / a:.0f}x")
    else:
        print(f"(pypi-attestations not under {peers}: no comparison)")
finally:
    server.kill()
