#!/usr/bin/env bash
# Neovim as a real LSP client: headless nvim (0.7+, Debian's `neovim`) runs test/editor/nvim/init.lua
# against the built server (dist/server.js) on examples/app/serve.py. Writes .e2e/nvim/result.json.
# Usage: scripts/e2e/nvim.sh [path/to/server.js]      (needs `npm run build` and the example model)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SERVER=${1:-$ROOT/dist/server.js}
command -v nvim >/dev/null || { echo "nvim not found: apt-get install -y neovim" >&2; exit 1; }
[ -f "$SERVER" ] || { echo "$SERVER missing: npm run build" >&2; exit 1; }
NV="$E2E/nvim"; new_workspace "$NV/ws"
rm -f "$NV/result.json"
cd "$NV/ws"
# -i NONE: no shada file; the timeout is a backstop, init.lua gives up by itself after 30 s per step
INFERENCE_LENS_SERVER="$SERVER" INFERENCE_LENS_RESULT="$NV/result.json" \
  timeout 120 nvim --headless -i NONE -u "$ROOT/test/editor/nvim/init.lua" examples/app/serve.py && rc=0 || rc=$?
cat "$NV/result.json" 2>/dev/null || echo "(no result written)"; echo
if [ "$rc" = 0 ]; then echo "nvim: 1 passed, 0 failed"; else echo "nvim: 0 passed, 1 failed (exit $rc)"; fi
exit "$rc"
