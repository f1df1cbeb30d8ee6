#!/usr/bin/env bash
# The TechEmpower harness (docs/benchmarks.md, "TechEmpower"):
#  1. creates the hello_world database on the local PostgreSQL (bench/tfb-hello-world.sql),
#  2. builds and starts the nuages `tfb` example and the bare reference (bench/tfb-reference),
#  3. verifies both with bench/verify_tfb.py,
#  4. loads them alternately with wrk (64 connections, a warm-up, REPS runs of DURATION
#     seconds per test and server, the order of the servers reversed every other run)
#     and prints the medians of req/s, p50 and p99 latency, the median of the rounds'
#     own ratios (paired),
#     and the ratio nuages/reference per test, with the load average and each server's
#     resident memory before and after.
#  5. with DJANGO=1, the same against Django 5.2 (bench/django_tfb, served by gunicorn with
#     gevent workers as TechEmpower's Django entry is): the script creates a virtual
#     environment (DJANGO_VENV, default /tmp/tfb-django-venv) with python3 -m venv, installs
#     bench/django_tfb/requirements.txt with pip, verifies the server like the other two and
#     loads it in the same rotation, printing the ratio nuages/Django per test.
#
# Settings (environment): PG_URL (server, default postgres://postgres@127.0.0.1:5432),
# DB_NAME (hello_world; another name lets two harnesses share the PostgreSQL server),
# DURATION (10), WARMUP (5), REPS (5), CONNECTIONS (64), THREADS (2), QUERIES (20),
# PIPELINE (16: plaintext's pipelining depth, as TechEmpower runs it; 1 for none),
# TESTS ("json plaintext db queries fortunes updates"; empty for none), NUAGES_PORT (8080),
# REF_PORT (8081), SKIP_BUILD (1 to use the existing release binaries),
# MEMCHECK_TEST (fortunes: the test of the flat-memory check; empty to skip it),
# MEMCHECK_SECONDS (60), MEMCHECK_EVERY (5: seconds between RSS samples),
# DJANGO (1 to add Django), DJANGO_PORT (8082), DJANGO_VENV (/tmp/tfb-django-venv),
# DJANGO_WORKERS (gunicorn workers; 3 per core by default, as TechEmpower's entry).
#
# The flat-memory check runs last: one wrk run of MEMCHECK_SECONDS on MEMCHECK_TEST against
# nuages, sampling the server's resident memory every MEMCHECK_EVERY seconds, then prints
# the samples and the RSS at the start, at the end and the maximum.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
. bench/tfb_lib.sh
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB_NAME=${DB_NAME:-hello_world}
DB_URL="$PG_URL/$DB_NAME"
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
REPS=${REPS:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
QUERIES=${QUERIES:-20}
PIPELINE=${PIPELINE:-16}
TESTS=${TESTS-json plaintext db queries fortunes updates}
NUAGES_PORT=${NUAGES_PORT:-8080}
REF_PORT=${REF_PORT:-8081}
MEMCHECK_TEST=${MEMCHECK_TEST-fortunes}
MEMCHECK_SECONDS=${MEMCHECK_SECONDS:-60}
MEMCHECK_EVERY=${MEMCHECK_EVERY:-5}
DJANGO=${DJANGO:-0}
DJANGO_PORT=${DJANGO_PORT:-8082}
DJANGO_VENV=${DJANGO_VENV:-/tmp/tfb-django-venv}
SERVERS=(nuages reference)
[ "$DJANGO" = 1 ] && SERVERS+=(django)
WORK=$(mktemp -d /tmp/tfb-bench.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    echo "== installing wrk"
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

echo "== $DB_NAME on $PG_URL"
psql "$PG_URL/postgres" -Xq -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$DB_NAME\"" -c "CREATE DATABASE \"$DB_NAME\" ENCODING 'UTF8' TEMPLATE template0"
psql "$DB_URL" -Xq -v ON_ERROR_STOP=1 -f bench/tfb-hello-world.sql

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== cargo build --release -p tfb -p tfb-reference"
    cargo build --release -q -p tfb -p tfb-reference
fi

if [ "$DJANGO" = 1 ]; then
    echo "== Django 5.2 in $DJANGO_VENV"
    [ -x "$DJANGO_VENV/bin/python" ] || python3 -m venv "$DJANGO_VENV"
    "$DJANGO_VENV/bin/pip" install -q --disable-pip-version-check -r bench/django_tfb/requirements.txt
    "$DJANGO_VENV/bin/python" -c 'import django; print("Django", django.get_version())'
fi

echo "== starting the servers"
tfb_start nuages "$NUAGES_PORT" "$DB_URL" "$WORK/nuages.log"
NUAGES_PID=$!
PIDS+=("$NUAGES_PID")
tfb_start reference "$REF_PORT" "$DB_URL" "$WORK/reference.log"
REF_PID=$!
PIDS+=("$REF_PID")
if [ "$DJANGO" = 1 ]; then
    (cd bench/django_tfb && exec env TFB_DATABASE_URL="$DB_URL" TFB_BIND="127.0.0.1:$DJANGO_PORT" \
        ${DJANGO_WORKERS:+TFB_WORKERS=$DJANGO_WORKERS} \
        "$DJANGO_VENV/bin/gunicorn" -c gunicorn_conf.py tfb_project.wsgi:application) \
        >"$WORK/django.log" 2>&1 &
    DJANGO_PID=$!
    PIDS+=("$DJANGO_PID")
fi
port_of() { # server
    case "$1" in
        nuages) echo "$NUAGES_PORT" ;;
        reference) echo "$REF_PORT" ;;
        django) echo "$DJANGO_PORT" ;;
    esac
}
for server in "${SERVERS[@]}"; do
    tfb_wait "$(port_of "$server")"
done

echo "== verifying"
for server in "${SERVERS[@]}"; do
    python3 bench/verify_tfb.py "http://127.0.0.1:$(port_of "$server")" --pg "$DB_URL" >"$WORK/verify-$server.txt" || {
        grep -v '^PASS' "$WORK/verify-$server.txt"; echo "$server failed verification"; exit 1; }
    tail -1 "$WORK/verify-$server.txt" | sed "s/^/$server: /"
done

tfb_pipeline_lua "$WORK/pipeline.lua" "$PIPELINE"

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# The resident memory of a server: its process plus its children (gunicorn's workers).
server_rss() { # pid
    local total
    total=$(rss "$1")
    for child in $(pgrep -P "$1"); do
        total=$((total + $(rss "$child" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
rss_line() {
    local line="RSS nuages $(rss $NUAGES_PID) kB, reference $(rss $REF_PID) kB"
    [ "$DJANGO" = 1 ] && line+=", django $(server_rss $DJANGO_PID) kB (with its workers)"
    echo "$line"
}

url_for() { # test port
    case "$1" in
        queries|updates) echo "http://127.0.0.1:$2/$1?queries=$QUERIES" ;;
        *) echo "http://127.0.0.1:$2/$1" ;;
    esac
}

run_wrk() { # test port seconds out
    local args=(-t "$THREADS" -c "$CONNECTIONS" -d "${3}s" --latency -H "Accept: */*")
    if [ "$1" = plaintext ] && [ "$PIPELINE" -gt 1 ]; then
        args+=(-s "$WORK/pipeline.lua")
    fi
    wrk "${args[@]}" "$(url_for "$1" "$2")" >"$4" 2>&1
}

# wrk output -> "req/s p50_ms p99_ms errors"
parse() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { err += $NF }
        /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
        END { printf "%s %.2f %.2f %d\n", rps, p50, p99, err }' "$1"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(rss_line)"
printf '%-10s %-9s %10s %9s %9s %7s %7s %7s\n' test server "req/s" "p50 ms" "p99 ms" errors ratio paired
for test in $TESTS; do
    for server in "${SERVERS[@]}"; do
        run_wrk "$test" "$(port_of "$server")" "$WARMUP" "$WORK/warmup-$test-$server.txt"
    done
    for rep in $(seq "$REPS"); do
        # Every other repetition runs the servers in reverse order, so that neither
        # always runs first (on a shared machine, the load drifts within a test).
        order=("${SERVERS[@]}")
        if [ $((rep % 2)) = 0 ]; then
            order=()
            for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do order+=("${SERVERS[$i]}"); done
        fi
        for server in "${order[@]}"; do
            run_wrk "$test" "$(port_of "$server")" "$DURATION" "$WORK/$test-$server-$rep.txt"
            parse "$WORK/$test-$server-$rep.txt" >>"$WORK/$test-$server.dat"
        done
    done
    declare -A rps
    for server in "${SERVERS[@]}"; do
        dat="$WORK/$test-$server.dat"
        rps[$server]=$(cut -d' ' -f1 "$dat" | median)
        p50=$(cut -d' ' -f2 "$dat" | median)
        p99=$(cut -d' ' -f3 "$dat" | median)
        errors=$(awk '{ s += $4 } END { print s }' "$dat")
        ratio=""
        paired=""
        if [ $server != nuages ]; then
            ratio=$(awk -v a="${rps[nuages]}" -v b="${rps[$server]}" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
            # The median of the rounds' own ratios: each round runs the two servers back
            # to back, so a drift of the machine's speed between rounds cancels out.
            paired=$(paste -d' ' "$WORK/$test-nuages.dat" "$dat" |
                awk '$5 > 0 { print $1 / $5 }' | median | awk '{ printf "%.2f", $1 }')
        fi
        printf '%-10s %-9s %10.0f %9s %9s %7s %7s %7s\n' "$test" "$server" "${rps[$server]}" "$p50" "$p99" "$errors" "$ratio" "$paired"
    done
done
if [ -n "$MEMCHECK_TEST" ]; then
    echo "== flat-memory check: ${MEMCHECK_SECONDS} s of /$MEMCHECK_TEST on nuages, RSS every ${MEMCHECK_EVERY} s"
    run_wrk "$MEMCHECK_TEST" "$NUAGES_PORT" "$MEMCHECK_SECONDS" "$WORK/memcheck-wrk.txt" &
    WRK_PID=$!
    samples=("$(rss $NUAGES_PID)")
    while kill -0 "$WRK_PID" 2>/dev/null; do
        sleep "$MEMCHECK_EVERY"
        samples+=("$(rss $NUAGES_PID)")
    done
    wait "$WRK_PID" || true
    read -r mem_rps _ _ mem_errors < <(parse "$WORK/memcheck-wrk.txt")
    echo "RSS samples (kB): ${samples[*]}"
    printf '%s\n' "${samples[@]}" | awk -v rps="$mem_rps" -v errors="$mem_errors" '
        NR == 1 { start = $1; max = $1 }
        { if ($1 > max) max = $1; end = $1 }
        END { printf "RSS start %d kB, end %d kB, max %d kB (end - start %+d kB); %s req/s, %d errors\n", start, end, max, end - start, rps, errors }'
fi

echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg); $(rss_line)"
echo "== raw wrk output in $WORK"
