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
server=$1
path=$2
pipeline=${3:-1}
seconds=${4:-8}
DB_URL=${DB_URL:-postgres://postgres@127.0.0.1:5432/hello_world}
PORT=${PORT:-18091}
OUT=${OUT:-$(mktemp -d /tmp/tfb-perf.XXXXXX)}
hz=4999

for tool in perf wrk; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install linux-perf wrk)"; exit 1; }
done

case "$server" in
    nuages)
        NUAGES_DATABASES__DEFAULT__URL="$DB_URL" NUAGES_DEBUG=false \
        NUAGES_SECRET_KEY=tfb-benchmark-not-a-secret NUAGES_ALLOWED_HOSTS='["*"]' \
            target/release/tfb runserver "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
        ;;
    reference)
        target/release/tfb-reference "127.0.0.1:$PORT" "$DB_URL" >"$OUT/server.log" 2>&1 &
        ;;
    *) echo "usage: $0 nuages|reference PATH [PIPELINE] [SECONDS]"; exit 2 ;;
esac
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$PORT/plaintext" >/dev/null && break
    sleep 0.2
done

cat >"$OUT/pipeline.lua" <<LUA
init = function(args)
  local r = {}
  for i = 1, $pipeline do r[i] = wrk.format() end
  req = table.concat(r)
end
request = function() return req end
LUA
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
