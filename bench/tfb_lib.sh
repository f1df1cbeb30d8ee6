# What the TechEmpower scripts share (sourced by run_tfb.sh, callgrind_tfb.sh and
# perf_tfb.sh from the repository's root, not run on its own).

# tfb_start nuages|reference PORT DB_URL LOG [WRAPPER...]: starts the release binary in
# the background, configured as the benchmark runs it, under WRAPPER when one is given
# (`valgrind --tool=callgrind ...`); its pid is then in $!.
tfb_start() {
    local server=$1 port=$2 db_url=$3 log=$4
    shift 4
    case "$server" in
        nuages)
            NUAGES_DATABASES__DEFAULT__URL="$db_url" NUAGES_DEBUG=false \
            NUAGES_SECRET_KEY=tfb-benchmark-not-a-secret NUAGES_ALLOWED_HOSTS='["*"]' \
                "$@" target/release/tfb runserver "127.0.0.1:$port" >"$log" 2>&1 &
            ;;
        reference)
            "$@" target/release/tfb-reference "127.0.0.1:$port" "$db_url" >"$log" 2>&1 &
            ;;
        *) echo "unknown server: $server (nuages or reference)" >&2; return 2 ;;
    esac
}

# tfb_wait PORT: waits (up to a minute) until the server on PORT answers /plaintext.
tfb_wait() {
    for _ in $(seq 300); do
        curl -fs "http://127.0.0.1:$1/plaintext" >/dev/null && return 0
        sleep 0.2
    done
}

# tfb_pipeline_lua FILE DEPTH: a wrk script sending DEPTH requests per write, as
# TechEmpower pipelines /plaintext (DEPTH 1: no pipelining).
tfb_pipeline_lua() {
    cat >"$1" <<LUA
init = function(args)
  local r = {}
  for i = 1, $2 do r[i] = wrk.format() end
  req = table.concat(r)
end
request = function() return req end
LUA
}
