#!/bin/sh
# Builds tendero_core and its cmocka suites with the system C compiler, sanitizers on, and
# runs them. Used by firmware/test/host.test.ts (npm test) and by hand:
#   firmware/test/run-host-tests.sh              build in a temporary directory, run all suites
#   firmware/test/run-host-tests.sh -b DIR       build only, into DIR (suites and tc_wire)
#   firmware/test/run-host-tests.sh -b DIR tc_wire   build only the named programs
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
  shift
  mkdir -p "$out"
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/tendero-fw.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi

CC=${CC:-cc}
# -fno-sanitize-recover: a UBSan finding fails the run instead of only printing.
# -O0 keeps the build fast (npm test runs it every time); the sanitizers need no optimisation.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
base="-std=c11 -Wall -Wextra -Werror -g -O0 $san -I$core/include"
# The portable core is held to more warnings than the tests: it runs on the ESP32.
strict="-Wpedantic -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes"
if [ "${print_flags:-0}" = 1 ]; then echo "$base"; exit 0; fi

suites="json payload command ring backoff failsafe config debounce"
targets=${*:-$suites tc_wire}

pids=""
for src in "$core"/src/*.c; do
  obj="$out/$(basename "$src" .c).o"
  # shellcheck disable=SC2086
  $CC $base $strict -c "$src" -o "$obj" &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done

pids=""
for t in $targets; do
  case $t in
    tc_wire) src="$here/tc_wire.c" libs="-lm" ;;
    *) src="$here/test_$t.c" libs="-lcmocka -lm"; t="test_$t" ;;
  esac
  # shellcheck disable=SC2086
  $CC $base "$src" "$out"/tc_*.o $libs -o "$out/$t" &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done

[ "$build_only" = 1 ] && exit 0

failed=0
for s in $targets; do
  [ "$s" = tc_wire ] && continue
  "$out/test_$s" || failed=1
done
exit $failed
