#!/usr/bin/env bash
# run_corr.sh: the correlation benchmark (see bench/README.md).
#
#   1. a generated scenario (bench/gen_corr.c: BENCH_CORR_EVENTS events, default 1,000,000,
#      with one planted attack every 5,000 events) run end to end with the bundled rules:
#      `vigil run --rules rules/sigma`; the correlation alerts (rule id and group value) must
#      equal the generator's truth file exactly (no missing, no extra, no duplicate ids);
#      prints events/s, wall and CPU time, peak RSS
#   2. the correlator alone (bench/corr_bench.c): signals/s for event_count, value_count
#      with ~10,000 distinct values per window, temporal_ordered (each the fastest of
#      BENCH_REPEAT runs, default 3), and the state of 10,000,000 group keys (bytes per key,
#      peak RSS)
# The report goes to stdout and is appended to bench/results/corr-<date>.txt. Exits 1 if
# the alerts differ from the truth. About 2.5 minutes on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
events=${BENCH_CORR_EVENTS:-1000000}
signals=${BENCH_CORR_SIGNALS:-10000000}
keys=${BENCH_CORR_KEYS:-10000000}
build=${BENCH_BUILD_DIR:-build/release}
repeat=${BENCH_REPEAT:-3}
data=bench/data
results=bench/results/corr-$(date -u +%Y-%m-%d).txt
mkdir -p "$data" bench/results

echo "run_corr: building ($build)" >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target vigil vigil_gen_corr vigil_corr_bench >/dev/null

in=$data/corr-$events.jsonl
truth=$data/corr-$events.truth.tsv
if [ ! -s "$in" ] || [ ! -s "$truth" ] || [ bench/gen_corr.c -nt "$in" ]; then
    echo "run_corr: generating $events events" >&2
    "$build/bench/vigil_gen_corr" "$events" "$in" "$truth"
fi
work=$(mktemp -d "$data/run.XXXXXX")
trap 'rm -rf "$work"' EXIT

report() { echo "$*" | tee -a "$results"; }

report "== correlation benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) CPUs"
/usr/bin/time -f "%e %U %M" -o "$work/time" "$build/src/vigil" run -q --rules rules/sigma \
    --input "$in" >"$work/alerts" 2>"$work/err"
read -r wall user rss <"$work/time"
sed -E 's/.*"rule":\{"id":"([^"]*)".*"group":\{"[^"]*":"([^"]*)"\}.*/\1\t\2/' "$work/alerts" |
    LC_ALL=C sort >"$work/got"
LC_ALL=C sort "$truth" >"$work/want"
n_got=$(wc -l <"$work/got")
n_want=$(wc -l <"$work/want")
n_ids=$(grep -o '^{"id":"[0-9a-f]*"' "$work/alerts" | sort -u | wc -l)
missing=$(LC_ALL=C comm -13 "$work/got" "$work/want" | wc -l)
extra=$(LC_ALL=C comm -23 "$work/got" "$work/want" | wc -l)
dups=$((n_got - n_ids))
eps=$(awk -v n="$events" -v t="$wall" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')
report "scenario: $events events, $n_want planted attacks: $n_got correlation alerts, missing $missing, extra $extra, duplicate ids $dups"
report "scenario: vigil run (all bundled rules): ${wall} s wall, ${user} s user, $eps events/s, peak RSS $((rss / 1024)) MiB"
report "$(grep '^vigil: correlation' "$work/err")"
echo "run_corr: the correlator alone" >&2
# CPU time on a shared machine varies run to run: the fastest of BENCH_REPEAT runs is kept
for scenario in "count $signals 100000" "distinct $signals" "ordered $signals 100000"; do
    for _ in $(seq "$repeat"); do
        # shellcheck disable=SC2086
        "$build/bench/vigil_corr_bench" $scenario
    done | sort -t' ' -k1,1 | awk '{ for (i = 1; i <= NF; i++) if ($i == "signals/s") print $(i - 1), $0 }' |
        sort -n | tail -1 | cut -d' ' -f2- | tee -a "$results"
done
"$build/bench/vigil_corr_bench" keys 0 "$keys" | tee -a "$results"
if [ "$missing" -ne 0 ] || [ "$extra" -ne 0 ] || [ "$dups" -ne 0 ]; then
    echo "run_corr: the correlation alerts differ from the truth" >&2
    exit 1
fi
