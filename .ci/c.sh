#!/usr/bin/env bash
# The C side of the C ABI: exported symbols, the header as C11 and C++17, the C test suites
# (dispatcher, batch mapping, task graphs, their fault tolerance and their list schedules,
# consolidation plans, fair sharing) and the C quickstart against the static and the shared library,
# plainly, under valgrind and under clang's AddressSanitizer + UndefinedBehaviorSanitizer, and the
# pkg-config file.
#
# Run from anywhere after `cargo build --release` (honours CARGO_TARGET_DIR). Prints one line per
# step; on a failure prints that step's output and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

t_start=$SECONDS
target_dir=${CARGO_TARGET_DIR:-target}
lib_dir=$(cd "$target_dir/release" 2>/dev/null && pwd) || {
  echo "c: $target_dir/release is missing: run cargo build --release first" >&2
  exit 1
}
for f in libagentsched.a libagentsched.so; do
  [[ -f $lib_dir/$f ]] || { echo "c: $lib_dir/$f is missing: run cargo build --release first" >&2; exit 1; }
done

# A set LD_LIBRARY_PATH would take precedence over the shared builds' RUNPATH.
unset LD_LIBRARY_PATH

# The C test suites (tests/c/<name>.c); together they call every export.
SUITES=(abi_test mapping_test dag_test dag_fault_test dag_schedule_test consolidate_test fair_test hybrid_test cover_test vbp_test dispatch_estimate_test estimate_forecast_test estimate_runtime_test)
SUITE_SRCS=("${SUITES[@]/#/tests/c/}")
SUITE_SRCS=("${SUITE_SRCS[@]/%/.c}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0

# step NAME CMD...: runs CMD with its output in a log; one line on success (with the command's
# last output line, if any), the whole log on failure.
step() {
  local name=$1
  shift
  local t0=$SECONDS
  if "$@" >"$work/log" 2>&1; then
    passed=$((passed + 1))
    local last
    last=$(tail -n 1 "$work/log")
    echo "c: ok   $name ($((SECONDS - t0)) s)${last:+  | $last}"
  else
    echo "c: FAIL $name ($((SECONDS - t0)) s); output:"
    sed 's/^/  /' "$work/log"
    echo "c: $passed passed, 1 failed"
    exit 1
  fi
}

# Tools: a fresh machine may lack them.
install_pkg() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" || { apt-get update -qq && apt-get install -y -qq "$@"; }
}
command -v clang >/dev/null 2>&1 || step "install clang" install_pkg clang
command -v valgrind >/dev/null 2>&1 || step "install valgrind" install_pkg valgrind
command -v g++ >/dev/null 2>&1 || step "install g++" install_pkg g++
command -v pkg-config >/dev/null 2>&1 || step "install pkg-config" install_pkg pkg-config

CFLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -Iinclude)
# The list printed by `cargo rustc --release --lib --crate-type staticlib -- --print
# native-static-libs`; the "native static libs" step keeps it honest.
NATIVE_LIBS=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
STATIC=("$lib_dir/libagentsched.a" "${NATIVE_LIBS[@]}")
SHARED=(-L"$lib_dir" -lagentsched -Wl,-rpath,"$lib_dir")

symbols() {
  nm -D --defined-only "$lib_dir/libagentsched.so" | awk '$2=="T"{print $3}' | LC_ALL=C sort >"$work/symbols"
  diff -u include/agentsched.symbols "$work/symbols"
  echo "$(wc -l <"$work/symbols") exported functions, as listed"
}
step "exported symbols = include/agentsched.symbols" symbols

covered() {
  local missing=0 s
  while read -r s; do
    grep -q "\b$s(" "${SUITE_SRCS[@]}" ||
      { echo "not called by any of the C suites (${SUITES[*]}): $s"; missing=1; }
    grep -q "\b$s(" include/agentsched.h || { echo "not declared in include/agentsched.h: $s"; missing=1; }
  done <include/agentsched.symbols
  return $missing
}
step "every export declared and called by a C suite" covered

native_libs() {
  local printed
  printed=$(cargo rustc --release --lib --crate-type staticlib --quiet -- --print native-static-libs 2>&1 |
    sed -n 's/^note: native-static-libs: //p' | tail -n 1)
  [[ -n $printed ]] || { echo "cargo rustc printed no native-static-libs"; return 1; }
  echo "cargo rustc: $printed"
  [[ $printed == "${NATIVE_LIBS[*]}" ]] || { echo ".ci/c.sh has: ${NATIVE_LIBS[*]}"; return 1; }
  grep -qxF "native_static_libs=$printed" agentsched.pc.in || { echo "agentsched.pc.in differs"; return 1; }
  grep -qF -- "$printed" examples/c/README.md || { echo "examples/c/README.md differs"; return 1; }
}
step "native static libs = agentsched.pc.in = README" native_libs

step "header compiles as C11 (gcc -pedantic -Werror)" \
  gcc "${CFLAGS[@]}" -fsyntax-only -x c include/agentsched.h
step "header compiles as C11 (clang -pedantic -Werror)" \
  clang "${CFLAGS[@]}" -fsyntax-only -x c include/agentsched.h
header_cpp() {
  g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/header_check.cpp "${STATIC[@]}" \
    -o "$work/header_check"
  "$work/header_check"
}
step "header as C++17 (g++ -pedantic -Werror), linked and run" header_cpp

for prog in "${SUITES[@]}" quickstart; do
  src=tests/c/$prog.c
  [[ $prog == quickstart ]] && src=examples/c/quickstart.c
  step "build $prog (static)" gcc "${CFLAGS[@]}" -g "$src" "${STATIC[@]}" -o "$work/${prog}_static"
  step "build $prog (shared)" gcc "${CFLAGS[@]}" -g "$src" "${SHARED[@]}" -o "$work/${prog}_shared"
  step "build $prog (clang asan+ubsan, static)" clang "${CFLAGS[@]}" -g -O1 -fno-omit-frame-pointer \
    -fsanitize=address,undefined -fno-sanitize-recover=all "$src" "${STATIC[@]}" -o "$work/${prog}_asan"
done

# grep without -q reads all of readelf's output: with -q it may exit first, and under pipefail
# readelf's SIGPIPE would fail the pipeline (a flaky answer).
not_linked_to_so() { ! readelf -d "$1" | grep 'libagentsched\.so' >/dev/null; }
linked_to_so() { readelf -d "$1" | grep 'libagentsched\.so' >/dev/null; }
link_kinds() {
  local prog
  for prog in "${SUITES[@]}" quickstart; do
    not_linked_to_so "$work/${prog}_static" && linked_to_so "$work/${prog}_shared" || return 1
  done
}
step "static builds do not need libagentsched.so, shared ones do" link_kinds

VALGRIND=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for prog in "${SUITES[@]}" quickstart; do
  step "run $prog (static)" "$work/${prog}_static"
  step "run $prog (shared)" "$work/${prog}_shared"
  step "run $prog under valgrind (static)" "${VALGRIND[@]}" "$work/${prog}_static"
  step "run $prog under valgrind (shared)" "${VALGRIND[@]}" "$work/${prog}_shared"
  step "run $prog under clang asan+ubsan (static)" "$work/${prog}_asan"
done

# pkg-config: install as examples/c/README.md says, into a scratch prefix, and build from it.
pkgconfig() {
  local prefix=$work/prefix version
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
  install -Dm644 include/agentsched.h "$prefix/include/agentsched.h"
  install -Dm644 "$lib_dir/libagentsched.a" "$prefix/lib/libagentsched.a"
  install -Dm755 "$lib_dir/libagentsched.so" "$prefix/lib/libagentsched.so"
  mkdir -p "$prefix/lib/pkgconfig"
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" agentsched.pc.in >"$prefix/lib/pkgconfig/agentsched.pc"
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  pkg-config --validate agentsched
  [[ $(pkg-config --modversion agentsched) == "$version" ]]
  # shellcheck disable=SC2046
  gcc "${CFLAGS[@]}" examples/c/quickstart.c $(pkg-config --cflags --libs agentsched) \
    -Wl,-rpath,"$(pkg-config --variable=libdir agentsched)" -o "$work/qs_pc_shared"
  # shellcheck disable=SC2046
  gcc "${CFLAGS[@]}" examples/c/quickstart.c $(pkg-config --cflags agentsched) \
    "$(pkg-config --variable=archive agentsched)" $(pkg-config --variable=native_static_libs agentsched) \
    -o "$work/qs_pc_static"
  linked_to_so "$work/qs_pc_shared" && not_linked_to_so "$work/qs_pc_static"
  "$work/qs_pc_shared" >/dev/null && "$work/qs_pc_static" >/dev/null
  # With only the archive installed, --static gives a static link.
  rm "$prefix/lib/libagentsched.so"
  # shellcheck disable=SC2046
  gcc "${CFLAGS[@]}" examples/c/quickstart.c $(pkg-config --static --cflags --libs agentsched) -o "$work/qs_pc_static2"
  not_linked_to_so "$work/qs_pc_static2" && "$work/qs_pc_static2" >/dev/null
  echo "pkg-config $(pkg-config --modversion agentsched): shared and static builds run"
}
step "pkg-config install and builds" pkgconfig

echo "c: $passed passed, 0 failed ($((SECONDS - t_start)) s)"
