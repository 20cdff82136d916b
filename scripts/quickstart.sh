#!/usr/bin/env bash
# The README's main job: build Signet, start a private Sigstore instance on embedded storage,
# sign README.md against it and verify the bundle. Stops the instance on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
SIGNET=./target/release/signet
DATA="${SIGNET_DATA_DIR:-$(mktemp -d)}"
PORT="${SIGNET_PORT:-3000}"
"$SIGNET" serve --dev-issuer --data-dir "$DATA" --listen "127.0.0.1:$PORT" 2>"$DATA.serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
TOKEN=$("$SIGNET" serve token --data-dir "$DATA" --email you@example.com)
"$SIGNET" --trust-config "$DATA/trust_config.json" sign --overwrite --identity-token "$TOKEN" README.md
"$SIGNET" --trust-config "$DATA/trust_config.json" verify identity \
  --cert-identity you@example.com --cert-oidc-issuer "http://127.0.0.1:$PORT/oidc" README.md
