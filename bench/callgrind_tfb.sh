#!/usr/bin/env bash
# Instructions per request of one TechEmpower test, under valgrind's callgrind: repeatable
# while other work loads the machine, unlike req/s (docs/benchmarks.md, "Session 4
# profiling").
#
#   bench/callgrind_tfb.sh nuages|reference PATH [PIPELINE] [SECONDS]
#   bench/callgrind_tfb.sh nuages /plaintext 16      # pipelined 16 deep, as TechEmpower
#   bench/callgrind_tfb.sh reference /json
#
# Starts the release binary (target/release/tfb or tfb-reference, built beforehand) under
# callgrind, warms it with wrk for 2 s (1 thread, 4 connections), zeroes the counters,
# loads it for SECONDS (8), dumps, and prints the instructions counted divided by the
# requests wrk completed. The profile stays in $OUT (callgrind_annotate it).
# Settings (environment): DB_URL (postgres://postgres@127.0.0.1:5432/hello_world, as
# bench/run_tfb.sh creates it), PORT (18090), OUT (a new /tmp/tfb-callgrind.XXXXXX).
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/tfb_lib.sh
server=$1
path=$2
pipeline=${3:-1}
seconds=${4:-8}
DB_URL=${DB_URL:-postgres://postgres@127.0.0.1:5432/hello_world}
PORT=${PORT:-18090}
OUT=${OUT:-$(mktemp -d /tmp/tfb-callgrind.XXXXXX)}
mkdir -p "$OUT"

for tool in valgrind callgrind_control callgrind_annotate wrk; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install valgrind wrk)"; exit 1; }
done

case "$server" in
    nuages|reference) ;;
    *) echo "usage: $0 nuages|reference PATH [PIPELINE] [SECONDS]"; exit 2 ;;
esac
tfb_start "$server" "$PORT" "$DB_URL" "$OUT/server.log" \
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out"
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
tfb_wait "$PORT"
tfb_pipeline_lua "$OUT/pipeline.lua" "$pipeline"
wrk -t1 -c4 -d2s -s "$OUT/pipeline.lua" "http://127.0.0.1:$PORT$path" >/dev/null
callgrind_control -z "$pid" >/dev/null
wrk -t1 -c4 -d"${seconds}s" -s "$OUT/pipeline.lua" "http://127.0.0.1:$PORT$path" >"$OUT/wrk.txt"
callgrind_control -d "$pid" >/dev/null
sleep 1
requests=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
profile=$(ls -t "$OUT"/callgrind.out.* | head -1)
total=$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$server $path pipeline=$pipeline requests=$requests instructions=$total per_request=$((total / requests)) profile=$profile"
