#!/usr/bin/env bash
# Runs the CRS regression suite the way users run go-ftw: real HTTP requests
# through HAProxy (examples/haproxy, ports rewritten) -> coraza-spoa (CRS CI
# settings, the go-ftw marker rule, error log to a file) -> the runner's
# Albedo-compatible backend. Extra arguments go to crs-tests (e.g. --filter '^942').
# Last full run (2026-11-25): 5003 of 5003 pass in 240 s with
# crs-tests/haproxy-overrides.yaml (12 entries, 21 stages); 4982 without it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
crs=${CRS_DIR:-$root/../shared/crs}
[ -d "$crs/rules" ] || { echo "CRS not found at $crs: set CRS_DIR" >&2; exit 1; }
crs=$(cd "$crs" && pwd)
command -v haproxy >/dev/null || { echo "haproxy is required (apt-get install -y haproxy)" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p coraza-spoa -p crs-tests)
bin=$root/target/release

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
  echo "port $1 never opened; logs:" >&2; tail -n 20 "$work"/*.log >&2; return 1
}
fe=$(free_port); be=$(free_port); ag=$(free_port)

cat > "$work/agent.yaml" <<YAML
bind: 127.0.0.1:$ag
log_level: warn
default_application: crs
applications:
  - name: crs
    response_check: true
    transaction_ttl_ms: 60000
    error_log: $work/error.log
    directives: |
      Include @coraza.conf-recommended
      SecRuleEngine DetectionOnly
      SecResponseBodyAccess On
      SecResponseBodyMimeType text/plain text/html text/xml application/json
      Include @crs-setup.conf.example
      SecAction "id:900005,phase:1,nolog,pass,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000,setvar:tx.blocking_paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,setvar:tx.max_num_args=255,setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"
      SecRule REQUEST_HEADERS:X-CRS-Test "@rx ^.*\$" "id:999999,phase:1,pass,t:none,log,msg:'X-CRS-Test %{MATCHED_VAR}',ctl:ruleRemoveById=1-999998"
      Include @owasp_crs/*.conf
YAML
sed -e "s#127.0.0.1:8080#127.0.0.1:$fe#; s#127.0.0.1:8000#127.0.0.1:$be#; s#127.0.0.1:9000#127.0.0.1:$ag#" \
    -e "s#/etc/haproxy/coraza.cfg#$work/coraza.cfg#" "$root/examples/haproxy/haproxy.cfg" > "$work/haproxy.cfg"
cp "$root/examples/haproxy/coraza.cfg" "$work/coraza.cfg"

"$bin/crs-tests" albedo --bind "127.0.0.1:$be" > "$work/albedo.log" 2>&1 & pids+=($!)
"$bin/coraza-spoa" --config "$work/agent.yaml" --crs-dir "$crs" > "$work/agent.log" 2>&1 & pids+=($!)
wait_port "$be"; wait_port "$ag"
haproxy -f "$work/haproxy.cfg" -db > "$work/haproxy.log" 2>&1 & pids+=($!)
wait_port "$fe"
sleep 1
# HAProxy's own request handling differs from Apache's: its overrides apply
# unless the caller chose --overrides/--no-overrides.
ovr=(--overrides "$root/crs-tests/haproxy-overrides.yaml")
for a in "$@"; do case "$a" in --overrides|--no-overrides) ovr=() ;; esac; done
"$bin/crs-tests" --crs-dir "$crs" --http "127.0.0.1:$fe" --log-file "$work/error.log" "${ovr[@]}" "$@"
