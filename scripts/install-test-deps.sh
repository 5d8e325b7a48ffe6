#!/usr/bin/env bash
# Installs the programs the test suite drives, when any is missing: Debian packages, and
# Schemathesis from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null || need+=(postgresql-client)
[ -x /usr/sbin/postfix ] || need+=(postfix)
command -v swaks >/dev/null || need+=(swaks)
command -v mbsync >/dev/null || need+=(isync)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/python3 ] || need+=(python3)
command -v runuser >/dev/null || need+=(util-linux)
# Dovecot's imaptest (tests/it/imap/imaptest.rs builds it from ../shared/tools/imaptest):
# its headers and libdovecot, which dovecot-dev alone does not bring, and the build tools.
for p in dovecot-dev dovecot-core autoconf automake libtool make gcc pkg-config; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done

/usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)

if [ ${#need[@]} -ne 0 ]; then
  echo "installing: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
  else
    sudo=
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# Schemathesis (from PyPI), which tests/it/adversarial/schemathesis.rs runs against the API,
# in a virtual environment of its own under target/.
schemathesis=target/test-tools/schemathesis
if ! "$schemathesis/bin/st" --version >/dev/null 2>&1; then
  echo "installing: schemathesis into $schemathesis"
  rm -rf "$schemathesis"
  /usr/bin/python3 -m venv "$schemathesis"
  "$schemathesis/bin/pip" install -q 'schemathesis>=4,<5'
fi

# IMAPClient's live test suite (from PyPI; its last release with `imapclient.livetest`), which
# tests/it/imap/livetest.rs runs against a whole server.
imapclient=target/test-tools/imapclient
if ! "$imapclient/bin/python" -c 'import imapclient.livetest' >/dev/null 2>&1; then
  echo "installing: IMAPClient's live tests into $imapclient"
  rm -rf "$imapclient"
  /usr/bin/python3 -m venv "$imapclient"
  "$imapclient/bin/pip" install -q 'IMAPClient==2.3.1' six
fi
