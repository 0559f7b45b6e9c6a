#!/usr/bin/env bash
# Installs code-server (VS Code's web workbench + a server-side Node extension host) and playwright-core
# into their own folder, default .e2e/cs (gitignored, own package.json, so the extension's lockfile
# stays clean). Works offline: only the npm registry and Debian apt are needed. Reuses an install.
# Usage: scripts/e2e/install-code-server.sh [dir]      Env: SKIP_APT=1 when the apt packages are present.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:-$ROOT/.e2e/cs}
CS_VERSION=4.100.3            # VS Code 1.100.3 on Node 20; newer ones need Node 22+ or ignore the test payload
PLAYWRIGHT_VERSION=1.65.1     # playwright-core only: no browser download, drives Debian's chromium
# @vscode/ripgrep as pinned by code-server 4.100.3's lib/vscode/npm-shrinkwrap.json, and the asset it fetches
RG_PKG_VERSION=1.15.11
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

if [ -x "$DIR/node_modules/.bin/code-server" ] && [ -f "$DIR/node_modules/playwright-core/package.json" ] \
   && [ "$("$DIR/node_modules/.bin/code-server" --config "$DIR/config.yaml" --version 2>/dev/null | head -1 | cut -d' ' -f1)" = "$CS_VERSION" ]; then
  echo "code-server $CS_VERSION already in $DIR"; exit 0
fi

# Build deps of code-server's native modules (kerberos needs gssapi headers), ripgrep to stand in for
# @vscode/ripgrep's GitHub download, chromium for the browser driver.
if [ "${SKIP_APT:-0}" != 1 ] && ! { command -v rg && command -v chromium && dpkg -s libkrb5-dev; } >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq libkrb5-dev ripgrep chromium make g++ pkg-config >/dev/null
fi

# @vscode/ripgrep's postinstall downloads rg from api.github.com (unreachable here): seed its cache in
# os.tmpdir() with Debian's rg so it logs "Using cached download" instead.
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RG_PKG_VERSION"
if [ ! -s "$RG_CACHE/$RG_ASSET" ]; then
  tmp=$(mktemp -d); cp "$(command -v rg)" "$tmp/rg"
  mkdir -p "$RG_CACHE"; tar czf "$RG_CACHE/$RG_ASSET" -C "$tmp" rg; rm -rf "$tmp"
fi

mkdir -p "$DIR"; cd "$DIR"
[ -f package.json ] || echo '{"name":"inference-lens-e2e-host","private":true}' > package.json
: > config.yaml   # an empty config keeps code-server away from ~/.config/code-server
# npm_config_unsafe_perm: code-server's postinstall refuses to run as root without it (npm 11 only warns).
# npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which a `yes=false` npmrc would cancel.
npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
"$DIR/node_modules/.bin/code-server" --config "$DIR/config.yaml" --version
