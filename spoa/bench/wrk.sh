#!/usr/bin/env bash
# Throughput/latency through HAProxy on loopback, measured with wrk:
#   1. HAProxy alone (no SPOE filter)
#   2. HAProxy + coraza-spoa with no rules (SecRuleEngine On only)
#   3. HAProxy + coraza-spoa with the OWASP CRS at paranoia level 1
# The request is read from a raw .http file (default: the shared benign GET).
# HAProxy's configuration is examples/haproxy/*.cfg with ports/paths rewritten;
# the application is a second HAProxy proxy answering 200 from memory, so the
# response path (coraza-res) is exercised too.
#
# Usage: spoa/bench/wrk.sh [REQUEST.http]
# Env: DURATION (15s) CONNECTIONS (32) THREADS (2) CRS_DIR (../shared/crs)
#      AGENT (path to a built coraza-spoa; default: cargo build --release)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
req=${1:-$root/../../shared/bench/requests/01-benign-get.http}
[ -f "$req" ] || req=/work/shared/bench/requests/01-benign-get.http
duration=${DURATION:-15s}
conns=${CONNECTIONS:-32}
threads=${THREADS:-2}
crs=${CRS_DIR:-}
if [ -z "$crs" ]; then
  for c in "$root/../shared/crs" "$root/../../shared/crs" /work/shared/crs; do
    [ -d "$c/rules" ] && crs=$c && break
  done
fi
for tool in haproxy wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install -y $tool)" >&2; exit 1; }
done
[ -d "$crs/rules" ] || { echo "CRS not found: set CRS_DIR" >&2; exit 1; }

agent_bin=${AGENT:-}
if [ -z "$agent_bin" ]; then
  (cd "$root" && cargo build --release -p coraza-spoa >&2)
  agent_bin=$root/target/release/coraza-spoa
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port [pid]
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
      echo "process $2 exited before listening on $1:" >&2; cat "$work"/*.log >&2; return 1
    fi
    sleep 0.2
  done
  echo "port $1 never opened" >&2; return 1
}

# wrk script from the raw request: method, path, headers, body.
python3 - "$req" > "$work/req.lua" <<'PY'
import sys
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
head, _, body = raw.partition(b'\n\n')
lines = head.decode().split('\n')
method, path, _ = lines[0].split(' ', 2)
def q(s): return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'
print(f'wrk.method = {q(method)}')
print(f'wrk.path = {q(path)}')
for l in lines[1:]:
    if ':' in l:
        k, v = l.split(':', 1)
        if k.lower() in ('connection', 'content-length'):
            continue
        print(f'wrk.headers[{q(k.strip())}] = {q(v.strip())}')
if body.strip():
    print('wrk.body = ' + q(body.decode('latin-1')))
PY

fe=$(free_port); app=$(free_port); agent_port=$(free_port)
ex=$root/examples/haproxy
sed -e "s#/etc/haproxy/coraza.cfg#$ex/coraza.cfg#" \
    -e "s#127.0.0.1:8080#127.0.0.1:$fe#" \
    -e "s#127.0.0.1:8000#127.0.0.1:$app#" \
    -e "s#127.0.0.1:9000#127.0.0.1:$agent_port#" \
    -e "s#^    log global#    no log#" \
    "$ex/haproxy.cfg" > "$work/with-agent.cfg"
cat >> "$work/with-agent.cfg" <<EOF

listen app_server
    bind 127.0.0.1:$app
    http-request return status 200 content-type "text/html" string "<html><body>hello</body></html>"
EOF
grep -v -e 'filter spoe' -e 'spoe-group' -e 'txn.coraza' "$work/with-agent.cfg" > "$work/alone.cfg"

run_wrk() { # label
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$work/req.lua" "http://127.0.0.1:$fe" 2>&1)
  local rps lat p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  lat=$(awk '/^    Latency/ {print $2}' <<<"$out")
  p99=$(awk '/ 99%/ {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-34s %12s req/s   avg %-9s p99 %-9s non-2xx %s\n' "$1" "$rps" "$lat" "$p99" "${non2xx:-0}"
}

start_haproxy() { haproxy -db -f "$1" >"$work/haproxy.log" 2>&1 & pids+=($!); wait_port "$fe" "${pids[-1]}"; sleep 1; }
stop_last() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

start_agent() { # directives
  cat > "$work/agent.yaml" <<EOF
bind: 127.0.0.1:$agent_port
log_level: error
default_application: sample_app
applications:
  - name: sample_app
    response_check: true
    transaction_ttl_ms: 60000
    directives: |
$(sed 's/^/      /' <<<"$1")
EOF
  "$agent_bin" --config "$work/agent.yaml" --crs-dir "$crs" 2>"$work/agent.log" & pids+=($!)
  wait_port "$agent_port" "${pids[-1]}"
}

echo "request: $req   wrk -t$threads -c$conns -d$duration   agent: $agent_bin"

start_haproxy "$work/alone.cfg"
run_wrk "haproxy alone"
stop_last

start_agent "SecRuleEngine On"
start_haproxy "$work/with-agent.cfg"
run_wrk "haproxy + agent, no rules"
stop_last; stop_last

start_agent "Include @coraza.conf-recommended
Include @crs-setup.conf.example
Include @owasp_crs/*.conf
SecRuleEngine On"
start_haproxy "$work/with-agent.cfg"
run_wrk "haproxy + agent, CRS PL1"
stop_last; stop_last
