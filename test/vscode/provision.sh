#!/usr/bin/env bash
# Prepares this machine for the VS Code tests; `npm run test:vscode` runs it first. Idempotent and quick when done.
#
#  1. Debian packages: chromium (the headless workbench), ripgrep, and libkrb5-dev (code-server's VS Code builds
#     the `kerberos` native module while it installs). Installed with apt-get when missing (as root, or via sudo).
#  2. code-server's install runs @vscode/ripgrep's postinstall, which downloads ripgrep from GitHub; where GitHub
#     cannot be reached that fails `npm ci`. Its download cache is pre-seeded with Debian's rg instead, so it never
#     downloads. The versions come from code-server 4.100.3's npm-shrinkwrap.json (@vscode/ripgrep 1.15.11, which
#     fetches ripgrep v13.0.0-10): change them together with code-server's version in code-server/package.json.
#  3. code-server itself, from test/vscode/code-server/package-lock.json, into test/vscode/code-server/node_modules —
#     not the project's own node_modules, so `npm ci` for the project never needs steps 1–2.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

ripgrep_package_version=1.15.11
ripgrep_release=v13.0.0-10

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q "install ok installed" || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
    echo "== installing ${missing[*]} (apt-get)"
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { echo "error: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "$(uname -m)" in
    x86_64) target=x86_64-unknown-linux-musl ;;
    aarch64) target=aarch64-unknown-linux-musl ;;
    *) echo "error: no ripgrep target known for $(uname -m)" >&2; exit 1 ;;
esac
# The same folder @vscode/ripgrep computes: path.join(os.tmpdir(), `vscode-ripgrep-cache-${version}`).
cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-${ripgrep_package_version}"
asset="$cache/ripgrep-${ripgrep_release}-${target}.tar.gz"
if [[ ! -s $asset ]]; then
    mkdir -p "$cache"
    tar -czf "$asset.partial" -C "$(dirname "$(command -v rg)")" rg
    mv "$asset.partial" "$asset"
    echo "== seeded $asset with $(command -v rg) ($(rg --version | head -1))"
fi
host="$here/code-server"
stamp="$host/node_modules/.llamahome-installed"
if [[ ! -f $host/node_modules/code-server/lib/vscode/out/server-main.js || ! -f $stamp || $host/package-lock.json -nt $stamp ]]; then
    echo "== installing code-server for the VS Code tests (npm ci in $host, ~2 minutes)"
    # code-server's postinstall refuses to run as root without unsafe-perm; node-pty's `npx node-gyp` needs yes=true
    # where ~/.npmrc says yes=false.
    (cd "$host" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
fi
echo "== ready for the VS Code tests: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), ripgrep cache $asset"
