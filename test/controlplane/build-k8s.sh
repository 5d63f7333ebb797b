#!/usr/bin/env bash
# Builds etcd + kube-apiserver + kube-controller-manager 1.20.2 from Debian's `kubernetes` source
# package (see shared/reference/test-control-plane.md) and caches them, keyed by package version.
# Prints the cache folder (holding kube-apiserver, kube-controller-manager, etcd) on its last line.
# Idempotent: a second run with the cache present does nothing.
set -euo pipefail

PKG_VERSION="1.20.5+really1.20.2"
CACHE_ROOT="${FIXOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fixops}"
OUT="$CACHE_ROOT/controlplane-$PKG_VERSION"

log() { echo "[build-k8s] $*" >&2; }

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/kube-controller-manager" && -x "$OUT/etcd" ]]; then
  log "cached in $OUT"
  echo "$OUT"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

if [[ ! -f /etc/apt/sources.list.d/debsrc.sources ]] && ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  log "enabling Debian source lists"
  $SUDO tee /etc/apt/sources.list.d/debsrc.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
log "apt-get update / install build dependencies"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -qq golang-go etcd-server rsync golang-github-modern-go-reflect2-dev dpkg-dev >&2

WORK="$CACHE_ROOT/build"
mkdir -p "$WORK"
cd "$WORK"
SRC_DIR="kubernetes-$PKG_VERSION"
if [[ ! -d "$SRC_DIR" ]]; then
  log "apt-get source kubernetes"
  apt-get source -qq "kubernetes=$PKG_VERSION" >&2 || apt-get source -qq kubernetes >&2
fi
cd "$SRC_DIR"

# reflect2 1.0.1 (vendored) crashes the API server under Go >= 1.18 (SIGSEGV in mapiterinit).
log "patching vendored reflect2 with Debian's 1.0.2"
rm -rf vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2
rm -f vendor/github.com/modern-go/reflect2/go.mod

mkdir -p .go/src/k8s.io
[[ -e .go/src/k8s.io/kubernetes ]] || ln -s ../../.. .go/src/k8s.io/kubernetes
mkdir -p "$WORK/home"
log "make kube-apiserver kube-controller-manager (several minutes on 2 cores)"
GOPATH="$PWD/.go" CGO_ENABLED=0 HOME="$WORK/home" \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2

mkdir -p "$OUT.tmp"
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$OUT.tmp/"
cp "$(command -v etcd || echo /usr/bin/etcd)" "$OUT.tmp/etcd"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
# The source tree and Go build cache are large; keep only the binaries.
cd / && rm -rf "$WORK"
log "built into $OUT"
echo "$OUT"
