#!/usr/bin/env bash
# dev.sh: set up, build and run vigil on a Debian 12 machine.
#
#   ./dev.sh demo    install what is missing, build (Release) and run the bundled rules over
#                    the bundled sample traffic: alerts on stdout, a summary on stderr
#   ./dev.sh test    install what is missing, build and run the whole test suite in a Debug
#                    build with -Werror and in an ASan+UBSan build, the threaded pipeline's
#                    tests in a ThreadSanitizer build, and the unit tests under valgrind
#   ./dev.sh memcheck  install what is missing, build the Debug tree and run the unit tests
#                    (unit/ and src/) under valgrind memcheck: any error or leak fails
#   ./dev.sh build   install what is missing and build the Release binary (build/release)
#   ./dev.sh deps    only install the missing Debian packages
#
# Packages are installed with apt-get (as root, or through sudo). Nothing else is fetched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
jobs=$(nproc 2>/dev/null || echo 2)

packages=(build-essential cmake pkg-config libyaml-dev libpcre2-dev libcmocka-dev libvectorscan-dev
    librdkafka-dev libhiredis-dev libprotobuf-c-dev protobuf-c-compiler libmicrohttpd-dev
    redis-server clang-format valgrind)

deps() {
    local missing=()
    for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR TYPE [extra cmake args]
    local dir=$1 type=$2
    shift 2
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" >&2 # progress on stderr: stdout is for alerts
}

demo() {
    build build/release Release -DBUILD_TESTING=OFF
    local s=rules/samples
    ./build/release/src/vigil run --rules rules/sigma \
        --input "$s/windows.json" \
        --format syslog --input "$s/linux.log" \
        --format json --input "$s/web.jsonl" --input "$s/cloudtrail.jsonl" \
        --input "$s/correlation.jsonl"
}

run_tests() {
    local dir=$1
    (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

test_all() {
    build build/debug Debug -DVIGIL_WERROR=ON
    run_tests build/debug
    # the threaded pipeline under ThreadSanitizer (its tests are the integration ones; not
    # those that run Kafka clients: librdkafka's own threads are not instrumented and crash
    # TSan)
    build build/tsan Tsan -DVIGIL_WERROR=ON
    (cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R integration \
        -E 'integration/test_(kafka|daemon|replay)')
    build build/asan Asan -DVIGIL_WERROR=ON
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_tests build/asan
    memcheck
    scripts/check-source.sh
}

# The unit tests (ctest names unit modules' and src/; not integration/, conformance/ or
# fuzz/) under valgrind memcheck in the Debug build: one line per test, then a summary.
# A test fails on any memcheck error (uninitialised read, bad access) and on memory lost
# (definitely or indirectly); the valgrind log of each failing test is printed.
memcheck() {
    build build/debug Debug -DVIGIL_WERROR=ON
    local logs=build/debug/Testing/Temporary start=$SECONDS rc=0
    rm -f "$logs"/MemoryChecker.*.log
    (cd build/debug && ctest -T memcheck -j "$jobs" -E '^(integration|conformance|fuzz)/' \
        --overwrite MemoryCheckCommand="$(command -v valgrind)" \
        --overwrite MemoryCheckSuppressionFile="$here/tests/valgrind.supp" \
        --overwrite "MemoryCheckCommandOptions=--error-exitcode=1 --leak-check=full \
--errors-for-leak-kinds=definite,indirect") || rc=$?
    local log
    for log in "$logs"/MemoryChecker.*.log; do
        if [ -f "$log" ] && ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
            echo "== $log" >&2
            cat "$log" >&2
            rc=1
        fi
    done
    if [ $rc -eq 0 ]; then
        echo "dev.sh memcheck: every unit test clean under valgrind ($((SECONDS - start)) s)"
    else
        echo "dev.sh memcheck: FAILED (logs above; $((SECONDS - start)) s)" >&2
    fi
    return $rc
}

case "${1:-}" in
demo) deps && demo ;;
test) deps && test_all ;;
memcheck) deps && memcheck ;;
build) deps && build build/release Release -DBUILD_TESTING=OFF ;;
deps) deps ;;
*)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
