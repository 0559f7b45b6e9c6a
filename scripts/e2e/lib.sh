# Sourced by the scripts in scripts/e2e: paths, a clock, and a scratch workspace per run.
# Everything an editor writes (profiles, logs, caches, screenshots) stays under .e2e/ (gitignored).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E=${E2E_DIR:-$ROOT/.e2e}
mkdir -p "$E2E"
# code-server writes coder-logs to $XDG_DATA_HOME, VS Code a device id to $XDG_CACHE_HOME, Chromium
# crash reports to $XDG_CONFIG_HOME, Neovim its state/log to $XDG_STATE_HOME: keep them out of $HOME.
export XDG_DATA_HOME="$E2E/xdg/data" XDG_CACHE_HOME="$E2E/xdg/cache" XDG_CONFIG_HOME="$E2E/xdg/config" XDG_STATE_HOME="$E2E/xdg/state"
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
export T0=${T0:-$(date +%s)}   # one clock for editors.sh and the scripts it runs
lap() { echo "[e2e $(( $(date +%s) - T0 ))s] $*"; }

# new_workspace DIR: a fresh copy of examples/app and examples/models (the example model must be built:
# `node scripts/run-ts.mjs examples/build-model.ts`). Tests may edit it; the repo stays untouched.
new_workspace() {
  rm -rf "$1"; mkdir -p "$1/examples"
  [ -f "$ROOT/examples/models/intent_classifier.onnx" ] || { echo "examples/models/intent_classifier.onnx missing: run node scripts/run-ts.mjs examples/build-model.ts" >&2; return 1; }
  cp -r "$ROOT/examples/app" "$ROOT/examples/models" "$1/examples/"
  # a real model for the model-view tests (they skip without it), as test/helpers/paths.ts finds it
  local shared=${INFERENCE_LENS_MODELS:-$ROOT/../shared/models}
  [ ! -f "$shared/mlp_mnist_like.onnx" ] || cp "$shared/mlp_mnist_like.onnx" "$1/"
}
