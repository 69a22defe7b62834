#!/bin/sh
# Builds tendero_core and its cmocka suites with the system C compiler, sanitizers on, and
# runs them. Used by firmware/test/host.test.ts (npm test) and by hand:
#   firmware/test/run-host-tests.sh              build in a temporary directory, run all suites
#   firmware/test/run-host-tests.sh -b DIR       build only, into DIR (suites and tc_wire)
#   firmware/test/run-host-tests.sh DIR          build into DIR and run all suites
#   firmware/test/run-host-tests.sh --print-flags   the compiler flags, for host.test.ts's canary
set -eu

here=$(cd "$(dirname "$0")" && pwd)
core="$here/../components/tendero_core"
build_only=0
print_flags=0
if [ "${1:-}" = "--print-flags" ]; then print_flags=1; shift; fi
if [ "${1:-}" = "-b" ]; then build_only=1; shift; fi
if [ "$print_flags" = 1 ]; then
  out=/nonexistent
elif [ $# -ge 1 ]; then
  out=$1
  mkdir -p "$out"
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/tendero-fw.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi

CC=${CC:-cc}
# -fno-sanitize-recover: a UBSan finding fails the run instead of only printing.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
base="-std=c11 -Wall -Wextra -Werror -g -O1 $san -I$core/include"
# The portable core is held to more warnings than the tests: it runs on the ESP32.
strict="-Wpedantic -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes"
if [ "${print_flags:-0}" = 1 ]; then echo "$base"; exit 0; fi

suites="json payload command ring backoff failsafe config"

pids=""
for src in "$core"/src/*.c; do
  obj="$out/$(basename "$src" .c).o"
  # shellcheck disable=SC2086
  $CC $base $strict -c "$src" -o "$obj" &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done

pids=""
for s in $suites; do
  # shellcheck disable=SC2086
  $CC $base "$here/test_$s.c" "$out"/tc_*.o -lcmocka -lm -o "$out/test_$s" &
  pids="$pids $!"
done
# shellcheck disable=SC2086
$CC $base "$here/tc_wire.c" "$out"/tc_*.o -lm -o "$out/tc_wire" &
pids="$pids $!"
for pid in $pids; do wait "$pid"; done

[ "$build_only" = 1 ] && exit 0

failed=0
for s in $suites; do
  "$out/test_$s" || failed=1
done
exit $failed
