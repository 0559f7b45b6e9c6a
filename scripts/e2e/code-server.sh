#!/usr/bin/env bash
# Inference Lens in a real VS Code, offline: code-server (VS Code 1.100 web workbench + server-side
# Node extension host) in headless Chromium, driven by playwright-core.
#   ui    - installs the packaged .vsix into a fresh profile; scripts/e2e/driver/ui-smoke.mjs checks the
#           Problems panel, a hover and a palette command; screenshots in .e2e/shots/
#   suite - the VS Code API suite (test/editor/suite, the @vscode/test-electron run() entry) inside the
#           extension host, with the unpacked .vsix as the development extension
# Usage: scripts/e2e/code-server.sh [ui] [suite]    (default: both; needs `npm run package`,
#        `node scripts/build.mjs --tests` and the example model; installs code-server into .e2e/cs once)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PARTS=${*:-ui suite}
PORT=${E2E_PORT:-8123}
VSIX="$ROOT/inference-lens-$(node -p 'process.platform + "-" + process.arch').vsix"
[ -f "$VSIX" ] || { echo "$VSIX missing: npm run package" >&2; exit 1; }
[ -f "$ROOT/out/test/editor/suite/index.js" ] || { echo "out/test/editor missing: node scripts/build.mjs --tests" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
"$ROOT/scripts/e2e/install-code-server.sh" "$E2E/cs" | tail -1
CS="$E2E/cs/node_modules/.bin/code-server"
SHOTS="$E2E/shots"; mkdir -p "$SHOTS"

new_profile() { # DIR: empty user data + extensions dirs, settings that keep the UI quiet, a workspace copy
  rm -rf "$1"; mkdir -p "$1/ud/User" "$1/exts"; : > "$1/config.yaml"
  new_workspace "$1/ws"
  cat > "$1/ud/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "workbench.tips.enabled": false, "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "security.workspace.trust.enabled": false,
  "update.mode": "none", "workbench.enableExperiments": false, "chat.commandCenter.enabled": false,
  "git.enabled": false, "typescript.tsc.autoDetect": "off", "npm.autoDetect": "off" }
JSON
}
CS_PID=
cs_args() { echo --config "$1/config.yaml" --user-data-dir "$1/ud" --extensions-dir "$1/exts"; }
start_cs() { # DIR. setsid: its own process group, so stop_cs also ends the file watcher and ext host
  setsid "$CS" $(cs_args "$1") --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry \
    --disable-update-check --disable-workspace-trust > "$1/code-server.log" 2>&1 < /dev/null &
  CS_PID=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.2; done
  echo "code-server did not come up" >&2; cat "$1/code-server.log" >&2; return 1
}
stop_cs() { if [ -n "$CS_PID" ]; then kill -- -"$CS_PID" 2>/dev/null || true; wait "$CS_PID" 2>/dev/null || true; CS_PID=; fi; }
trap stop_cs EXIT

FAIL=0
for part in $PARTS; do
  case $part in
    ui)
      P="$E2E/cs-ui"; new_profile "$P"
      "$CS" $(cs_args "$P") --install-extension "$VSIX" | tail -1
      start_cs "$P"; lap "code-server up (ui)"
      rm -f "$SHOTS"/*.png
      node "$ROOT/scripts/e2e/driver/ui-smoke.mjs" "http://127.0.0.1:$PORT/?folder=$P/ws" "$SHOTS" || { FAIL=1; tail -30 "$P/code-server.log"; }
      stop_cs; lap "ui smoke done (screenshots: $SHOTS)";;
    suite)
      P="$E2E/cs-suite"; new_profile "$P"
      # the development extension is the packaged one, unpacked: what users install is what runs
      rm -rf "$E2E/vsix"; mkdir -p "$E2E/vsix"; unzip -q "$VSIX" -d "$E2E/vsix"
      start_cs "$P"; lap "code-server up (suite)"
      node "$ROOT/scripts/e2e/driver/host-tests.mjs" "http://127.0.0.1:$PORT/" "$P/ws" "$E2E/vsix/extension" \
        "$ROOT/out/test/editor/suite/index" "$SHOTS/suite.png" || { FAIL=1; tail -30 "$P/code-server.log"; }
      stop_cs; lap "VS Code API suite done";;
    *) echo "unknown part: $part (ui, suite)" >&2; exit 2;;
  esac
done
exit $FAIL
