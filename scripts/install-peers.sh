#!/usr/bin/env bash
# Install the peer clients the interop tests drive, once, under SIGNET_PEERS_DIR (default
# ~/.cache/signet): sigstore-python 4.5.1 (+ pypi-attestations) in a venv, sigstore-js
# (@sigstore/cli, sigstore) in node_modules. Needs python3 and npm (the package registries).
set -euo pipefail
PEERS="${SIGNET_PEERS_DIR:-$HOME/.cache/signet}"
mkdir -p "$PEERS"
if [ ! -x "$PEERS/venv/bin/sigstore" ] || ! "$PEERS/venv/bin/sigstore" --version 2>/dev/null | grep -q '4.5.1'; then
  python3 -m venv "$PEERS/venv"
  "$PEERS/venv/bin/pip" install -q --disable-pip-version-check 'sigstore==4.5.1' pypi-attestations
fi
if [ ! -d "$PEERS/node/node_modules/sigstore" ] || [ ! -d "$PEERS/node/node_modules/@sigstore/cli" ]; then
  mkdir -p "$PEERS/node"
  (cd "$PEERS/node" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent --no-audit --no-fund @sigstore/cli sigstore)
fi
