#!/usr/bin/env bash
# Postern and Dovecot side by side on loopback, measured by the same client in one run:
# sign-ins per second, memory of idle IMAP connections, revocation latency; then Postern's
# SMTP submission rate and device list. Prints one Markdown table.
#
#   DOVECOT_SCRIPTS=DIR bench/compare-dovecot.sh
#
# DIR holds setup-dovecot.sh and memprobe.sh, which run a private Dovecot 2.3 on loopback
# (see BENCHMARKS.md). Run as root: that setup adds a `vmail` user and files owned by it.
# Every load is bounded in count and time; everything started here is stopped on exit.
# A Postern service that is not there (no IMAP listener yet, say) shows as n/a.
#
# Knobs (environment): QUICK=1 (a short smoke run), ROUNDS, LOGIN_N, SHA_N, ARGON_N, TLS_N,
# IDLE ("1000 10000"), REVOKE_N, TRIALS, SUBMIT_N, MAILBOX_N (sizes: "20000 100000"), DEVICE_PAGE
# (path of the device list to load with wrk), SECTIONS (which loads: "signins idle revoke submit
# web mailbox inproc"), OUT (a folder to keep results.jsonl and table.md in), PG (1: also run
# Postern on PostgreSQL, in a throwaway cluster, beside SQLite; 0: not; default 1 when
# PostgreSQL's server programs are installed).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DOVECOT_SCRIPTS:?set DOVECOT_SCRIPTS to the folder holding setup-dovecot.sh and memprobe.sh}"
[[ -x $DOVECOT_SCRIPTS/setup-dovecot.sh ]] || { echo "no setup-dovecot.sh in $DOVECOT_SCRIPTS" >&2; exit 2; }

if [[ ${QUICK:-0} == 1 ]]; then
  : "${ROUNDS:=1}" "${LOGIN_N:=500}" "${SHA_N:=200}" "${ARGON_N:=12}" "${TLS_N:=200}"
  : "${IDLE:=200}" "${REVOKE_N:=100}" "${TRIALS:=3}" "${SUBMIT_N:=100}" "${MAILBOX_N:=1000}"
fi
: "${ROUNDS:=3}" "${LOGIN_N:=5000}" "${SHA_N:=2000}" "${ARGON_N:=60}" "${TLS_N:=2000}"
: "${IDLE:=1000 10000}" "${REVOKE_N:=1000}" "${TRIALS:=20}" "${SUBMIT_N:=2000}"
: "${MAILBOX_N:=20000 100000}"
: "${SECTIONS:=signins idle revoke submit web mailbox inproc}"
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
CLIENTS=4            # sign-in and submission clients at once
SPREAD=10            # source addresses 127.0.0.1..10: 1,000 idle connections each at 10,000
# Sessions set up at once for the idle and revocation loads: 4 per source address, below
# the 16 sign-ins Postern evaluates at once for an address without failed attempts.
SETUP_C=40
DV_PORT_HP=${DV_PORT_HP:-10143}
DV_PORT_MX=${DV_PORT_MX:-10144}
DV_PORT_TLS_PLAIN=${DV_PORT_TLS_PLAIN:-10145}
DV_PORT_TLS=${DV_PORT_TLS:-10146}
DV_USER_PW=devpass-123   # the password setup-dovecot.sh gives its users

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

echo "Building (release)..." >&2
cargo build --release --locked -p postern -p postern-loadgen >&2
PT=$PWD/target/release/postern
LG=$PWD/target/release/postern-loadgen
export BENCH_POSTERN=$PT

WORK=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$WORK"   # Dovecot's unprivileged processes must reach their folders inside
RESULTS=$WORK/results.jsonl
: > "$RESULTS"
DOVECOTS=()
# Postern instances by name: `postern` on SQLite, `postern-pg` on PostgreSQL.
INSTANCES=()
declare -A P_PID=() P_STORE=() P_WEB=() P_IMAP=() P_IMAPS=() P_SMTP=() P_PW=()
PG_DATA=

stop_postern() {  # NAME
  local pid=${P_PID[$1]:-0}
  P_PID[$1]=0
  (( pid > 1 )) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

stop_dovecot() {
  local d=$1 pid
  pid=$(cat "$d/run/master.pid" 2>/dev/null || echo 0)
  doveadm -c "$d/dovecot.conf" stop >/dev/null 2>&1 || true
  for _ in $(seq 100); do (( pid > 1 )) && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

cleanup() {
  for d in "${DOVECOTS[@]}"; do stop_dovecot "$d"; done
  for name in "${INSTANCES[@]}"; do stop_postern "$name"; done
  [[ -z $PG_DATA ]] || as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  if [[ -n ${OUT:-} ]]; then mkdir -p "$OUT" && cp "$RESULTS" "$OUT/" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# True when host:port answers with an IMAP or SMTP greeting.
greets() {
  local host=${1%:*} port=${1##*:}
  [[ -n $1 ]] || return 1
  timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port && IFS= read -r -t 2 line <&3 && [[ \$line == '* OK'* || \$line == 220* ]]" 2>/dev/null
}

note() { printf '{"label":"note","text":%s}\n' "$(printf '%s' "$1" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >> "$RESULTS"; }
na() { printf '{"label":"%s","unavailable":"%s"}\n' "$1" "$2" >> "$RESULTS"; echo "  $1: n/a ($2)" >&2; }

# load LABEL SUBCOMMAND ARGS...: one bounded run of the load generator, its line kept.
load() {
  local label=$1 sub=$2 out err
  shift 2
  err=$WORK/load.err
  if out=$(timeout 900 "$LG" "$sub" --label "$label" "$@" 2>"$err"); then
    echo "$out" >> "$RESULTS"
    echo "  $label: $(grep -o '"rate":[0-9.]*' <<<"$out" | head -1) $(grep -o '"p99_ms":[0-9.]*' <<<"$out" | tail -1) $(grep -o '"errors":[0-9]*' <<<"$out" | tail -1)" >&2
  else
    na "$label" "load failed: $(tail -1 "$err" | tr -d '"\\')"
  fi
}

# ---- Dovecot: highperf for sign-ins, multiplex for idle connections and kick ----
start_dovecot() {  # NAME PROFILE PORT
  local d=$WORK/dovecot-$1
  mkdir -p "$d"
  D=$d PORT=$3 PROFILE=$2 PW=$DV_USER_PW "$DOVECOT_SCRIPTS/setup-dovecot.sh" > "$WORK/setup-$1.log" 2>&1 \
    || { cat "$WORK/setup-$1.log" >&2; exit 1; }
  DOVECOTS+=("$d")
}
restart_dovecot() {  # FOLDER PORT
  stop_dovecot "$1"
  dovecot -c "$1/dovecot.conf" </dev/null >/dev/null 2>&1
  for _ in $(seq 100); do greets "127.0.0.1:$2" && return 0; sleep 0.1; done
  echo "Dovecot did not restart on port $2" >&2; exit 1
}
# The peer has no TLS; a third copy of the highperf profile gets implicit TLS on its imaps
# port with a throwaway self-signed certificate, so that TLS sign-ins compare too.
enable_dovecot_tls() {  # FOLDER PLAIN_PORT TLS_PORT
  local d=$1
  command -v openssl >/dev/null || return 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1 || return 1
  chmod 644 "$d/key.pem"
  python3 - "$d" "$3" <<'EOF_PY' || return 1
import re, sys
d, port = sys.argv[1], sys.argv[2]
path = d + "/dovecot.conf"
conf = open(path).read()
conf = conf.replace("ssl = no", "ssl = yes\nssl_cert = <%s/cert.pem\nssl_key = <%s/key.pem" % (d, d), 1)
conf, n = re.subn(r"inet_listener imaps \{\n    port = 0", "inet_listener imaps {\n    address = 127.0.0.1\n    port = " + port, conf)
assert n == 1, "no imaps listener in the configuration"
open(path, "w").write(conf)
EOF_PY
  restart_dovecot "$d" "$2"
}
# The setup script installs Dovecot when `dovecot` is missing; its IMAP server is a package of
# its own, which a machine can lack while having the rest.
if [[ ! -x /usr/lib/dovecot/imap ]]; then
  echo "Installing dovecot-imapd..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >&2
fi
echo "Starting Dovecot (highperf on $DV_PORT_HP, TLS on $DV_PORT_TLS, multiplex on $DV_PORT_MX)..." >&2
start_dovecot highperf highperf "$DV_PORT_HP"
start_dovecot tls highperf "$DV_PORT_TLS_PLAIN"
start_dovecot multiplex multiplex "$DV_PORT_MX"
DV_HP=$WORK/dovecot-highperf
DV_TLS=$WORK/dovecot-tls
DV_MX=$WORK/dovecot-multiplex
DV_TLS_WHY=
enable_dovecot_tls "$DV_TLS" "$DV_PORT_TLS_PLAIN" "$DV_PORT_TLS" || DV_TLS_WHY="TLS could not be set up on the Dovecot copy"

# ---- PostgreSQL: a throwaway cluster on a free loopback port (PostgreSQL refuses root) ----
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z ${PG:-} ]]; then [[ -x $PG_BIN/initdb ]] && PG=1 || PG=0; fi
as_postgres() { if (( EUID == 0 )); then runuser -u postgres -- "$@"; else "$@"; fi; }
# A free port below the ephemeral range, so that none of the load's own client sockets can
# hold it when a server is restarted on it.
free_port() {
  python3 - <<'EOF_PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(max(1024, low - 12000), low)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
EOF_PY
}
if [[ $PG == 1 ]]; then
  echo "Starting PostgreSQL..." >&2
  [[ -x $PG_BIN/initdb ]] || { echo "PG=1 but PostgreSQL's server programs are not installed" >&2; exit 2; }
  mkdir -p "$WORK/pg"
  (( EUID != 0 )) || chown postgres: "$WORK/pg"
  as_postgres "$PG_BIN/initdb" -A trust -U postern -E UTF8 -D "$WORK/pg/data" >/dev/null
  PG_PORT=$(free_port)
  # Its defaults otherwise (fsync on, as Postern's SQLite syncs every commit too).
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg -c max_connections=200" start >/dev/null
  PG_DATA=$WORK/pg/data
  for db in postern inproc; do
    psql -h 127.0.0.1 -p "$PG_PORT" -U postern -d postgres -qAt -c "CREATE DATABASE $db" >/dev/null
  done
  PG_URL=postgres://postern@127.0.0.1:$PG_PORT
fi

# ---- Postern: per store a fresh data folder, every listener on a free loopback port ----
export POSTERN_IMAP__LISTEN=127.0.0.1:0 POSTERN_IMAP__LISTEN_TLS=127.0.0.1:0
export POSTERN_SMTP__LISTEN=127.0.0.1:0 POSTERN_SMTP__LISTEN_TLS=127.0.0.1:0
export POSTERN_POP3__LISTEN= POSTERN_POP3__LISTEN_TLS= POSTERN_LMTP__LISTEN=
export POSTERN_LIMITS__MAX_CONNECTIONS=20000
EMAIL=bench@bench.test
LIST_EMAIL=list@bench.test
ACCOUNT_PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export LOADGEN_API_PASSWORD=$ACCOUNT_PW

# with NAME CMD...: runs CMD with the configuration of Postern instance NAME.
with() {
  local name=$1
  shift
  POSTERN_DATA_DIR=$WORK/$name POSTERN_STORE=${P_STORE[$name]} \
    POSTERN_WEB__LISTEN=${P_WEB[$name]#http://} POSTERN_WEB__PUBLIC_URL=${P_WEB[$name]} "$@"
}

add_postern() {  # NAME STORE
  local name=$1
  INSTANCES+=("$name")
  P_STORE[$name]=$2
  P_WEB[$name]=http://127.0.0.1:$(free_port)
  P_PID[$name]=0
  echo "Preparing Postern on ${2:-SQLite} (account, addresses, devices)..." >&2
  echo "$ACCOUNT_PW" | with "$name" "$PT" account create "$EMAIL" --password-stdin
  with "$name" "$PT" address create "$EMAIL" --owner "$EMAIL"
  P_PW[$name]=$(with "$name" "$PT" device create "$EMAIL" --description bench --protocols imap,smtp)
  with "$name" "$PT" address create "$LIST_EMAIL" --owner "$EMAIL"
  for i in $(seq 100); do with "$name" "$PT" device create "$LIST_EMAIL" --description "phone $i" >/dev/null; done
}

start_postern() {  # NAME
  local name=$1 log=$WORK/$1.log pid
  # `exec` in a subshell: $! is then Postern itself, which stop_postern signals and whose
  # memory the idle load reads (a function run with `&` would leave a shell in between).
  (with "$name" exec "$PT" serve) > "$log" 2>&1 &
  pid=$!
  P_PID[$name]=$pid
  for _ in $(seq 300); do
    grep -q 'is running' "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "Postern ($name) did not start" >&2; exit 1; }
    sleep 0.1
  done
  P_IMAP[$name]=$(awk '$1=="imap.listen"{print $2}' "$log")
  P_IMAPS[$name]=$(awk '$1=="imap.listen_tls"{print $2}' "$log")
  P_SMTP[$name]=$(awk '$1=="smtp.listen"{print $2}' "$log")
  sleep 0.5
}
restart_postern() { stop_postern "$1"; start_postern "$1"; }
imap_up() { greets "${P_IMAP[$1]}"; }

add_postern postern ""
[[ $PG != 1 ]] || add_postern postern-pg "$PG_URL/postern"
echo "Starting Postern..." >&2
for name in "${INSTANCES[@]}"; do start_postern "$name"; done
NO_IMAP="Postern's IMAP does not answer"
if imap_up postern; then IMAP_WHY=; else IMAP_WHY=$NO_IMAP; fi
[[ -z $IMAP_WHY ]] || echo "  $IMAP_WHY: its columns will read n/a" >&2

# ---- Sign-ins: alternating rounds, 4 clients, plaintext loopback ----
if section signins; then
echo "Sign-ins ($ROUNDS rounds)..." >&2
login_args=(-c "$CLIENTS" --duration-limit 120)
for _ in $(seq "$ROUNDS"); do
  for name in "${INSTANCES[@]}"; do
    if [[ -z $IMAP_WHY ]]; then
      load "login/$name/plain" imap-login --addr "${P_IMAP[$name]}" --user "$EMAIL" --password "${P_PW[$name]}" -n "$LOGIN_N" "${login_args[@]}"
    else na "login/$name/plain" "$IMAP_WHY"; fi
  done
  load login/dovecot/plain imap-login --addr "127.0.0.1:$DV_PORT_HP" --user plain@example.test --password "$DV_USER_PW" -n "$LOGIN_N" "${login_args[@]}"
  for name in "${INSTANCES[@]}"; do
    if [[ -z $IMAP_WHY ]] && imap_up "$name"; then
      load "login/$name/tls" imap-login --tls --addr "${P_IMAPS[$name]}" --user "$EMAIL" --password "${P_PW[$name]}" -n "$TLS_N" "${login_args[@]}"
    else na "login/$name/tls" "${IMAP_WHY:-IMAP stopped answering}"; fi
  done
  if [[ -z $DV_TLS_WHY ]]; then
    load login/dovecot/tls imap-login --tls --addr "127.0.0.1:$DV_PORT_TLS" --user plain@example.test --password "$DV_USER_PW" -n "$TLS_N" "${login_args[@]}"
  else na login/dovecot/tls "$DV_TLS_WHY"; fi
  load login/dovecot/sha512-crypt imap-login --addr "127.0.0.1:$DV_PORT_HP" --user sha@example.test --password "$DV_USER_PW" -n "$SHA_N" "${login_args[@]}"
  load login/dovecot/argon2id imap-login --addr "127.0.0.1:$DV_PORT_HP" --user argon@example.test --password "$DV_USER_PW" -n "$ARGON_N" "${login_args[@]}"
done
fi
stop_dovecot "$DV_HP"
stop_dovecot "$DV_TLS"

# ---- Idle connections: each server fresh, Dovecot first, then Postern ----
if section idle; then
echo "Idle connections ($IDLE)..." >&2
idle_args=(-c "$SETUP_C" --source-ips "$SPREAD" --settle 3 --hold 5 --duration-limit 300)
for k in $IDLE; do
  restart_dovecot "$DV_MX" "$DV_PORT_MX"
  load "idle/dovecot/$k" imap-idle --addr "127.0.0.1:$DV_PORT_MX" --user plain@example.test --password "$DV_USER_PW" \
    -n "$k" --pid "$(cat "$DV_MX/run/master.pid")" "${idle_args[@]}"
  for name in "${INSTANCES[@]}"; do
    restart_postern "$name"
    if imap_up "$name"; then
      load "idle/$name/$k" imap-idle --addr "${P_IMAP[$name]}" --user "$EMAIL" --password "${P_PW[$name]}" \
        -n "$k" --pid "${P_PID[$name]}" "${idle_args[@]}"
    else na "idle/$name/$k" "${IMAP_WHY:-$NO_IMAP}"; fi
  done
done

fi
# ---- Revocation: N live sessions of one device, then a disconnect; time to the last BYE ----
if section revoke; then
echo "Revocation ($REVOKE_N sessions, $TRIALS trials)..." >&2
revoke_args=(-n "$REVOKE_N" -c "$SETUP_C" --source-ips "$SPREAD" --trials "$TRIALS" --duration-limit 600)
for name in "${INSTANCES[@]}"; do
  restart_postern "$name"
  if ! imap_up "$name"; then na "revoke/$name" "${IMAP_WHY:-$NO_IMAP}"; continue; fi
  web=${P_WEB[$name]}
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$web/api/v1/openapi.json") == 200 ]]; then
    load "revoke/$name" revoke --addr "${P_IMAP[$name]}" --user "$EMAIL" --api "$web" --api-login "$EMAIL" "${revoke_args[@]}"
  else
    with "$name" load "revoke/$name" revoke --addr "${P_IMAP[$name]}" --user "$EMAIL" \
      --device-cmd "bench/new-device.sh $EMAIL" --disconnect-cmd "$PT device disconnect $EMAIL {id}" "${revoke_args[@]}"
  fi
done
restart_dovecot "$DV_MX" "$DV_PORT_MX"
load revoke/dovecot revoke --addr "127.0.0.1:$DV_PORT_MX" --user plain@example.test --password "$DV_USER_PW" \
  --disconnect-cmd "doveadm -c $DV_MX/dovecot.conf kick plain@example.test" "${revoke_args[@]}"
fi
stop_dovecot "$DV_MX"

# ---- Postern only: SMTP submission, device list over HTTP ----
if section submit; then
echo "Submission and device list..." >&2
for name in "${INSTANCES[@]}"; do
  if greets "${P_SMTP[$name]}"; then
    load "submit/$name" smtp-submit --addr "${P_SMTP[$name]}" --user "$EMAIL" --password "${P_PW[$name]}" \
      -n "$SUBMIT_N" -c "$CLIENTS" --duration-limit 120
  else na "submit/$name" "Postern's SMTP submission does not answer"; fi
done
na submit/dovecot "the Dovecot peer runs IMAP only"

fi
# web_devices NAME LABEL PATH: wrk with 4 connections on one page of instance NAME, signed in.
web_devices() {
  local name=$1 label=$2 path=$3 cookie out
  local WEB=${P_WEB[$name]}
  command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || true
  command -v wrk >/dev/null || { na "$label" "wrk is not installed"; return; }
  cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H "Origin: $WEB" \
    --data "{\"login\":\"$EMAIL\",\"password\":\"$ACCOUNT_PW\"}" "$WEB/api/v1/login" 2>/dev/null \
    | tr -d '\r' | grep -i '^set-cookie:' | sed 's/^[^:]*: *//; s/;.*//' | paste -sd';' -) || true
  [[ -n $cookie ]] || { na "$label" "Postern's web API does not answer"; return; }
  [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$WEB$path") == 200 ]] \
    || { na "$label" "GET $path is not 200"; return; }
  out=$(timeout 60 wrk -t 2 -c 4 -d 10s --latency -H "Cookie: $cookie" "$WEB$path")
  python3 - "$label" "$out" >> "$RESULTS" <<'EOF_PY'
import json, re, sys
label, out = sys.argv[1], sys.argv[2]
def ms(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, out, re.M)
    return None if not m else float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
print(json.dumps({"label": label, "rate": rate, "p50_ms": ms(50), "p99_ms": ms(99),
                  "errors": int(bad.group(1)) if bad else 0}))
EOF_PY
  echo "  $label: $(tail -1 "$RESULTS")" >&2
}
if section web; then
for name in "${INSTANCES[@]}"; do
  # The Settings page a person sees (HTML), then the same list from the JSON API.
  web_devices "$name" "web/$name/devices" "${DEVICE_PAGE:-/settings/$LIST_EMAIL/devices}"
  web_devices "$name" "web/$name/devices-api" "/api/v1/addresses/$LIST_EMAIL/devices"
done

fi
# ---- Large mailboxes: the same messages in Postern (SQLite) and in Dovecot (highperf) ----
# Postern gets them from an mbox through `postern message import`, into a new address for
# each size; Dovecot as files in a fresh Maildir of sha@example.test, a user the other loads
# only sign in as.
if section mailbox; then
DV_USER_HOME=$DV_HP/mail/sha@example.test
mailbox_args=(-n 9 --duration-limit 900 --io-timeout 300)
for n in $MAILBOX_N; do
  echo "Large mailbox ($n messages)..." >&2
  stop_dovecot "$DV_HP"
  rm -rf "$DV_USER_HOME"
  python3 - "$n" "$WORK/big.mbox" "$DV_USER_HOME/Maildir" <<'EOF_PY'
import os, sys
n, mbox, maildir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(maildir, sub), exist_ok=True)
with open(mbox, "w") as out:
    for i in range(1, n + 1):
        text = (f"From: Sender {i % 97} <sender{i % 97}@example.org>\nTo: {i}@bench.test\n"
                f"Subject: message {i}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
                f"Message-ID: <m{i}@example.org>\n\nThe body of message {i}.\n")
        out.write(f"From sender@example.org Mon Jan  1 10:00:00 2024\n{text}\n")
        with open(os.path.join(maildir, "cur", f"1700000000.M{i}P1.bench:2,"), "w") as f:
            f.write(text)
EOF_PY
  chown -R vmail:vmail "$DV_HP/mail"
  BIG=big$n@bench.test
  with postern "$PT" address create "$BIG" --owner "$EMAIL"
  BIG_PW=$(with postern "$PT" device create "$BIG" --description bench --protocols imap)
  import_start=$(date +%s.%N)
  with postern "$PT" message import "$BIG" "$WORK/big.mbox" >&2
  echo "  imported $n messages in $(echo "$(date +%s.%N) - $import_start" | bc) s" >&2
  restart_dovecot "$DV_HP" "$DV_PORT_HP"
  # Searches that match a few messages each: "message 4242" is in one subject and body (and
  # in those of 42420 to 42429 at 100,000), "sender13" in every 97th sender.
  while IFS='|' read -r key command; do
    load "mailbox-$n/postern/$key" imap-commands --addr "${P_IMAP[postern]}" --user "$BIG" \
      --password "$BIG_PW" --command "$command" "${mailbox_args[@]}" </dev/null
    load "mailbox-$n/dovecot/$key" imap-commands --addr "127.0.0.1:$DV_PORT_HP" --user sha@example.test \
      --password "$DV_USER_PW" --command "$command" "${mailbox_args[@]}" </dev/null
  done <<EOF_COMMANDS
status|STATUS INBOX (MESSAGES UNSEEN UIDNEXT)
select|SELECT INBOX
uid-fetch-flags|UID FETCH 1:* (FLAGS)
fetch-metadata|FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)
search-unseen|UID SEARCH UNSEEN
fetch-headers|FETCH 1:500 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE)])
search-subject|UID SEARCH SUBJECT "message 4242"
search-from|UID SEARCH FROM "sender13@"
search-body|UID SEARCH BODY "message 4242"
search-text|UID SEARCH TEXT "m4242@"
fetch-last-50|FETCH $((n - 49)):$n (BODY.PEEK[])
EOF_COMMANDS
  # A FETCH of every whole message streams: Postern's memory before it and at its peak.
  before=$(awk '/^VmRSS/{print $2}' "/proc/${P_PID[postern]}/status")
  load "mailbox-$n/postern/fetch-all" imap-commands --addr "${P_IMAP[postern]}" --user "$BIG" \
    --password "$BIG_PW" --command "FETCH 1:* (BODY.PEEK[])" -n 1 --duration-limit 900 --io-timeout 300 </dev/null
  peak=$(awk '/^VmHWM/{print $2}' "/proc/${P_PID[postern]}/status")
  note "Large mailbox of $n messages: \`FETCH 1:* (BODY.PEEK[])\` with Postern's resident memory at $((before / 1024)) MiB before the command and a peak of $((peak / 1024)) MiB (the peak since its start, which includes the commands above)."
done
stop_dovecot "$DV_HP"
note "Large mailboxes: $MAILBOX_N messages of about 200 bytes in INBOX, the same in both (Dovecot's Maildir on the \`highperf\` profile). Each command runs 9 times on one connection after one untimed run (which lets Dovecot build its index); times are from sending the command to its tagged answer."
fi
for name in "${INSTANCES[@]}"; do stop_postern "$name"; done

# ---- Revocation timed from the commit: Postern inside the load generator's process ----
# The disconnect is the domain's own call behind the web app's and the API's Disconnect
# button, so the clock starts when the revocation is committed and published.
if section inproc; then
echo "Revocation from the commit (in-process)..." >&2
inproc_args=(-n "$REVOKE_N" -c "$SETUP_C" --source-ips "$SPREAD" --trials "$TRIALS" --duration-limit 600)
load revoke-in-process/postern revoke-in-process "${inproc_args[@]}"
[[ $PG != 1 ]] || load revoke-in-process/postern-pg revoke-in-process --store "$PG_URL/inproc" "${inproc_args[@]}"

fi
# ---- The table ----
{
  echo "Postern and Dovecot on loopback, $(date -u +%Y-%m-%d), one run"
  echo
  echo "Machine: $(nproc) cores ($(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, Linux $(uname -r); $(dovecot --version | awk '{print "Dovecot " $1}')$([[ $PG != 1 ]] || echo "; PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"); load client on the same cores; load average (1, 5, 15 min) $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  "$LG" report "$RESULTS"
} | tee "$WORK/table.md"
if [[ -n ${OUT:-} ]]; then mkdir -p "$OUT" && cp "$WORK/table.md" "$OUT/"; fi
