#!/usr/bin/env bash
# CPU time per request of one TechEmpower test, from perf's cpu-clock samples of the
# server process: what instruction counts (bench/callgrind_tfb.sh) leave out, such as
# allocator slow paths, cache misses and atomic writes, shows up here (docs/benchmarks.md,
# "Session 8"). The cpu-clock event is a software timer, so this works on virtual
# machines without hardware counters.
#
#   bench/perf_tfb.sh nuages|reference PATH [PIPELINE] [SECONDS]
#   bench/perf_tfb.sh nuages /db
#   bench/perf_tfb.sh reference /plaintext 16
#
# Starts the release binary (built beforehand), warms it with wrk for 3 s, records
# SECONDS (8) of samples at 4,999 Hz while wrk (2 threads, 64 connections) loads it, and
# prints the requests per second, the server's CPU microseconds per request (user and
# kernel) and the 25 symbols that take the most of it. The profile stays in $OUT.
# Settings (environment): DB_URL (as bench/run_tfb.sh creates it), PORT (18091), OUT.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/tfb_lib.sh
server=$1
path=$2
pipeline=${3:-1}
seconds=${4:-8}
DB_URL=${DB_URL:-postgres://postgres@127.0.0.1:5432/hello_world}
PORT=${PORT:-18091}
OUT=${OUT:-$(mktemp -d /tmp/tfb-perf.XXXXXX)}
mkdir -p "$OUT"
hz=4999

for tool in perf wrk; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install linux-perf wrk)"; exit 1; }
done

case "$server" in
    nuages|reference) ;;
    *) echo "usage: $0 nuages|reference PATH [PIPELINE] [SECONDS]"; exit 2 ;;
esac
tfb_start "$server" "$PORT" "$DB_URL" "$OUT/server.log"
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
tfb_wait "$PORT"
tfb_pipeline_lua "$OUT/pipeline.lua" "$pipeline"
url="http://127.0.0.1:$PORT$path"
wrk -t2 -c64 -d3s -s "$OUT/pipeline.lua" "$url" >/dev/null
wrk -t2 -c64 -d"$((seconds + 2))s" -s "$OUT/pipeline.lua" "$url" >"$OUT/wrk.txt" &
load=$!
sleep 1
perf record -q -e cpu-clock -F "$hz" -p "$pid" -o "$OUT/perf.data" -- sleep "$seconds" >/dev/null 2>&1
wait "$load"
rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
echo "$server $path pipeline=$pipeline req/s=$rps profile=$OUT/perf.data"
perf report -i "$OUT/perf.data" --stdio --sort sym -F sample,sym 2>/dev/null |
    awk -v hz="$hz" -v rps="$rps" -v secs="$seconds" '
        /^#/ || NF < 3 { next }
        {
            us = $1 / hz / (rps * secs) * 1e6
            total += us
            if ($2 == "[k]") kernel += us
            $1 = ""
            printf "%8.3f %s\n", us, substr($0, 2, 110) > "/dev/stderr"
        }
        END { printf "CPU per request: %.2f us (user %.2f, kernel %.2f)\n", total, total - kernel, kernel }
    ' 2>"$OUT/symbols.txt"
sort -rn "$OUT/symbols.txt" | head -25
