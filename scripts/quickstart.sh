#!/usr/bin/env bash
# The README's main job: build Signet, start a private Sigstore instance on embedded storage,
# sign README.md against it and verify the bundle. Stops the instance on exit and removes its
# temporary data directory and log, unless SIGNET_DATA_DIR names a directory to keep.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*" >&2; }

say "building signet (release; the first build takes about 5 minutes, later ones seconds)"
cargo build --release --locked -p signet
SIGNET="${CARGO_TARGET_DIR:-target}/release/signet"

PORT="${SIGNET_PORT:-3000}"
if [ -n "${SIGNET_DATA_DIR:-}" ]; then
  DATA="$SIGNET_DATA_DIR"
  LOG="$DATA.serve.log"
  KEEP=1
else
  DATA="$(mktemp -d)"
  LOG="$(mktemp)"
  KEEP=0
fi
cleanup() {
  kill "${SERVER:-}" 2>/dev/null || true
  wait "${SERVER:-}" 2>/dev/null || true
  if [ "$KEEP" = 0 ]; then
    rm -rf "$DATA" "$LOG"
  else
    say "kept the instance's data in $DATA and its log in $LOG"
  fi
}
trap cleanup EXIT

say "starting a private instance on http://127.0.0.1:$PORT (data: $DATA, log: $LOG)"
"$SIGNET" serve --dev-issuer --data-dir "$DATA" --listen "127.0.0.1:$PORT" 2>"$LOG" &
SERVER=$!
up=0
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$SERVER" 2>/dev/null || break
  sleep 0.1
done
if [ "$up" = 0 ]; then
  say "the instance did not start; its log:"
  cat "$LOG" >&2
  exit 1
fi

say "minting an identity token for you@example.com from the instance's development issuer"
TOKEN=$("$SIGNET" serve token --data-dir "$DATA" --email you@example.com)
say "signing README.md (certificate from the CA, SCT, Rekor entry)"
"$SIGNET" --trust-config "$DATA/trust_config.json" sign --overwrite --identity-token "$TOKEN" README.md
say "verifying README.md.sigstore.json offline against the instance's trusted root"
"$SIGNET" --offline --trust-config "$DATA/trust_config.json" verify identity \
  --cert-identity you@example.com --cert-oidc-issuer "http://127.0.0.1:$PORT/oidc" README.md
say "done: README.md is signed and verified"
