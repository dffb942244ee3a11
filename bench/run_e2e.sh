#!/usr/bin/env bash
# run_e2e.sh: the service end to end (see bench/README.md): `vigil run --config` between a
# Kafka broker (librdkafka's mock cluster, tests/services/kafka_mock.c) and Redis.
#
#   1. throughput: BENCH_E2E_EVENTS events of a correlation scenario (bench/gen_corr.c, one
#      planted attack every BENCH_E2E_PLANT_EVERY events) are produced to the input topic
#      first (`vigil replay`, full speed); then vigil starts and is timed until /metrics
#      says it has read them all: events/s, MB/s, CPU time, peak RSS. Beside it the ceiling:
#      a plain librdkafka consumer (bench/e2e_probe.c) reading the same messages. The alert
#      topic must then hold exactly the scenario's correlation alerts (missing, extra and
#      duplicate ids are counted).
#   2. latency: a fresh instance while BENCH_E2E_LAT_EVENTS events are replayed at
#      BENCH_E2E_RATE events/s: the summed consumer lag gauge (sampled every second) and
#      event-to-alert latency (alert message timestamp minus the newest input message
#      timestamp among the events the alert names), p50/p90/p99/max; alerts checked again.
# The report goes to stdout and is appended to bench/results/e2e-<date>.txt; progress goes
# to stderr. Everything started (broker, redis-server, vigil, replays) is stopped by PID at
# the end. Exits 1 when an alert check fails or a step does not finish in time. About 1
# minute on 2 cores with the defaults.
#
# Environment (all optional):
#   BENCH_E2E_EVENTS=1000000        events pre-filled for the throughput run
#   BENCH_E2E_PLANT_EVERY=5000      one planted attack every this many events (throughput)
#   BENCH_E2E_LAT_EVENTS=300000     events replayed for the latency run
#   BENCH_E2E_LAT_PLANT_EVERY=1000  one planted attack every this many events (latency)
#   BENCH_E2E_RATE=20000            events/s of the latency run's replay
#   BENCH_E2E_THREADS=2             vigil's `threads`
#   BENCH_E2E_SHARDS=1              vigil's `correlation.shards`
#   BENCH_E2E_CHECKPOINT=1s         vigil's `checkpoint.interval`
#   BENCH_E2E_TIMEOUT=300           seconds any one step may take before the run fails
#   BENCH_BUILD_DIR=build/release
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
events=${BENCH_E2E_EVENTS:-1000000}
plant=${BENCH_E2E_PLANT_EVERY:-5000}
lat_events=${BENCH_E2E_LAT_EVENTS:-300000}
lat_plant=${BENCH_E2E_LAT_PLANT_EVERY:-1000}
rate=${BENCH_E2E_RATE:-20000}
threads=${BENCH_E2E_THREADS:-2}
shards=${BENCH_E2E_SHARDS:-1}
ckpt=${BENCH_E2E_CHECKPOINT:-1s}
step_timeout=${BENCH_E2E_TIMEOUT:-300}
build=${BENCH_BUILD_DIR:-build/release}
data=bench/data
results=bench/results/e2e-$(date -u +%Y-%m-%d).txt

progress() { echo "[e2e $(date +%H:%M:%S)] $*" >&2; }
die() {
    echo "run_e2e.sh: $*" >&2
    exit 1
}
for v in "$events" "$plant" "$lat_events" "$lat_plant" "$rate" "$threads" "$shards" "$step_timeout"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die "BENCH_E2E_EVENTS, _PLANT_EVERY, _LAT_EVENTS," \
        "_LAT_PLANT_EVERY, _RATE, _THREADS, _SHARDS and _TIMEOUT must be numbers >= 1"
done
[[ $ckpt =~ ^[1-9][0-9]*(ms|s|m|h)$ ]] || die "BENCH_E2E_CHECKPOINT must be a duration (500ms, 1s, 2m)"
for tool in curl redis-server redis-cli; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done

now() { date +%s.%N; }
fmt_num() { printf '%s' "$1" | sed -e ':a' -e 's/^\([0-9]\{1,\}\)\([0-9]\{3\}\)/\1,\2/' -e 'ta'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---- build ----

# The mock broker is a test target: configure with testing on, build only what is needed.
progress "building Release in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target vigil vigil_gen_corr vigil_e2e_probe \
    vigil_kafka_mock >/dev/null
vigil=$build/src/vigil
gen=$build/bench/vigil_gen_corr
probe=$build/bench/vigil_e2e_probe
mock=$build/tests/vigil_kafka_mock
for b in "$vigil" "$gen" "$probe" "$mock"; do [ -x "$b" ] || die "build did not produce $b"; done

# ---- scenarios ----

mkdir -p "$data" bench/results
# scenario N PLANT: generates (or reuses) the scenario; sets scn_in, scn_truth
scenario() {
    scn_in=$data/e2e-$1-$2.jsonl
    scn_truth=$data/e2e-$1-$2.truth.tsv
    if [ ! -s "$scn_in" ] || [ ! -s "$scn_truth" ] || [ bench/gen_corr.c -nt "$scn_in" ]; then
        progress "generating $(fmt_num "$1") events (an attack every $2) into $scn_in"
        "$gen" "$1" "$scn_in" "$scn_truth" "$2" 2>/dev/null
    fi
}
scenario "$events" "$plant"
in_a=$scn_in truth_a=$scn_truth
scenario "$lat_events" "$lat_plant"
in_b=$scn_in truth_b=$scn_truth
bytes_a=$(($(stat -c %s "$in_a") - events)) # message bytes: the lines without their newline
bytes_b=$(($(stat -c %s "$in_b") - lat_events))

# The mock broker keeps at most 5 MiB (wire bytes) and 100,000 record batches per partition
# and drops the oldest beyond that: enough partitions that a topic stays well under it.
partitions_for() { # BYTES
    awk -v b="$1" 'BEGIN { p = int(b * 1.3 / (5 * 1048576)) + 1; if (p < 24) p = 24;
                          if (p > 1024) p = 1024; print p }'
}
parts_a=$(partitions_for "$bytes_a")
parts_b=$(partitions_for "$bytes_b")

# ---- processes: everything started is recorded and stopped by PID ----

work=$(mktemp -d "$root/$data/run.XXXXXX")
pids=()
# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS; returns its exit status
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    local st=0
    wait "$pid" 2>/dev/null || st=$?
    return "$st"
}
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${pids[i]}" 10 || true
    done
    exec 7>&- 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds
wait_for() {
    local limit=$1 what=$2 t0
    shift 2
    t0=$(now)
    until "$@"; do
        if awk -v a="$(now)" -v b="$t0" -v l="$limit" 'BEGIN { exit !(a - b > l) }'; then
            die "timed out after $limit s waiting for $what"
        fi
        sleep 0.1
    done
}

# the broker: its stdin is a FIFO this shell holds open, so it also ends if the shell dies
mkfifo "$work/mock.in"
exec 7<>"$work/mock.in"
"$mock" --topic "e2e-in:$parts_a" --topic e2e-alerts:4 --topic "e2e-lat-in:$parts_b" \
    --topic e2e-lat-alerts:4 <"$work/mock.in" >"$work/mock.out" 2>"$work/mock.err" &
pids+=($!)
wait_for 20 "the mock broker" grep -q '^bootstrap=' "$work/mock.out"
brokers=$(sed -n 's/^bootstrap=//p' "$work/mock.out" | head -1)
progress "mock broker at $brokers (input topics: $parts_a and $parts_b partitions)"

# redis-server on a free loopback port, private directory, no persistence
mkdir -p "$work/redis"
redis_port=""
for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --save "" \
        --appendonly no --daemonize no --logfile "$work/redis.log" >/dev/null 2>&1 &
    rpid=$!
    for _ in $(seq 50); do
        if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
            redis_port=$port
            break
        fi
        kill -0 "$rpid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -n "$redis_port" ]; then
        pids+=("$rpid")
        break
    fi
    stop_pid "$rpid" 5 || true
done
[ -n "$redis_port" ] || die "redis-server did not start (see $work/redis.log)"
progress "redis-server on 127.0.0.1:$redis_port"

# ---- vigil ----

# start_vigil NAME INPUT_TOPIC ALERT_TOPIC: writes the configuration, starts the service,
# waits for its metrics port (sets vpid, vport, vlog)
start_vigil() {
    local cfg=$work/$1.yml
    cat >"$cfg" <<EOF
rules: ["$root/rules/sigma"]
threads: $threads
kafka:
  brokers: "$brokers"
  group: "e2e-$1"
inputs:
  - topic: $2
    format: json
alerts:
  topic: $3
redis:
  host: 127.0.0.1
  port: $redis_port
  key_prefix: "e2e-$1:"
checkpoint:
  interval: $ckpt
correlation:
  lateness: 1d
  shards: $shards
metrics:
  listen: "127.0.0.1:0"
EOF
    vlog=$work/$1.log
    "$vigil" run --config "$cfg" 2>"$vlog" &
    vpid=$!
    pids+=("$vpid")
    wait_for 60 "vigil's metrics endpoint" grep -q '"msg":"metrics and health endpoint"' "$vlog"
    vport=$(sed -n 's/.*"msg":"metrics and health endpoint".*"port":\([0-9]*\).*/\1/p' "$vlog" | head -1)
    [ -n "$vport" ] || die "no metrics port in $vlog"
}
assigned() { grep -q '"msg":"partitions assigned"' "$vlog"; }
# log_time MSG: the epoch seconds of vigil's first log line with that msg
log_time() {
    local ts
    ts=$(grep -m1 "\"msg\":\"$1\"" "$vlog" | sed -n 's/^{"ts":"\([^"]*\)".*/\1/p')
    date -d "$ts" +%s.%N
}
scrape() { curl -s --max-time 2 "http://127.0.0.1:$vport/metrics" >"$work/metrics" || : >"$work/metrics"; }
metric() { # NAME[{LABELS}]: the value in the last scrape, 0 if absent
    awk -v n="$1" '$1 == n { v = $2 } END { print (v == "" ? 0 : v) }' "$work/metrics"
}
lag_sum() { awk '/^vigil_kafka_consumer_lag\{/ { s += $2 } END { printf "%d", s }' "$work/metrics"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
ticks=$(getconf CLK_TCK)
# ckpt_stats: checkpoints of the last scrape, their mean duration and the last one's size
ckpt_stats() {
    local n sum cnt bytes
    n=$(metric 'vigil_checkpoints_total{result="ok"}')
    sum=$(metric vigil_checkpoint_duration_seconds_sum)
    cnt=$(metric vigil_checkpoint_duration_seconds_count)
    bytes=$(metric vigil_checkpoint_bytes)
    local written
    written=$(metric vigil_checkpoint_written_bytes_total)
    echo "$n checkpoints, mean $(calc "%.0f" "($cnt > 0 ? 1000 * $sum / $cnt : 0)") ms," \
        "mean $(calc "%.1f" "($n > 0 ? $written / $n / 1e6 : 0)") MB written;" \
        "the last wrote $(calc "%.1f" "$bytes / 1e6") MB ($(metric vigil_checkpoint_slots) of" \
        "1024 key slots; $(fmt_num "$(metric vigil_correlation_keys)") correlation keys);" \
        "late signals dropped: $(metric vigil_correlation_late_total)"
}
# log_counts: warn and error lines in vigil's log
log_counts() {
    echo "log: $(grep -c '"level":"warn"' "$vlog" || true) warnings," \
        "$(grep -c '"level":"error"' "$vlog" || true) errors"
}

# check_alerts TOPIC TRUTH: reads the alert topic (the service is stopped: everything it
# published is there) and compares the correlation alerts with the truth; sets chk_* and
# leaves the alerts in $work/alerts
check_alerts() {
    "$probe" dump "$brokers" "$1" 0 "$step_timeout" >"$work/alerts" || die "cannot read $1"
    { grep '"correlation":{' "$work/alerts" || true; } |
        sed -E 's/.*"rule":\{"id":"([^"]*)".*"group":\{"[^"]*":"([^"]*)"\}.*/\1\t\2/' |
        LC_ALL=C sort >"$work/got"
    LC_ALL=C sort "$2" >"$work/want"
    chk_got=$(wc -l <"$work/got")
    chk_want=$(wc -l <"$work/want")
    chk_other=$(grep -vc '"correlation":{' "$work/alerts" || true)
    chk_missing=$(LC_ALL=C comm -13 "$work/got" "$work/want" | wc -l)
    chk_extra=$(LC_ALL=C comm -23 "$work/got" "$work/want" | wc -l)
    chk_dups=$(($(grep -c . "$work/alerts" || true) - $(grep -o '^{"id":"[0-9a-f]*"' "$work/alerts" | sort -u | wc -l)))
    if [ "$chk_missing" -ne 0 ] || [ "$chk_extra" -ne 0 ] || [ "$chk_dups" -ne 0 ]; then
        failed=1
    fi
}

failed=0
report() { echo "$*" | tee -a "$results"; }
rules_line=""

# ---- 1. throughput ----

progress "pre-filling e2e-in with $(fmt_num "$events") events (vigil replay, full speed)"
timeout "$step_timeout" "$vigil" replay "$in_a" --brokers "$brokers" --topic e2e-in \
    --key-field scenario --property sticky.partitioning.linger.ms=0 --quiet 2>"$work/replay-a.log" || {
    cat "$work/replay-a.log" >&2
    die "the pre-fill replay failed"
}
replay_a=$(grep -o '[0-9]* records/s' "$work/replay-a.log" | head -1)

progress "ceiling: a plain consumer reading the $(fmt_num "$events") messages (fastest of 3)"
ceiling=$(for _ in 1 2 3; do
    "$probe" ceiling "$brokers" e2e-in "$events" "$step_timeout" || echo failed
done | sort -t= -k4 -g | head -1)
case $ceiling in *failed* | "") die "the ceiling probe failed" ;; esac
ceil_rate=$(sed -n 's/.*msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$ceiling")
ceil_mb=$(sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p' <<<"$ceiling")
ceil_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$ceiling")

load_start=$(awk '{ print $1, $2, $3 }' /proc/loadavg)
progress "throughput: starting vigil (threads $threads, checkpoint $ckpt)"
svc_cpu0=$(($(cpu_ticks "${pids[0]}") + $(cpu_ticks "${pids[1]}"))) # the broker and redis
t_start=$(now)
start_vigil tput e2e-in e2e-alerts
rules_line=$(grep -m1 '"msg":"rules loaded"' "$vlog" |
    sed -E 's/.*"rules":([0-9]+),"correlations":([0-9]+).*/\1 rules, \2 correlations/')
wait_for 60 "the partitions to be assigned" assigned
t_assigned=$(log_time "partitions assigned")
# sample /metrics every 0.2 s until every event is read; the counters move at checkpoints
t_first="" r_first=0 records=0 prev=0 updates=0
while :; do
    scrape
    records=$(metric vigil_records_total)
    t=$(now)
    if [ -z "$t_first" ] && [ "$records" -gt 0 ]; then t_first=$t r_first=$records; fi
    if [ "$records" -ne "$prev" ]; then updates=$((updates + 1)) prev=$records; fi
    [ "$records" -lt "$events" ] || break
    kill -0 "$vpid" 2>/dev/null || die "vigil exited (see its log above)" "$(tail -5 "$vlog")"
    if awk -v a="$t" -v b="$t_start" -v l="$step_timeout" 'BEGIN { exit !(a - b > l) }'; then
        die "vigil read $records of $events events in $step_timeout s"
    fi
    sleep 0.2
done
t_done=$t
cpu_a=$(cpu_ticks "$vpid")
rss_a=$(peak_rss_kib "$vpid")
ckpt_a=$(ckpt_stats)
svc_cpu_a=$(($(cpu_ticks "${pids[0]}") + $(cpu_ticks "${pids[1]}") - svc_cpu0))
stop_pid "$vpid" 60 || die "vigil did not stop cleanly (exit status $?)"
log_a=$(log_counts)
check_alerts e2e-alerts "$truth_a"
load_end=$(awk '{ print $1, $2, $3 }' /proc/loadavg)

consume_s=$(calc "%.2f" "$t_done - $t_assigned")
startup_s=$(calc "%.2f" "$t_assigned - $t_start")
eps=$(calc "%.0f" "$events / ($t_done - $t_assigned)")
mbs=$(calc "%.1f" "$bytes_a / ($t_done - $t_assigned) / 1e6")
steady="n/a (one update)"
if [ "$r_first" -lt "$events" ]; then
    steady="$(calc "%.0f" "($events - $r_first) / ($t_done - $t_first)") events/s"
fi
cpu_s=$(calc "%.2f" "$cpu_a / $ticks")
cpu_pct=$(calc "%.0f" "100 * $cpu_a / $ticks / ($t_done - $t_start)")

report "== service end to end $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) CPUs; load $load_start -> $load_end"
report "setup: vigil run --config: threads $threads, correlation.shards $shards, checkpoint.interval $ckpt, lateness 1d, rules/sigma ($rules_line); librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?') mock broker (1 broker, in-process), $(redis-server --version | sed -E 's/.*v=([^ ]*).*/redis \1/') on loopback"
report "throughput: $(fmt_num "$events") events, $(calc "%.1f" "$bytes_a / 1e6") MB, pre-filled into $parts_a partitions (vigil replay: $replay_a)"
report "throughput: vigil: $eps events/s, $mbs MB/s ($consume_s s from partition assignment to every event read, +$startup_s s start-up before it; between the first and last of $updates metrics updates $steady; the counters move at checkpoints, so the end is known to within one checkpoint)"
report "throughput: vigil: CPU $cpu_s s (user+sys, $cpu_pct% of one core over its $(calc "%.1f" "$t_done - $t_start") s), peak RSS $((rss_a / 1024)) MiB; meanwhile the broker and redis-server $(calc "%.2f" "$svc_cpu_a / $ticks") s CPU"
report "throughput: ceiling, a plain librdkafka consumer with no processing: $(fmt_num "$ceil_rate") msgs/s, $ceil_mb MB/s ($ceil_s s); vigil at $(calc "%.0f" "100 * $eps / $ceil_rate")% of it"
report "throughput: $ckpt_a; $log_a"
report "throughput: alerts: $chk_got correlation alerts ($chk_want planted attacks), $chk_other others; missing $chk_missing, extra $chk_extra, duplicate ids $chk_dups"

# ---- 2. latency ----

progress "latency: a fresh vigil; $(fmt_num "$lat_events") events replayed at $rate/s"
start_vigil lat e2e-lat-in e2e-lat-alerts
wait_for 60 "the partitions to be assigned" assigned
sleep 1 # the first fetch requests go out
timeout $((lat_events / rate + step_timeout)) "$vigil" replay "$in_b" --brokers "$brokers" \
    --topic e2e-lat-in --key-field scenario --property sticky.partitioning.linger.ms=0 \
    --rate "$rate" --quiet 2>"$work/replay-b.log" &
rpid=$!
pids+=("$rpid")
cpu0=$(cpu_ticks "$vpid")
t0=$(now)
: >"$work/lag"
replay_done=0
while :; do
    sleep 1
    scrape
    records=$(metric vigil_records_total)
    echo "$(calc "%.1f" "$(now) - $t0") $(lag_sum) $records" >>"$work/lag"
    if [ "$replay_done" -eq 0 ] && ! kill -0 "$rpid" 2>/dev/null; then
        replay_done=1
        wait "$rpid" || {
            cat "$work/replay-b.log" >&2
            die "the latency replay failed"
        }
    fi
    [ "$records" -lt "$lat_events" ] || break
    kill -0 "$vpid" 2>/dev/null || die "vigil exited" "$(tail -5 "$vlog")"
    if awk -v a="$(now)" -v b="$t0" -v l="$((lat_events / rate + step_timeout))" \
        'BEGIN { exit !(a - b > l) }'; then
        die "vigil read $records of $lat_events events in time"
    fi
done
t1=$(now)
if [ "$replay_done" -eq 0 ]; then # every record is read: the replay is flushing (bounded by timeout)
    wait "$rpid" || die "the latency replay failed"
fi
cpu_b=$(($(cpu_ticks "$vpid") - cpu0))
ckpt_b=$(ckpt_stats)
replay_b=$(grep -o '[0-9]* records/s' "$work/replay-b.log" | head -1)
stop_pid "$vpid" 60 || die "vigil did not stop cleanly (exit status $?)"
log_b=$(log_counts)
check_alerts e2e-lat-alerts "$truth_b"
n_alerts=$(grep -c . "$work/alerts" || true)
lat=$("$probe" latency "$brokers" e2e-lat-in e2e-lat-alerts "$n_alerts" "$step_timeout") ||
    die "the latency probe failed: $lat"
lat_of() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$lat"; }
lag_stats=$(awk '{ n++; s += $2; if ($2 > m) m = $2 } END { printf "max %d, mean %.0f over %d samples", m, (n ? s / n : 0), n }' "$work/lag")

report "latency: $(fmt_num "$lat_events") events at $(fmt_num "$rate")/s (vigil replay: $replay_b) into $parts_b partitions; vigil CPU $(calc "%.0f" "100 * $cpu_b / $ticks / ($t1 - $t0)")% of one core meanwhile"
report "latency: consumer lag (sum of vigil_kafka_consumer_lag, messages, every second until every event was read): $lag_stats"
report "latency: event to alert (alert CreateTime - newest input CreateTime it names), $(lat_of resolved) alerts: p50 $(lat_of p50_ms) ms, p90 $(lat_of p90_ms) ms, p99 $(lat_of p99_ms) ms, max $(lat_of max_ms) ms (min $(lat_of min_ms), mean $(lat_of mean_ms))"
report "latency: $ckpt_b; $log_b"
report "latency: alerts: $chk_got correlation alerts ($chk_want planted attacks), $chk_other others; missing $chk_missing, extra $chk_extra, duplicate ids $chk_dups"

if [ "$failed" -ne 0 ]; then
    echo "run_e2e.sh: the alerts differ from the truth" >&2
    exit 1
fi
