#!/usr/bin/env bash
# Go host: gofmt, go vet and go test for examples/go, linked against the static and then the
# shared libagentsched. Run from the repository root after `cargo build --release`.
# Prints one line per step; a failing step prints its output.
set -euo pipefail
cd "$(dirname "$0")/.."
lib=$PWD/target/release
start=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# step NAME CMD...: runs CMD quietly; prints "go.sh: ok: NAME[: SUMMARY] (T s)", where SUMMARY
# is what CMD wrote to $tmp/summary, or CMD's output and "go.sh: FAILED: NAME" on failure.
step() {
  local name=$1 t0=$SECONDS
  shift
  : >"$tmp/summary"
  if ! "$@" >"$tmp/log" 2>&1; then
    cat "$tmp/log"
    echo "go.sh: FAILED: $name"
    exit 1
  fi
  local summary
  summary=$(cat "$tmp/summary")
  echo "go.sh: ok: $name${summary:+: $summary} ($((SECONDS - t0)) s)"
}

for f in libagentsched.a libagentsched.so; do
  [[ -f $lib/$f ]] || { echo "go.sh: $lib/$f missing: run cargo build --release first" >&2; exit 1; }
done

install_go() { apt-get update && apt-get install -y golang-go; }
command -v go >/dev/null 2>&1 || step "install golang-go" install_go
echo "go.sh: $(go version)"

# No module proxy, no toolchain download, no VCS stamping; GOPATH and the build cache in a
# temporary directory (works without $HOME, leaves nothing behind).
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-buildvcs=false GOPATH=$tmp/gopath \
  GOCACHE=$tmp/gocache CGO_ENABLED=1
cd examples/go

gofmt_clean() {
  local bad
  bad=$(gofmt -l .)
  [[ -z $bad ]] || { echo "not gofmt-clean: $bad"; return 1; }
}

# go_test LDFLAGS [ENV...]: go test -count=1 ./..., summarised as "N passed, M skipped".
go_test() {
  local flags=$1
  shift
  env CGO_LDFLAGS="$flags" "$@" go test -count=1 -v ./... >"$tmp/test.log" 2>&1 || { cat "$tmp/test.log"; return 1; }
  echo "$(grep -c -- '^--- PASS' "$tmp/test.log") passed, $(grep -c -- '^--- SKIP' "$tmp/test.log" || true) skipped" >"$tmp/summary"
}

# linked yes|no LDFLAGS: whether a test binary built with LDFLAGS loads libagentsched.so.
linked() {
  local want=$1 bin=$tmp/agentsched-$1.test got=no
  CGO_LDFLAGS=$2 go test -c -o "$bin" .
  # grep reads all of ldd's output: with -q it may exit first, and under pipefail ldd's SIGPIPE
  # would fail the pipeline (a flaky "no").
  if ldd "$bin" | grep 'libagentsched\.so' >/dev/null; then got=yes; fi
  echo "loads libagentsched.so: $got" >"$tmp/summary"
  [[ $got == "$want" ]]
}

static="$lib/libagentsched.a -lm -ldl -lpthread"
shared="-L$lib -lagentsched -Wl,-rpath,$lib"

step "gofmt" gofmt_clean
step "go vet (static)" env CGO_LDFLAGS="$static" go vet ./...
# GODEBUG=cgocheck=2 (go <= 1.20) also checks every pointer passed to C for Go pointers inside.
step "go test (static)" go_test "$static" GODEBUG=cgocheck=2
step "static link" linked no "$static"
step "go vet (shared)" env CGO_LDFLAGS="$shared" go vet ./...
step "go test (shared)" go_test "$shared"
step "shared link" linked yes "$shared"

echo "go.sh: all passed ($((SECONDS - start)) s)"
