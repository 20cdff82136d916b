#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from ../shared/data (bundles, DSSE envelopes,
# PEP 740 attestations, trusted roots, TUF roots, Merkle test vectors), the embedded trust
# material, and the committed seeds in fuzz/seeds/ (see examples/gen_seeds.rs). Certificates,
# SCT lists, RFC 3161 timestamps, Rekor bodies, checkpoints and inclusion proofs are cut out of
# the bundles. Existing corpus files are kept (names are content hashes, so reruns add nothing).
# Usage: bash fuzz/seed.sh [DATA_DIR]   (default: ../shared/data beside the repository)
set -euo pipefail
FUZZ="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$FUZZ")"
DATA="${1:-$REPO/../shared/data}"
if [ ! -d "$DATA" ]; then
  echo "seed.sh: $DATA is missing; using only fuzz/seeds and the embedded trust material" >&2
fi

python3 - "$FUZZ" "$REPO" "$DATA" <<'PY'
import base64, hashlib, json, os, struct, sys
from pathlib import Path

fuzz, repo, data = (Path(p) for p in sys.argv[1:4])
corpus = fuzz / "corpus"
counts = {}


def add(target, blob):
    if isinstance(blob, str):
        blob = blob.encode()
    if not blob:
        return
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    p = d / hashlib.sha1(blob).hexdigest()
    if not p.exists():
        p.write_bytes(blob)
        counts[target] = counts.get(target, 0) + 1


def b64(s):
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4))
    except ValueError:
        return b""


def pem_der(text):
    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
    return b64(body)


def files(root, *suffixes):
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def load(p):
    """JSON documents in p: the whole file, or one per line (.jsonl)."""
    text = p.read_text(errors="replace")
    try:
        return [(text, json.loads(text))]
    except ValueError:
        out = []
        for line in text.splitlines():
            try:
                out.append((line, json.loads(line)))
            except ValueError:
                pass
        return out


def tlv(b, i):
    """(header length, content length) of the DER TLV at b[i:]."""
    n = b[i + 1]
    if n < 0x80:
        return 2, n
    k = n & 0x7F
    return 2 + k, int.from_bytes(b[i + 2 : i + 2 + k], "big")


SCT_OID = bytes.fromhex("060a2b06010401d679020402")


def sct_list(cert):
    """The TLS SCT list inside a certificate's SCT extension, if any."""
    i = cert.find(SCT_OID)
    if i < 0:
        return None
    i += len(SCT_OID)
    if cert[i] == 0x01:  # critical BOOLEAN
        i += 3
    try:
        for _ in range(2):  # extnValue OCTET STRING, then the inner OCTET STRING
            if cert[i] != 0x04:
                return None
            h, l = tlv(cert, i)
            i += h
        return cert[i : i + l]
    except IndexError:
        return None


KINDS = ["hashedrekord", "dsse", "intoto"]
VERSIONS = ["0.0.1", "0.0.2"]


def selector(kind, version):
    """The first byte of a rekor_body input: fuzz_targets/rekor_body.rs decodes it."""
    return bytes([KINDS.index(kind) + len(KINDS) * VERSIONS.index(version)])


def merkle_input(a, b, first, second, proof):
    head = struct.pack(">QQ", a % 2**64, b % 2**64)
    return head + first + second + b"".join(proof)


def tlog_entry(e):
    kv = e.get("kindVersion") or {}
    body = b64(e.get("canonicalizedBody", ""))
    kind, version = kv.get("kind"), kv.get("version")
    if kind in KINDS and version in VERSIONS:
        add("rekor_body", selector(kind, version) + body)
    p = e.get("inclusionProof") or {}
    env = (p.get("checkpoint") or {}).get("envelope")
    if env:
        add("checkpoint", env)
    if "hashes" in p:
        leaf = hashlib.sha256(b"\0" + body).digest()
        proof = [b64(h) for h in p["hashes"]]
        add("merkle", merkle_input(int(p["logIndex"]), int(p["treeSize"]), leaf, b64(p.get("rootHash", "")), proof))


def intoto_body(env):
    """A Rekor intoto 0.0.2 body for a DSSE envelope (the public data has none)."""
    sigs = [
        {"sig": base64.b64encode(s.get("sig", "").encode()).decode(),
         "publicKey": base64.b64encode(s.get("cert", "PEM").encode()).decode()}
        for s in env.get("signatures", [])
    ]
    content = {
        "envelope": {
            "payload": base64.b64encode(env.get("payload", "").encode()).decode(),
            "payloadType": env.get("payloadType", ""),
            "signatures": sigs,
        },
        "hash": {"algorithm": "sha256", "value": hashlib.sha256(json.dumps(env).encode()).hexdigest()},
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(b64(env.get("payload", ""))).hexdigest()},
    }
    body = {"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": content}}
    add("rekor_body", selector("intoto", "0.0.2") + json.dumps(body, separators=(",", ":")).encode())


def walk(v, parent=""):
    """Cut certificates, timestamps, log entries and DSSE envelopes out of any JSON document."""
    if isinstance(v, dict):
        if "canonicalizedBody" in v:
            tlog_entry(v)
        if "payloadType" in v and "signatures" in v:
            intoto_body(v)
        for k, x in v.items():
            if k == "rawBytes" and parent in ("certificate", "certificates") and isinstance(x, str):
                add("x509", b64(x))
            elif k == "certificate" and isinstance(x, str):  # PEP 740 verification material
                add("x509", b64(x))
            elif k == "cert" and isinstance(x, str):  # bare DSSE envelope signatures
                add("x509", pem_der(x))
            elif k == "signedTimestamp" and isinstance(x, str):
                add("tsa", b64(x))
            else:
                walk(x, k)
    elif isinstance(v, list):
        for x in v:
            walk(x, parent)


# Bundles, envelopes and attestations.
docs = files(data / "slsa", ".jsonl", ".json") + files(data / "pypi", ".sigstore", ".json", ".attestation", ".provenance")
docs += files(fuzz / "seeds" / "bundle", ".json")
for p in docs:
    for text, doc in load(p):
        add("bundle", text)
        if isinstance(doc, dict) and "mediaType" in doc:
            add("verify", text)
        walk(doc)

# Trust material: trusted roots, signing configs, TUF roots.
trust = files(data / "trust", ".json") + files(repo / "crates" / "signet-tuf" / "embedded", ".json")
trust += files(fuzz / "seeds" / "trusted_root", ".json")
for p in trust:
    text = p.read_text()
    doc = json.loads(text)
    if "signed" in doc:
        add("tuf_metadata", text)
    else:
        add("trusted_root", text)
        walk(doc)

# Hand-made TUF timestamp, snapshot and targets metadata (the public data has only roots).
h = {"sha256": "00" * 32, "sha512": "11" * 64}
for role, body in [
    ("timestamp", {"meta": {"snapshot.json": {"version": 3, "length": 900, "hashes": h}}}),
    ("snapshot", {"meta": {"targets.json": {"version": 7}, "registry.npmjs.org.json": {"version": 1}}}),
    ("targets", {"targets": {"trusted_root.json": {"length": 6000, "hashes": h, "custom": {"sigstore": {"status": "Active", "usage": "Unknown"}}}},
                 "delegations": {"keys": {}, "roles": []}}),
]:
    signed = {"_type": role, "spec_version": "1.0", "version": 3, "expires": "2030-01-01T00:00:00Z", **body}
    sigs = [{"keyid": "ab" * 32, "sig": "cd" * 64}]
    add("tuf_metadata", json.dumps({"signed": signed, "signatures": sigs}, indent=1))

# Merkle inclusion and consistency test vectors.
for p in files(data / "merkle", ".json"):
    v = json.loads(p.read_text())
    proof = [b64(x) for x in v.get("proof") or []]
    if "leafIdx" in v:
        add("merkle", merkle_input(v["leafIdx"], v["treeSize"], b64(v.get("leafHash") or ""), b64(v.get("root") or ""), proof))
    elif "size1" in v:
        add("merkle", merkle_input(v["size1"], v["size2"], b64(v.get("root1") or ""), b64(v.get("root2") or ""), proof))

# Committed binary seeds, then SCT lists from every certificate found.
for p in files(fuzz / "seeds" / "tsa", ".tsr"):
    add("tsa", p.read_bytes())
for p in files(corpus / "x509", ""):
    lst = sct_list(p.read_bytes())
    if lst:
        add("sct", lst)

# How many seeds each target starts from.
for t in ["bundle", "checkpoint", "merkle", "rekor_body", "sct", "trusted_root", "tsa", "tuf_metadata", "verify", "x509"]:
    (corpus / t).mkdir(parents=True, exist_ok=True)
    n = len(os.listdir(corpus / t))
    print(f"seed.sh: {t:13} {n:4} seeds ({counts.get(t, 0)} new)")
PY
