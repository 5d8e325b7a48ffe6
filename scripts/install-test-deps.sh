#!/usr/bin/env bash
# Installs what the test suite drives, when it is missing or cannot do what the tests ask of
# it: Debian packages (without their recommends, so each needed recommend is named here), then
# Schemathesis and IMAPClient's live tests from PyPI. Checks afterwards that every program can
# do its part and fails, saying what is wrong, when one cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per need: the Debian package, what the tests use it for, and a check that passes
# only when that use works. A package appears once per need it meets.
needs=(
  "chromium|the browser tests|command -v chromium"
  "chromium-driver|the browser tests (WebDriver)|command -v chromedriver"
  "postgresql|the PostgreSQL pass (initdb, postgres)|ls /usr/lib/postgresql/*/bin/initdb"
  "postgresql-client|the PostgreSQL pass (psql)|command -v psql"
  "postfix|delivery from a real MTA over LMTP|test -x /usr/sbin/postfix"
  "swaks|SMTP submission and LMTP by a client of its own|command -v swaks"
  "libnet-ssleay-perl|swaks over TLS (STARTTLS, implicit TLS)|perl -MNet::SSLeay -e1"
  "libio-socket-ssl-perl|swaks over TLS (STARTTLS, implicit TLS)|perl -MIO::Socket::SSL -e1"
  "isync|mbsync synchronising both ways|command -v mbsync"
  "curl|curl's imap:// and imaps://|command -v curl"
  "python3|imaplib, smtplib, poplib and the email parser|test -x /usr/bin/python3"
  "python3-venv|virtual environments for the PyPI tools|/usr/bin/python3 -c 'import ensurepip, venv'"
  "util-linux|runuser, to start PostgreSQL as its own user|command -v runuser"
  "fail2ban|fail2ban-regex reading the sign-in log|fail2ban-regex -V"
  "dovecot-dev|building imaptest, the IMAP compliance suite (headers)|test -f /usr/include/dovecot/lib.h"
  "dovecot-core|building imaptest (libdovecot)|ls /usr/lib/dovecot/libdovecot.so*"
  "autoconf|building imaptest|command -v autoconf"
  "automake|building imaptest|command -v automake"
  "libtool|building imaptest|command -v libtoolize"
  "make|building imaptest|command -v make"
  "gcc|building imaptest|command -v gcc"
  "pkg-config|building imaptest|command -v pkg-config"
)

missing() {
  local entry pkg check
  for entry in "${needs[@]}"; do
    IFS='|' read -r pkg _ check <<<"$entry"
    bash -c "$check" >/dev/null 2>&1 || echo "$pkg"
  done | sort -u
}

mapfile -t need < <(missing)
if [ ${#need[@]} -ne 0 ]; then
  echo "installing Debian packages the tests need:"
  for entry in "${needs[@]}"; do
    IFS='|' read -r pkg why _ <<<"$entry"
    printf '%s\n' "${need[@]}" | grep -qx "$pkg" && echo "  $pkg — $why"
  done
  sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# What each program must be able to do, beyond being there.
failed=()
mapfile -t still < <(missing)
[ ${#still[@]} -eq 0 ] || failed+=("still missing after the install: ${still[*]}")
swaks --support 2>&1 | grep -qx '=== TLS supported' \
  || failed+=("swaks cannot speak TLS: $(swaks --support 2>&1 | grep TLS)")
curl --version | grep -qw imaps || failed+=("curl cannot speak imaps://")
/usr/bin/python3 -c 'import ssl, imaplib, smtplib, poplib, email' 2>/dev/null \
  || failed+=("python3 lacks ssl, imaplib, smtplib, poplib or email")
if [ ${#failed[@]} -ne 0 ]; then
  printf 'install-test-deps: %s\n' "${failed[@]}" >&2
  exit 1
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
