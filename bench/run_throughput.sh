#!/usr/bin/env bash
# run_throughput.sh: vigil's end-to-end throughput benchmark (see bench/README.md).
#
# Builds Release (build/release), generates a synthetic Sysmon-style corpus from SigmaHQ's
# regression events (bench/data/, cached per count/seed/generator version), then measures:
#   1. parse-only baseline: `vigil run` with bench/rules/never.yml (one rule, never fires)
#   2. all SigmaHQ rules (rules, rules-emerging-threats, rules-threat-hunting): events/s,
#      MB/s, alerts, wall time, peak RSS, and a detection check against the generator's truth
#   3. `vigil check` over the whole corpus (rules*), best of 3
# The table goes to stdout and is appended to bench/results/throughput-<date>.txt; progress
# goes to stderr. Needs SigmaHQ's corpus at <source root>/../shared/sigma (skips without it).
#
# Environment (all optional):
#   BENCH_EVENTS=1000000        events in the generated corpus
#   BENCH_RULES_EVENTS=200000   events (first lines of the corpus) for the all-rules pass;
#                               'all' for the whole corpus (slow: the reference evaluator
#                               does roughly 1,000 events/s per core with every rule loaded)
#   BENCH_SEED=1                generator seed
#   BENCH_TP_EVERY=100          one regression case (true positive) every this many events
#   BENCH_BUILD_DIR=build/release
#   SIGMA_DIR=<root>/../shared/sigma
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=${BENCH_EVENTS:-1000000}
rules_events=${BENCH_RULES_EVENTS:-200000}
seed=${BENCH_SEED:-1}
tp_every=${BENCH_TP_EVERY:-100}
build=${BENCH_BUILD_DIR:-$root/build/release}
sigma=${SIGMA_DIR:-$root/../shared/sigma}
data=$root/bench/data
results=$root/bench/results
jobs=$(nproc 2>/dev/null || echo 2)

progress() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() {
    echo "run_throughput.sh: $*" >&2
    exit 1
}

for v in "$count" "$seed" "$tp_every"; do
    [[ $v =~ ^[0-9]+$ ]] || die "BENCH_EVENTS, BENCH_SEED and BENCH_TP_EVERY must be numbers"
done
if [ "$rules_events" = all ] || [ "$rules_events" -gt "$count" ] 2>/dev/null; then
    rules_events=$count
fi
[[ $rules_events =~ ^[0-9]+$ ]] || die "BENCH_RULES_EVENTS must be a number or 'all'"

if [ ! -d "$sigma/rules" ] || [ ! -d "$sigma/regression" ]; then
    echo "run_throughput.sh: skipped: SigmaHQ corpus not found at $sigma" \
        "(expected <source root>/../shared/sigma with rules/ and regression/)"
    exit 0
fi
sigma=$(cd "$sigma" && pwd)

# ---- tools ----

timecmd=/usr/bin/time
if [ ! -x "$timecmd" ]; then
    progress "/usr/bin/time missing: trying to install Debian package 'time'"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        $sudo apt-get install -y -qq time >/dev/null; } 2>/dev/null; then
        progress "could not install 'time': peak RSS is read from /proc (VmHWM) instead"
    fi
    [ -x "$timecmd" ] || timecmd=""
fi

now() { date +%s.%N; }
# fmt_num N: 1234567 -> 1,234,567
fmt_num() { printf '%s' "$1" | sed -e ':a' -e 's/^\([0-9]\{1,\}\)\([0-9]\{3\}\)/\1,\2/' -e 'ta'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---- build ----

progress "building Release in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target vigil vigil_gen_events >/dev/null
vigil=$build/src/vigil
gen=$build/bench/vigil_gen_events
if [ ! -x "$vigil" ] || [ ! -x "$gen" ]; then die "build did not produce $vigil and $gen"; fi

# ---- corpus ----

mkdir -p "$data" "$results"
events=$data/events-$count-$seed-$tp_every.jsonl
truth=$data/events-$count-$seed-$tp_every.truth.tsv
meta=$data/events-$count-$seed-$tp_every.meta
want_meta="count=$count seed=$seed tp_every=$tp_every gen=$(cksum <"$root/bench/gen_events.c")"
want_meta="$want_meta regression=$(find "$sigma/regression" -type f | sort | cksum)"
if [ -s "$events" ] && [ -s "$truth" ] && [ -f "$meta" ] &&
    [ "$(head -1 "$meta")" = "$want_meta" ]; then
    progress "reusing $events"
else
    progress "generating $(fmt_num "$count") events into $events"
    rm -f "$meta"
    "$gen" --regression "$sigma/regression" --count "$count" --seed "$seed" \
        --tp-every "$tp_every" --out "$events" --truth "$truth" 2>"$data/gen.log" ||
        { cat "$data/gen.log" >&2; die "generator failed"; }
    { echo "$want_meta"; cat "$data/gen.log"; } >"$meta"
fi
gen_summary=$(tail -1 "$meta")
bytes=$(stat -c %s "$events")

rules_input=$events
rules_bytes=$bytes
if [ "$rules_events" -lt "$count" ]; then
    rules_input=$data/events-$count-$seed-$tp_every.head$rules_events.jsonl
    if [ ! -s "$rules_input" ] || [ "$rules_input" -ot "$events" ]; then
        head -n "$rules_events" "$events" >"$rules_input"
    fi
    rules_bytes=$(stat -c %s "$rules_input")
fi

# ---- measuring ----

# first_child PID: a child process of PID (empty if none)
first_child() {
    local c
    c=$(awk '{ print $1 }' "/proc/$1/task/$1/children" 2>/dev/null || true)
    [ -n "$c" ] || c=$(pgrep -P "$1" 2>/dev/null | head -1 || true)
    echo "$c"
}

# measure LABEL INPUT_BYTES OUT ERR CMD...: runs CMD with stdout to OUT and stderr to ERR,
# prints progress every 15 s (share of the input read, from /proc/PID/io) and sets m_rc,
# m_wall (s, taken around CMD alone), m_cpu (user + system s, "-" if unknown) and m_rss
# (peak RSS in KiB: /usr/bin/time -v, or the largest VmHWM seen while polling).
measure() {
    local label=$1 total=$2 out=$3 err=$4
    shift 4
    local tv=$data/time.txt fin=$data/done.txt pid vpid rss=0 t0 last h rchar
    rm -f "$tv" "$fin"
    t0=$(now)
    {
        set +e
        if [ -n "$timecmd" ]; then
            "$timecmd" -v -o "$tv" "$@" >"$out" 2>"$err"
        else
            "$@" >"$out" 2>"$err"
        fi
        echo "$? $(now)" >"$fin"
    } &
    pid=$!
    last=$(date +%s)
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.2
        # the deepest first descendant: vigil (under /usr/bin/time)
        vpid=$pid
        for _ in 1 2 3; do
            h=$(first_child "$vpid")
            [ -n "$h" ] || break
            vpid=$h
        done
        [ "$vpid" != "$pid" ] || continue
        h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$vpid/status" 2>/dev/null || true)
        if [ -n "$h" ] && [ "$h" -gt "$rss" ]; then rss=$h; fi
        if [ $(($(date +%s) - last)) -ge 15 ]; then
            last=$(date +%s)
            rchar=$(awk '/^rchar:/ { print $2 }' "/proc/$vpid/io" 2>/dev/null || echo 0)
            progress "  $label: $(calc '%.0f' "$(now) - $t0") s, about $(calc '%.0f' \
                "100 * ${rchar:-0} / $total")% of the input read"
        fi
    done
    wait "$pid" || true
    [ -s "$fin" ] || die "$label: no exit status recorded"
    read -r m_rc h <"$fin"
    m_wall=$(calc '%.3f' "$h - $t0")
    m_cpu=-
    m_rss=$rss
    if [ -n "$timecmd" ] && [ -s "$tv" ]; then
        h=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tv")
        [ -z "$h" ] || m_rss=$h
        m_cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 }
            END { printf "%.2f", s }' "$tv")
    fi
}

# summary_field ERRFILE WORD: N from "N WORD" on vigil's summary line
summary_field() {
    grep '^vigil: .* records' "$1" | tail -1 | grep -oE "[0-9]+ $2" | head -1 | cut -d' ' -f1
}

rules_dirs=()
for d in rules rules-emerging-threats rules-threat-hunting; do
    [ -d "$sigma/$d" ] && rules_dirs+=("$sigma/$d")
done

progress "warming the page cache"
cat "$events" >/dev/null

# 1. parse-only baseline
progress "parse-only baseline over $(fmt_num "$count") events"
measure parse-only "$bytes" /dev/null "$data/parse.err" "$vigil" run -q --rules "$root/bench/rules" \
    --format json --input "$events"
[ "$m_rc" -eq 0 ] || { cat "$data/parse.err" >&2; die "vigil run (parse only) failed"; }
p_wall=$m_wall p_rss=$m_rss p_cpu=$m_cpu
p_events=$(summary_field "$data/parse.err" events)
p_alerts=$(summary_field "$data/parse.err" alerts)

# 2. all rules: loading alone (empty input), then over the events
progress "loading all SigmaHQ rules (empty input)"
: >"$data/empty.jsonl"
measure rule-load 1 /dev/null "$data/load.err" "$vigil" run -q --rules "${rules_dirs[@]}" \
    --format json --input "$data/empty.jsonl"
[ "$m_rc" -eq 0 ] || { tail -5 "$data/load.err" >&2; die "vigil run (rule load) failed"; }
l_wall=$m_wall l_rss=$m_rss l_cpu=$m_cpu

progress "all SigmaHQ rules over $(fmt_num "$rules_events") events (roughly 1,000 events/s per core)"
alerts=$data/alerts.jsonl
measure all-rules "$rules_bytes" "$alerts" "$data/rules.err" "$vigil" run -q --rules "${rules_dirs[@]}" \
    --format json --input "$rules_input"
[ "$m_rc" -eq 0 ] || { tail -5 "$data/rules.err" >&2; die "vigil run (all rules) failed"; }
r_wall=$m_wall r_rss=$m_rss r_cpu=$m_cpu
r_events=$(summary_field "$data/rules.err" events)
r_alerts=$(summary_field "$data/rules.err" alerts)
r_loaded=$(grep -oE '^vigil: [0-9]+ rules loaded from [0-9]+ files \([0-9]+ rejected' \
    "$data/rules.err" | tail -1 | sed 's/^vigil: //; s/ (/, /')

# 3. detection check: (record, rule id) of every alert against the truth file
progress "checking alerts against the truth file"
awk '{
    id = ""; rec = ""
    if (match($0, /"rule":\{"id":"[^"]*"/)) id = substr($0, RSTART + 14, RLENGTH - 15)
    if (match($0, /"record":[0-9]+/)) rec = substr($0, RSTART + 9, RLENGTH - 9)
    if (id != "" && rec != "") print rec "\t" id
}' "$alerts" >"$data/hits.tsv"
check=$(awk -F'\t' -v limit="$rules_events" '
    FILENAME == ARGV[1] { hit[$1 SUBSEP $2] = 1; alerted[$1] = 1; next }
    {
        line = $1 + 0; inst = $3
        if (line >= limit) { cut[inst] = 1; next }
        rule[inst] = $2; need[inst] = $4 + 0; seen[inst] = 1; tp_line[line] = 1
        ev_total++
        if ((line SUBSEP $2) in hit) { ev_hit++; got[inst]++ }
    }
    END {
        for (i in seen) {
            if (i in cut) continue
            n_inst++
            if (got[i] >= need[i] && got[i] > 0) ok++
            else { missed++; miss_rule[rule[i]]++ }
        }
        for (l in alerted) if (!(l in tp_line)) fp_lines++
        printf "%d %d %d %d %d\n", ok, n_inst, ev_hit, ev_total, fp_lines
        for (r in miss_rule) printf "MISS %s %d\n", r, miss_rule[r]
    }' "$data/hits.tsv" "$truth")
read -r c_ok c_total c_ev_hit c_ev_total c_fp_lines <<<"$(head -1 <<<"$check")"
missed=$(grep '^MISS ' <<<"$check" | sort -k3,3nr -k2,2 || true)
fp_rules=$(awk -F'\t' 'NR == FNR { tp[$1] = 1; next } !($1 in tp) { print $2 }' \
    "$truth" "$data/hits.tsv" | sort | uniq -c | sort -rn | head -5 || true)

# 4. vigil check, best of 3
check_args=(-q)
ph=$root/tests/data/sigma_placeholders.yml
[ -f "$ph" ] && check_args+=(--placeholders "$ph")
check_dirs=("$sigma"/rules*)
best=""
for i in 1 2 3; do
    progress "vigil check on ${#check_dirs[@]} rule directories, run $i of 3"
    t0=$(now)
    set +e
    "$vigil" check "${check_args[@]}" "${check_dirs[@]}" >"$data/check.out" 2>&1
    k_rc=$?
    set -e
    t=$(calc '%.3f' "$(now) - $t0")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
done
k_summary=$(grep -E '^checked ' "$data/check.out" | tail -1 || true)

# ---- report ----

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
mb() { calc '%.1f' "$1 / 1000000"; }
row() { printf '%-36s %10s %8s %8s %10s %7s %8s %9s\n' "$@"; }
# rate N SECONDS: N / SECONDS, rounded, with thousands separators
rate() { fmt_num "$(calc '%.0f' "$1 / $2")"; }
mib() { echo "$(calc '%.0f' "$1 / 1024") MiB"; }
r_net=$(calc '%.3f' "$r_wall - $l_wall")

report=$(
    echo "== vigil throughput benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ) =="
    echo "commit   $commit"
    echo "machine  $jobs CPUs (nproc), ${cpu:-unknown CPU}, ${mem:-? GiB} RAM; vigil run is single-threaded"
    echo "load     $(awk '{ print $1, $2, $3 }' /proc/loadavg 2>/dev/null || echo '?') (1/5/15 min load average when done)"
    echo "build    Release ($build)"
    echo "corpus   $(fmt_num "$count") events, $(mb "$bytes") MB, seed $seed, one regression case every $tp_every events"
    echo "         ${gen_summary#vigil_gen_events: }"
    echo
    row "run" "events" "wall s" "cpu s" "events/s" "MB/s" "alerts" "peak RSS"
    row "parse only (bench/rules/never.yml)" "$(fmt_num "$p_events")" "$p_wall" "$p_cpu" \
        "$(rate "$p_events" "$p_wall")" "$(calc '%.1f' "$bytes / 1000000 / $p_wall")" \
        "$p_alerts" "$(mib "$p_rss")"
    row "all SigmaHQ rules, loading only" 0 "$l_wall" "$l_cpu" - - 0 "$(mib "$l_rss")"
    row "all SigmaHQ rules" "$(fmt_num "$r_events")" "$r_wall" "$r_cpu" \
        "$(rate "$r_events" "$r_wall")" "$(calc '%.2f' "$rules_bytes / 1000000 / $r_wall")" \
        "$(fmt_num "$r_alerts")" "$(mib "$r_rss")"
    echo "  rules: $r_loaded (rules, rules-emerging-threats, rules-threat-hunting)"
    if [ "$rules_events" -lt "$count" ]; then
        echo "  all-rules run over the first $(fmt_num "$rules_events") events (BENCH_RULES_EVENTS=all for every event)"
    fi
    echo "  all rules without the loading time: $(rate "$r_events" "$r_net") events/s, $(calc '%.2f' "$rules_bytes / 1000000 / $r_net") MB/s"
    echo "  events/s and MB/s are over wall time (rule loading included); MB = 10^6 bytes of input"
    echo
    echo "detection check (alerts of the all-rules run against the generator's truth file)"
    echo "  true positives detected: $c_ok / $c_total (regression case copies whose rule fired on >= match_count of their events)"
    echo "  true-positive events with an alert of their rule: $c_ev_hit / $c_ev_total (a case may hold events its rule does not match)"
    echo "  benign events with an alert (false positives): ${c_fp_lines:-0}"
    if [ -n "$fp_rules" ]; then
        echo "  top rules firing on benign events (alerts, rule id):"
        awk '{ printf "    %s %s\n", $1, $2 }' <<<"$fp_rules"
    fi
    if [ -n "$missed" ]; then
        echo "  undetected case copies by rule (rule id, copies):"
        awk '{ printf "    %s %s\n", $2, $3 }' <<<"$missed" | head -20
    fi
    echo
    echo "vigil check on the SigmaHQ corpus (${#check_dirs[@]} directories: rules*), best of 3: $best s (exit status $k_rc)"
    if [ -n "$k_summary" ]; then echo "  $k_summary"; fi
)
echo "$report"
out=$results/throughput-$(date +%Y-%m-%d).txt
{
    echo "$report"
    echo
} >>"$out"
progress "results appended to $out"
