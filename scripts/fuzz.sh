#!/usr/bin/env bash
# fuzz.sh: build the libFuzzer targets (clang, ASan+UBSan) and run each for a given time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default 600 s each, every tests/fuzz/fuzz_*.c
#
# Inputs are capped per target (-max_len: 8 KiB for event and corr_snapshot, whose bounds
# and snapshots are reached well within that, 64 KiB for the others).
# Each target starts from its kept inputs (tests/data/fuzz/<name>/, copied to a scratch corpus
# under build/fuzz/corpus/<name>, which grows run after run) and runs for SECONDS. One line per
# target: executions, executions/s, coverage (edges and features), corpus size, and the result
# (ok, or the crash/leak/timeout file libFuzzer wrote). Exit status 1 if any target found
# something. Needs clang and libclang-rt (Debian: clang, libclang-rt-14-dev); installs them
# like dev.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
need=()
for p in clang libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Asan -DVIGIL_FUZZ=ON \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DBUILD_TESTING=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        targets+=("$(basename "$f" .c)")
    done
fi
cmake --build build/fuzz -j "$(nproc)" --target "${targets[@]}" >&2
status=0
for t in "${targets[@]}"; do
    name=${t#fuzz_}
    corpus=build/fuzz/corpus/$name
    mkdir -p "$corpus" build/fuzz/found/$name
    [ -d "tests/data/fuzz/$name" ] && cp -n tests/data/fuzz/"$name"/* "$corpus"/ 2>/dev/null || true
    log=build/fuzz/$name.log
    # the largest input: what reaches every bound of the target and no more (time per input
    # grows with its length)
    case $name in
    event) max_len=8192 ;;         # records over 4 KiB are oversized, events of 1024 nodes
    corr_snapshot) max_len=8192 ;; # snapshots of its ruleset are under 2 KiB
    *) max_len=65536 ;;
    esac
    set +e
    ASAN_OPTIONS=detect_leaks=1 ./build/fuzz/"$t" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix=build/fuzz/found/"$name"/ "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
    files=$(find "$corpus" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="FOUND: $(ls build/fuzz/found/"$name" | head -3 | tr '\n' ' ')(see $log)"
        status=1
    fi
    printf '%-16s %6ss %12s runs %8s/s  %-20s corpus %5s  %s\n' "$name" "$secs" "$runs" "$speed" \
        "$cov" "$files" "$result"
done
exit $status
