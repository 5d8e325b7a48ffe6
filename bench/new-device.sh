#!/usr/bin/env bash
# Creates an IMAP device on EMAIL and prints "ID PASSWORD": the --device-cmd of
# `postern-loadgen revoke` when Postern is driven from its command line.
# usage: POSTERN_BIN=target/release/postern bench/new-device.sh EMAIL   (POSTERN_* config from the environment)
set -euo pipefail
email=${1:?usage: new-device.sh EMAIL}
pt=${POSTERN_BIN:-postern}
password=$("$pt" device create "$email" --description revoke --protocols imap)
# Device ids are UUID v7, ordered by time: the greatest active "revoke" one is the new device.
id=$("$pt" device list "$email" --json | python3 -c '
import json, sys
print(max(d["id"] for d in json.load(sys.stdin) if d["state"] == "active" and d["description"] == "revoke"))')
echo "$id $password"
