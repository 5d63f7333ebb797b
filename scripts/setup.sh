#!/usr/bin/env bash
# Installs what FixOps needs on a Debian machine with Node 20: PostgreSQL (for the ledger and the
# tests), the npm packages, and the local control plane (built once from Debian's kubernetes source
# package and cached under ~/.cache/fixops). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
log() { echo "[setup] $*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "Node.js >= 20.19 is required (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  log "installing PostgreSQL from Debian"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >&2
fi

# `npm ci` cannot be used here: the registry lacks other platforms' optional binaries, so the
# lockfile omits them and `npm ci` refuses it. `npm install` keeps the lockfile as it is.
if [[ ! -d node_modules || package.json -nt node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm install"
  npm install --no-audit --no-fund --loglevel=error >&2
fi

log "control plane binaries"
bash test/controlplane/build-k8s.sh >/dev/null
