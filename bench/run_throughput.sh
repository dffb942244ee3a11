#!/usr/bin/env bash
# run_throughput.sh: vigil's end-to-end throughput benchmark (see bench/README.md).
#
# Builds Release (build/release), generates a synthetic Sysmon-style corpus from SigmaHQ's
# regression events (bench/data/, cached per count/seed/generator version), then measures
# `vigil run` (default matcher) over the same events:
#   1. rule-count scaling: 0 rules (parse only: bench/rules/never.yml, one rule that never
#      fires), 100 and 1,000 SigmaHQ rules (every Nth file of the sorted list, copied into
#      bench/data/rules-100/ and rules-1000/) and all of rules, rules-emerging-threats and
#      rules-threat-hunting; each rule set also loaded alone (empty input)
#   2. thread scaling: all of 1. with --threads 1, 2 and nproc if larger (skipped when
#      `vigil run` has no --threads); alerts must be identical for every thread count
#   3. the reference matcher (--matcher reference, all rules) over the first 20,000 events,
#      its alerts compared with the default matcher's on those events
#   4. a detection check of the all-rules alerts against the generator's truth file
#   5. `vigil check` over the whole SigmaHQ corpus (rules*), best of 3
#   6. the worst case per event: vigil_worst_event (bench/worst_event.c), one thread, every
#      rules* directory, over the first 100,000 events and every regression event with 80
#      mutated variants of each: time per event (parse + index + match) of the default and
#      the reference matcher, the slowest events, PASS/FAIL against 10 ms per event
# Every run of 1.-3. reports wall and CPU time, events/s, MB/s, alerts and peak RSS. The
# table goes to stdout and is appended to bench/results/throughput-<date>.txt, the plot
# (gnuplot, events/s against rule count) is written to bench/results/throughput-<date>.png;
# progress goes to stderr. Needs SigmaHQ's corpus at <source root>/../shared/sigma (skips
# without it). About 5 minutes on 2 cores with the defaults (3 rounds of every run, and
# about a minute for 6.). BENCH_ONLY=worst runs step 6 alone (with the build and the corpus).
#
# Environment (all optional):
#   BENCH_EVENTS=1000000        events in the generated corpus
#   BENCH_RULES_EVENTS=all      events (first lines of the corpus) for the scaling runs
#   BENCH_REFERENCE_EVENTS=20000 events for the reference-matcher run (0: skip it)
#   BENCH_WORST_EVENTS=100000   corpus events (first lines) for the worst-case step (0: skip it)
#   BENCH_WORST_VARIANTS=80     mutated variants of each regression event in that step
#   BENCH_WORST_LIMIT_MS=10     its PASS/FAIL limit per event
#   BENCH_ONLY=                 "worst": only the worst-case step
#   BENCH_THREADS="1 2 [nproc]" thread counts for the thread scaling (first one is the base)
#   BENCH_REPEAT=3              rounds of all measurements; the fastest run (wall time) of
#                               each is kept
#   BENCH_SEED=1                generator seed
#   BENCH_TP_EVERY=100          one regression case (true positive) every this many events
#   BENCH_BUILD_DIR=build/release
#   SIGMA_DIR=<root>/../shared/sigma
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=${BENCH_EVENTS:-1000000}
rules_events=${BENCH_RULES_EVENTS:-all}
ref_events=${BENCH_REFERENCE_EVENTS:-20000}
worst_events=${BENCH_WORST_EVENTS:-100000}
worst_variants=${BENCH_WORST_VARIANTS:-80}
worst_limit=${BENCH_WORST_LIMIT_MS:-10}
only=${BENCH_ONLY:-}
repeat=${BENCH_REPEAT:-3}
seed=${BENCH_SEED:-1}
tp_every=${BENCH_TP_EVERY:-100}
build=${BENCH_BUILD_DIR:-$root/build/release}
sigma=${SIGMA_DIR:-$root/../shared/sigma}
data=$root/bench/data
results=$root/bench/results
jobs=$(nproc 2>/dev/null || echo 2)
subset_sizes=(100 1000)

progress() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() {
    echo "run_throughput.sh: $*" >&2
    exit 1
}

for v in "$count" "$seed" "$tp_every" "$ref_events" "$repeat"; do
    [[ $v =~ ^[0-9]+$ ]] || die "BENCH_EVENTS, BENCH_REFERENCE_EVENTS, BENCH_REPEAT," \
        "BENCH_SEED and BENCH_TP_EVERY must be numbers"
done
for v in "$worst_events" "$worst_variants" "$worst_limit"; do
    [[ $v =~ ^[0-9]+$ ]] || die "BENCH_WORST_EVENTS, BENCH_WORST_VARIANTS and" \
        "BENCH_WORST_LIMIT_MS must be numbers"
done
[ "$worst_limit" -ge 1 ] || die "BENCH_WORST_LIMIT_MS must be at least 1"
[ "$worst_events" -le "$count" ] || worst_events=$count
case $only in
    "" | worst) ;;
    *) die "BENCH_ONLY must be empty or 'worst'" ;;
esac
[ "$only" != worst ] || [ "$worst_events" -gt 0 ] || die "BENCH_ONLY=worst with BENCH_WORST_EVENTS=0"
[ "$repeat" -ge 1 ] || repeat=1
if [ "$rules_events" = all ] || [ "$rules_events" -gt "$count" ] 2>/dev/null; then
    rules_events=$count
fi
[[ $rules_events =~ ^[0-9]+$ ]] || die "BENCH_RULES_EVENTS must be a number or 'all'"
[ "$ref_events" -le "$rules_events" ] || ref_events=$rules_events

if [ -n "${BENCH_THREADS:-}" ]; then
    read -r -a threads <<<"$BENCH_THREADS"
    for t in "${threads[@]}"; do
        [[ $t =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS must list numbers >= 1"
    done
else
    threads=(1 2)
    [ "$jobs" -le 2 ] || threads+=("$jobs")
fi

if [ ! -d "$sigma/rules" ] || [ ! -d "$sigma/regression" ]; then
    echo "run_throughput.sh: skipped: SigmaHQ corpus not found at $sigma" \
        "(expected <source root>/../shared/sigma with rules/ and regression/)"
    exit 0
fi
sigma=$(cd "$sigma" && pwd)
load_start=$(awk '{ print $1, $2, $3 }' /proc/loadavg 2>/dev/null || echo '?')

# ---- tools ----

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
# apt_install PACKAGE: installs a Debian package quietly; fails if it cannot
apt_install() {
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        $sudo apt-get install -y -qq "$1" >/dev/null; } 2>/dev/null
}

timecmd=/usr/bin/time
if [ "$only" = worst ]; then
    : # neither /usr/bin/time nor gnuplot is needed
elif [ ! -x "$timecmd" ]; then
    progress "/usr/bin/time missing: trying to install Debian package 'time'"
    apt_install time || progress "could not install 'time': peak RSS is read from /proc (VmHWM) instead"
    [ -x "$timecmd" ] || timecmd=""
fi
if [ "$only" != worst ] && ! command -v gnuplot >/dev/null; then
    progress "gnuplot missing: trying to install Debian package 'gnuplot-nox'"
    apt_install gnuplot-nox || progress "could not install 'gnuplot-nox': no plot"
fi

now() { date +%s.%N; }
# fmt_num N: 1234567 -> 1,234,567
fmt_num() { printf '%s' "$1" | sed -e ':a' -e 's/^\([0-9]\{1,\}\)\([0-9]\{3\}\)/\1,\2/' -e 'ta'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---- build ----

progress "building Release in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target vigil vigil_gen_events vigil_worst_event >/dev/null
vigil=$build/src/vigil
gen=$build/bench/vigil_gen_events
worst=$build/bench/vigil_worst_event
if [ ! -x "$vigil" ] || [ ! -x "$gen" ] || [ ! -x "$worst" ]; then
    die "build did not produce $vigil, $gen and $worst"
fi

have_threads=1
# the help text is read whole first: with pipefail, `grep -q` closing the pipe early would
# make vigil's write fail and the test look false
run_help=$("$vigil" run --help 2>&1 || true)
grep -q -- '--threads' <<<"$run_help" || have_threads=0
[ "$have_threads" -eq 1 ] || threads=(1)

# ---- corpus ----

mkdir -p "$data" "$results"
work=$(mktemp -d "$data/run.XXXXXX")
trap 'rm -rf "$work"' EXIT

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
        --tp-every "$tp_every" --out "$events" --truth "$truth" 2>"$work/gen.log" ||
        { cat "$work/gen.log" >&2; die "generator failed"; }
    { echo "$want_meta"; cat "$work/gen.log"; } >"$meta"
fi
gen_summary=$(tail -1 "$meta")
bytes=$(stat -c %s "$events")

# head_of N: the first N events of the corpus (the corpus itself for all of them)
head_of() {
    local f=$data/events-$count-$seed-$tp_every.head$1.jsonl
    if [ "$1" -ge "$count" ]; then
        echo "$events"
        return
    fi
    if [ ! -s "$f" ] || [ "$f" -ot "$events" ]; then
        head -n "$1" "$events" >"$f.tmp.$$"
        mv "$f.tmp.$$" "$f"
    fi
    echo "$f"
}
input=$(head_of "$rules_events")
input_bytes=$(stat -c %s "$input")

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
stamp=$(date +%Y-%m-%d)
mb() { calc '%.1f' "$1 / 1000000"; }
ph=$root/tests/data/sigma_placeholders.yml

# header TITLE: the first lines of a report
header() {
    echo "== $1, $(date -u +%Y-%m-%dT%H:%M:%SZ) =="
    echo "commit   $commit"
    echo "machine  $jobs CPUs (nproc), ${cpu:-unknown CPU}, ${mem:-? GiB} RAM"
    echo "load     $load_start at the start, $(awk '{ print $1, $2, $3 }' /proc/loadavg 2>/dev/null || echo '?') when done (1/5/15 min load average)"
}

# 6. the worst case per event (after the other runs; alone with BENCH_ONLY=worst): sets
# worst_section to the tool's report, indented, under a title line
worst_section=""
run_worst() {
    local in t0 w_rc args=(--variants "$worst_variants" --limit-ms "$worst_limit")
    [ "$worst_events" -gt 0 ] || return 0
    in=$(head_of "$worst_events")
    [ -f "$ph" ] && args+=(--placeholders "$ph")
    progress "worst case per event: vigil_worst_event over $(fmt_num "$worst_events") events" \
        "and the regression events with $worst_variants variants each (about a minute)"
    t0=$(now)
    set +e
    # from the corpus directory, so that the regression files print as regression/...
    (cd "$sigma" && "$worst" --rules rules* --regression regression --events "$in" \
        "${args[@]}") >"$work/worst.out" 2>"$work/worst.err"
    w_rc=$?
    set -e
    if [ "$w_rc" -ne 0 ]; then
        tail -5 "$work/worst.err" >&2
        die "vigil_worst_event failed (exit $w_rc)"
    fi
    worst_section=$(
        echo "worst case per event (vigil_worst_event, 1 thread, every rules* directory; the first"
        echo "$(fmt_num "$worst_events") events of the corpus and SigmaHQ's regression events with" \
            "$worst_variants variants each; $(calc '%.0f' "$(now) - $t0") s)"
        sed 's/^/  /' "$work/worst.out"
    )
}

if [ "$only" = worst ]; then
    run_worst
    report=$(
        header "vigil worst case per event"
        echo "build    Release ($build)"
        echo "corpus   $(fmt_num "$count") events, $(mb "$bytes") MB, seed $seed, one regression case every $tp_every events"
        echo
        echo "$worst_section"
    )
    echo "$report"
    out=$results/throughput-$stamp.txt
    printf '%s\n\n' "$report" >>"$out"
    progress "results appended to $out"
    exit 0
fi

# ---- rule sets ----

rules_dirs=()
for d in rules rules-emerging-threats rules-threat-hunting; do
    [ -d "$sigma/$d" ] && rules_dirs+=("$d")
done
(cd "$sigma" && find "${rules_dirs[@]}" -type f \( -name '*.yml' -o -name '*.yaml' \)) |
    LC_ALL=C sort >"$work/all.list"
n_files=$(wc -l <"$work/all.list")

# share_of LIST: "P% windows process_creation, W% windows" of the rule files in LIST
share_of() {
    awk '/^[^\/]+\/windows\/process_creation\// { pc++ } /^[^\/]+\/windows\// { w++ }
        END { printf "%.0f%% windows/process_creation, %.0f%% windows", 100 * pc / NR, 100 * w / NR }' "$1"
}

# make_subset N: bench/data/rules-N/ holds N rule files, evenly spread over the sorted list
# (file floor(i * total / N) for i = 0..N-1), named after their path; rebuilt only when the
# selection or a selected file changed
make_subset() {
    local n=$1 dir=$data/rules-$1 list=$work/subset-$1.list sum tmp
    awk -v n="$n" -v total="$n_files" 'BEGIN { for (i = 0; i < n; i++) pick[int(i * total / n) + 1] = 1 }
        NR in pick' "$work/all.list" >"$list"
    sum="$(cksum <"$list") $(cd "$sigma" && xargs cat <"$list" | cksum)"
    if [ -f "$dir/.manifest" ] && [ "$(cat "$dir/.manifest")" = "$sum" ]; then return; fi
    tmp=$(mktemp -d "$data/rules-$n.tmp.XXXXXX")
    chmod 755 "$tmp"
    while IFS= read -r f; do
        cp "$sigma/$f" "$tmp/${f//\//__}"
    done <"$list"
    echo "$sum" >"$tmp/.manifest"
    rm -rf "$dir"
    mv "$tmp" "$dir"
}

set_names=(parse)
declare -A set_label set_rules set_desc
set_label[parse]="parse only"
set_rules[parse]=$root/bench/rules
set_desc[parse]="bench/rules/never.yml: one rule that never fires"
for n in "${subset_sizes[@]}"; do
    if [ "$n" -ge "$n_files" ]; then
        progress "only $n_files rule files: no $n-rule subset"
        continue
    fi
    make_subset "$n"
    set_names+=("r$n")
    set_label[r$n]="$(fmt_num "$n") rules"
    set_rules[r$n]=$data/rules-$n
    set_desc[r$n]="bench/data/rules-$n/: every $(calc '%.1f' "$n_files / $n")th file ($(share_of "$work/subset-$n.list"))"
done
set_names+=(all)
set_label[all]="all rules"
set_rules[all]=$(printf "$sigma/%s " "${rules_dirs[@]}")
set_desc[all]="${rules_dirs[*]}: $n_files files ($(share_of "$work/all.list"))"

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
    local tv=$work/time.txt fin=$work/done.txt pid vpid rss=0 t0 last h rchar
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
    # polling forks processes, which would slow a vigil using every core: with
    # /usr/bin/time only once a second (and /proc only for the progress line every 15 s)
    last=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        if [ -n "$timecmd" ]; then sleep 1; else sleep 0.2; fi
        [ -z "$timecmd" ] || [ $((SECONDS - last)) -ge 15 ] || continue
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
        if [ $((SECONDS - last)) -ge 15 ]; then
            last=$SECONDS
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

# results, by run key: wall, cpu, rss (KiB), events, alerts, rules (loaded), bytes (input),
# loaded (vigil's "N rules loaded from M files, K rejected")
declare -A R_wall R_cpu R_rss R_events R_alerts R_rules R_bytes R_loaded
# the slowest wall time of each key and its progress label, for the spread between rounds
declare -A R_max R_label

# bench KEY LABEL INPUT OUT -- VIGIL_RUN_ARGS...: runs `vigil run -q --format json --input
# INPUT ARGS` once, its alerts to OUT; keeps the figures under KEY if it is the fastest run
# of KEY so far
bench() {
    local key=$1 label=$2 in=$3 out=$4 err=$work/$1.err b
    shift 5
    b=$(stat -c %s "$in")
    progress "$label$round_note"
    measure "$label" "$((b > 0 ? b : 1))" "$out" "$err.tmp" "$vigil" run -q --format json \
        --input "$in" "$@"
    [ "$m_rc" -eq 0 ] || { tail -5 "$err.tmp" >&2; die "$label: vigil run failed (exit $m_rc)"; }
    if [ -z "${R_max[$key]:-}" ] || awk "BEGIN { exit !($m_wall > ${R_max[$key]}) }"; then
        R_max[$key]=$m_wall
    fi
    R_label[$key]=$label
    if [ -n "${R_wall[$key]:-}" ] && awk "BEGIN { exit !($m_wall >= ${R_wall[$key]}) }"; then
        return
    fi
    R_wall[$key]=$m_wall R_cpu[$key]=$m_cpu R_rss[$key]=$m_rss R_bytes[$key]=$b
    R_events[$key]=$(summary_field "$err.tmp" events)
    R_alerts[$key]=$(summary_field "$err.tmp" alerts)
    R_rules[$key]=$(grep -oE '^vigil: [0-9]+ rules and [0-9]+ correlations loaded' "$err.tmp" |
        tail -1 | awk '{ print $2 }')
    R_loaded[$key]=$(grep -oE '^vigil: [0-9]+ rules and [0-9]+ correlations loaded from [0-9]+ files \([0-9]+ rejected' \
        "$err.tmp" | tail -1 | sed 's/^vigil: //; s/ and 0 correlations//; s/ (/, /')
}

progress "warming the page cache"
cat "$input" >/dev/null
: >"$work/empty.jsonl"
t1=${threads[0]}
[ "$ref_events" -eq 0 ] || ref_input=$(head_of "$ref_events")

# every measurement once per round, BENCH_REPEAT rounds (so that a busy spell on a shared
# machine does not hit every run of one measurement); the fastest run of each is kept
round_note=""
for ((round = 1; round <= repeat; round++)); do
    [ "$repeat" -eq 1 ] || round_note=" (round $round of $repeat)"

    # 1. rule loading alone (empty input)
    for s in "${set_names[@]}"; do
        [ "$s" != parse ] || continue
        # shellcheck disable=SC2086 # set_rules[all] lists several directories
        bench "load.$s" "${set_label[$s]}: loading only" "$work/empty.jsonl" /dev/null -- \
            --rules ${set_rules[$s]}
    done

    # 2. rule-count scaling for each thread count
    for t in "${threads[@]}"; do
        targs=()
        [ "$have_threads" -eq 0 ] || targs=(--threads "$t")
        for s in "${set_names[@]}"; do
            # shellcheck disable=SC2086
            bench "$s.$t" "${set_label[$s]}, $t thread(s), $(fmt_num "$rules_events") events" \
                "$input" "$work/$s.$t.alerts.jsonl" -- --rules ${set_rules[$s]} "${targs[@]}"
        done
    done

    # 3. reference matcher over the first events
    if [ "$ref_events" -gt 0 ]; then
        # shellcheck disable=SC2086
        bench load.ref "reference matcher, all rules: loading only" "$work/empty.jsonl" \
            /dev/null -- --matcher reference --rules ${set_rules[all]}
        # shellcheck disable=SC2086
        bench ref "reference matcher, all rules, $(fmt_num "$ref_events") events" "$ref_input" \
            "$work/ref.alerts.jsonl" -- --matcher reference --rules ${set_rules[all]}
    fi
done

# ---- checks ----

# pairs ALERTS: "record<TAB>rule id" of every alert
pairs() {
    awk '{
        id = ""; rec = ""
        if (match($0, /"rule":\{"id":"[^"]*"/)) id = substr($0, RSTART + 14, RLENGTH - 15)
        if (match($0, /"record":[0-9]+/)) rec = substr($0, RSTART + 9, RLENGTH - 9)
        if (id != "" && rec != "") print rec "\t" id
    }' "$1"
}

# 4. detection check: (record, rule id) of every alert against the truth file
progress "checking alerts against the truth file"
pairs "$work/all.$t1.alerts.jsonl" >"$work/hits.tsv"
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
    }' "$work/hits.tsv" "$truth")
read -r c_ok c_total c_ev_hit c_ev_total c_fp_lines <<<"$(head -1 <<<"$check")"
missed=$(grep '^MISS ' <<<"$check" | sort -k3,3nr -k2,2 || true)
fp_rules=$(awk -F'\t' 'NR == FNR { tp[$1] = 1; next } !($1 in tp) { print $2 }' \
    "$truth" "$work/hits.tsv" | sort | uniq -c | sort -rn | head -5 || true)

# alerts of every thread count must equal those of the first one, byte for byte apart from
# the alert's own time stamp (the first "time" member of each line, before the events)
untimed() { sed 's/"time":"[^"]*",//' "$1"; }
thread_check=""
for s in "${set_names[@]}"; do
    for t in "${threads[@]:1}"; do
        if ! cmp -s <(untimed "$work/$s.$t1.alerts.jsonl") <(untimed "$work/$s.$t.alerts.jsonl"); then
            thread_check="$thread_check ${set_label[$s]}/$t threads"
        fi
    done
done

# reference against the default matcher on the reference run's events
ref_check=""
if [ "$ref_events" -gt 0 ]; then
    pairs "$work/ref.alerts.jsonl" | sort >"$work/ref.pairs"
    awk -F'\t' -v n="$ref_events" '$1 < n' "$work/hits.tsv" | sort >"$work/fast.pairs"
    if cmp -s "$work/ref.pairs" "$work/fast.pairs"; then
        ref_check="same $(fmt_num "$(wc -l <"$work/ref.pairs")") (record, rule) alerts as the default matcher on these events"
    else
        ref_check="DIFFERENT alerts from the default matcher on these events:"
        ref_check="$ref_check $(comm -23 "$work/ref.pairs" "$work/fast.pairs" | wc -l) only reference,"
        ref_check="$ref_check $(comm -13 "$work/ref.pairs" "$work/fast.pairs" | wc -l) only default"
    fi
fi
cp "$work/all.$t1.alerts.jsonl" "$data/alerts.jsonl"
cp "$work/hits.tsv" "$data/hits.tsv"

# 5. vigil check, best of 3
check_args=(-q)
[ -f "$ph" ] && check_args+=(--placeholders "$ph")
check_dirs=("$sigma"/rules*)
best=""
for i in 1 2 3; do
    progress "vigil check on ${#check_dirs[@]} rule directories, run $i of 3"
    t0=$(now)
    set +e
    "$vigil" check "${check_args[@]}" "${check_dirs[@]}" >"$work/check.out" 2>&1
    k_rc=$?
    set -e
    t=$(calc '%.3f' "$(now) - $t0")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
done
k_summary=$(grep -E '^checked ' "$work/check.out" | tail -1 || true)

# 6. the worst case per event
run_worst

# ---- report ----

# rate N SECONDS: N / SECONDS, rounded, with thousands separators ("-" for no time)
rate() {
    if awk "BEGIN { exit !($2 > 0) }"; then fmt_num "$(calc '%.0f' "$1 / $2")"; else echo -; fi
}
mib() { echo "$(calc '%.0f' "$1 / 1024") MiB"; }
# eps KEY: events/s of run KEY over wall time; net KEY SET: without SET's loading time
eps() { calc '%.6f' "${R_events[$1]} / ${R_wall[$1]}"; }
net_wall() {
    local l=0
    [ "$2" = parse ] || l=${R_wall[load.$2]}
    calc '%.6f' "${R_wall[$1]} - $l"
}
ratio() { calc '%.2f' "$1 / $2"; }
row() {
    printf '%-22s %6s %3s %10s %8s %8s %9s %7s %7s %8s %9s %6s %5s\n' "$@"
}
met() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "NOT met"; fi; }

report=$(
    header "vigil throughput benchmark"
    echo "build    Release ($build), default matcher; best of $repeat rounds (lowest wall time of each run)"
    echo "corpus   $(fmt_num "$count") events, $(mb "$bytes") MB, seed $seed, one regression case every $tp_every events"
    echo "         ${gen_summary#vigil_gen_events: }"
    echo "input    the first $(fmt_num "$rules_events") events ($(mb "$input_bytes") MB) for every run below but the reference matcher's"
    echo
    echo "rule sets"
    for s in "${set_names[@]}"; do
        printf '  %-11s %s\n' "${set_label[$s]}" "${set_desc[$s]}"
    done
    echo
    row "run" "rules" "thr" "events" "wall s" "cpu s" "events/s" "MB/s" "alerts" "peak RSS" "net ev/s" "/parse" "/100"
    for s in "${set_names[@]}"; do
        [ "$s" != parse ] || continue
        row "${set_label[$s]}: loading" "${R_rules[load.$s]}" 1 0 "${R_wall[load.$s]}" \
            "${R_cpu[load.$s]}" - - 0 "$(mib "${R_rss[load.$s]}")" - - -
    done
    for t in "${threads[@]}"; do
        for s in "${set_names[@]}"; do
            k=$s.$t
            p=$(eps "parse.$t")
            v=$(eps "$k")
            h=-
            [ -z "${R_wall[r100.$t]:-}" ] || h=$(ratio "$v" "$(eps "r100.$t")")
            row "${set_label[$s]}" "${R_rules[$k]}" "$t" "$(fmt_num "${R_events[$k]}")" "${R_wall[$k]}" \
                "${R_cpu[$k]}" "$(rate "${R_events[$k]}" "${R_wall[$k]}")" \
                "$(calc '%.1f' "${R_bytes[$k]} / 1000000 / ${R_wall[$k]}")" \
                "$(fmt_num "${R_alerts[$k]}")" "$(mib "${R_rss[$k]}")" \
                "$(rate "${R_events[$k]}" "$(net_wall "$k" "$s")")" "$(ratio "$v" "$p")" "$h"
        done
    done
    echo "  events/s and MB/s: over wall time, rule loading included (MB = 10^6 bytes of input);"
    echo "  net ev/s: without the rule set's loading time (the 'loading' rows); /parse and /100:"
    echo "  events/s against the parse-only and 100-rule runs with the same thread count"
    echo "  all rules: ${R_loaded[all.$t1]}"
    if [ "$repeat" -gt 1 ]; then
        # the measurement (with events) whose slowest round was furthest above its fastest
        spread=$(for k in "${!R_wall[@]}"; do
            [ "${R_events[$k]:-0}" -gt 0 ] || continue
            echo "$(calc '%.1f' "100 * (${R_max[$k]} / ${R_wall[$k]} - 1)") ${R_label[$k]}"
        done | sort -rn | head -1)
        echo "  spread between the $repeat rounds: the slowest run of a measurement was up to" \
            "${spread%% *}% slower than its fastest (${spread#* })"
    fi
    echo
    echo "targets (all rules against parse only >= 0.50, against 100 rules >= 0.50), by thread count"
    for t in "${threads[@]}"; do
        a=$(eps "all.$t")
        an=$(calc '%.6f' "${R_events[all.$t]} / $(net_wall "all.$t" all)")
        line="  $t thread(s): /parse $(ratio "$a" "$(eps "parse.$t")") ($(met "$a >= 0.5 * $(eps "parse.$t")")),"
        line="$line net $(ratio "$an" "$(eps "parse.$t")")"
        if [ -n "${R_wall[r100.$t]:-}" ]; then
            hn=$(calc '%.6f' "${R_events[r100.$t]} / $(net_wall "r100.$t" r100)")
            line="$line; /100 rules $(ratio "$a" "$(eps "r100.$t")") ($(met "$a >= 0.5 * $(eps "r100.$t")")),"
            line="$line net $(ratio "$an" "$hn")"
        fi
        echo "$line"
    done
    echo
    if [ "$have_threads" -eq 0 ]; then
        echo "thread scaling: skipped (vigil run has no --threads)"
    else
        echo "thread scaling (events/s over wall time; speed-up against ${threads[0]} thread(s))"
        printf '  %-11s' "rule set"
        for t in "${threads[@]}"; do printf ' %20s' "$t thread(s)"; done
        echo
        for s in "${set_names[@]}"; do
            printf '  %-11s' "${set_label[$s]}"
            for t in "${threads[@]}"; do
                v="$(rate "${R_events[$s.$t]}" "${R_wall[$s.$t]}")"
                [ "$t" = "$t1" ] || v="$v ($(ratio "$(eps "$s.$t")" "$(eps "$s.$t1")")x)"
                printf ' %20s' "$v"
            done
            echo
        done
        if [ "${#threads[@]}" -gt 1 ]; then
            if [ -z "$thread_check" ]; then
                echo "  alerts: identical for every thread count (byte for byte, apart from the alert time stamps)"
            else
                echo "  alerts DIFFER from the ${threads[0]}-thread run for:$thread_check"
            fi
        fi
    fi
    echo
    if [ "$ref_events" -gt 0 ]; then
        rn=$(calc '%.6f' "${R_wall[ref]} - ${R_wall[load.ref]}")
        fn=$(calc '%.6f' "${R_events[all.$t1]} / $(net_wall "all.$t1" all)")
        echo "reference matcher (--matcher reference, 1 thread), all rules, first $(fmt_num "$ref_events") events ($(mb "${R_bytes[ref]}") MB)"
        echo "  wall ${R_wall[ref]} s (loading ${R_wall[load.ref]} s), cpu ${R_cpu[ref]} s," \
            "peak RSS $(mib "${R_rss[ref]}"), $(fmt_num "${R_alerts[ref]}") alerts"
        echo "  $(rate "${R_events[ref]}" "${R_wall[ref]}") events/s," \
            "$(rate "${R_events[ref]}" "$rn") without loading; default matcher (all rules, $t1 thread(s))" \
            "$(fmt_num "$(calc '%.0f' "$fn")") without loading: $(calc '%.1f' "$fn / (${R_events[ref]} / $rn)")x faster"
        echo "  alerts: $ref_check"
        echo
    fi
    echo "detection check (alerts of the all-rules run, $t1 thread(s), against the generator's truth file)"
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
    if [ -n "$worst_section" ]; then
        echo
        echo "$worst_section"
    fi
)

# ---- plot ----

png=$results/throughput-$stamp.png
plot_note=""
if command -v gnuplot >/dev/null; then
    dat=$work/plot.dat
    plot=""
    xtics=""
    i=0
    for t in "${threads[@]}"; do
        for s in "${set_names[@]}"; do
            [ "$s" != parse ] || continue
            echo "${R_rules[$s.$t]} $(eps "$s.$t")"
            [ "$i" -gt 0 ] || xtics="$xtics\"$(fmt_num "${R_rules[$s.$t]}")\" ${R_rules[$s.$t]}, "
        done
        printf '\n\n'
        c=$((i + 1))
        plot="$plot '$dat' index $i using 1:(\$2/1000) with linespoints lw 2 pt 7 ps 1.3 lc $c"
        plot="$plot title '$t thread$([ "$t" = 1 ] || echo s), SigmaHQ rules',"
        plot="$plot '$dat' index $i using 1:(\$2/1000):(sprintf('%.0fk', \$2/1000)) with labels"
        # value labels: below the first thread count's points, above the second's, right of
        # the others'
        case $i in
            0) off=0,-1.2 ;;
            1) off=0,1.2 ;;
            *) off=3,0 ;;
        esac
        plot="$plot offset $off tc lt $c notitle,"
        plot="$plot $(eps "parse.$t")/1000 with lines lw 2 dt 2 lc $c"
        plot="$plot title sprintf('$t thread$([ "$t" = 1 ] || echo s), parse only (0 rules): %.0fk', $(eps "parse.$t")/1000),"
        i=$((i + 1))
    done >"$dat"
    gnuplot <<EOF 2>"$work/gnuplot.err" || plot_note="gnuplot failed: $(head -3 "$work/gnuplot.err")"
set terminal pngcairo size 1100,700 font "DejaVu Sans,12"
set output '$png'
set title "vigil run throughput against rule count (default matcher)\n$(fmt_num "$rules_events") events ($(mb "$input_bytes") MB), commit $commit, $jobs CPUs, $stamp" font ",14"
set xlabel "rules loaded (log scale)"
set ylabel "thousand events/s (wall time, rule loading included)"
set logscale x
set xrange [60:6000]
set yrange [0:*]
set xtics (${xtics%, })
set grid
set key top right box opaque
set offsets 0, 0, graph 0.3, 0
plot ${plot%,}
EOF
    [ -n "$plot_note" ] || plot_note="plot: $png"
else
    plot_note="plot: skipped (no gnuplot)"
fi

echo "$report"
echo "$plot_note"
out=$results/throughput-$stamp.txt
{
    echo "$report"
    echo "$plot_note"
    echo
} >>"$out"
progress "results appended to $out"
