#!/usr/bin/env bash
# Creates an IMAP device on EMAIL and prints "ID PASSWORD": the --device-cmd of
# `postern-loadgen revoke` when Postern is driven from its command line.
# usage: BENCH_POSTERN=target/release/postern bench/new-device.sh EMAIL
# (not POSTERN_*: every POSTERN_ variable is read as configuration)
set -euo pipefail
email=${1:?usage: new-device.sh EMAIL}
pt=${BENCH_POSTERN:-postern}
password=$("$pt" device create "$email" --description revoke --protocols imap)
# Device ids are UUID v7, ordered by time: the greatest active "revoke" one is the new device.
id=$("$pt" device list "$email" --json | python3 -c '
import json, sys
print(max(d["id"] for d in json.load(sys.stdin) if d["state"] == "active" and d["description"] == "revoke"))')
echo "$id $password"
