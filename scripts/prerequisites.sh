#!/usr/bin/env bash
# What a command needs beyond node_modules, installed or started when missing; each npm script names its needs:
#   mariadb   MariaDB's binaries (throwaway servers) and the shared server on 127.0.0.1:3306 (root, no password)
#   chromium  Debian's Chromium, driven by playwright-core in the approval page's browser test (no browser download)
#   awscli    Debian's AWS CLI (/usr/bin/aws, botocore's own parsers), driven against the emulator in test/integration/aws-cli.test.ts
# As root it installs with apt-get and starts the server; otherwise it stops at once with the exact command.
set -euo pipefail

missing_packages=()
for need in "$@"; do
  case "$need" in
    chromium) [ -x /usr/bin/chromium ] || missing_packages+=(chromium) ;;
    awscli) [ -x /usr/bin/aws ] || missing_packages+=(awscli) ;;
    mariadb) { [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1; } || missing_packages+=(mariadb-server mariadb-client) ;;
    *) echo "prerequisites.sh: unknown need \"$need\" (awscli, chromium, mariadb)" >&2; exit 2 ;;
  esac
done

if [ "${#missing_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "This needs ${missing_packages[*]}. Install them, then run the command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing_packages[*]}" >&2
    exit 1
  fi
  echo "Installing what the tests need: ${missing_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing_packages[@]}" >/dev/null
fi

[[ " $* " == *" mariadb "* ]] || exit 0
mariadb_answers() { mariadb-admin --host=127.0.0.1 --port=3306 --user=root ping >/dev/null 2>&1; }
if ! mariadb_answers; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "This needs MariaDB on 127.0.0.1:3306 (root, no password). Start it, then run the command again:" >&2
    echo "  sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd" >&2
    exit 1
  fi
  echo "Starting MariaDB on 127.0.0.1:3306"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    mariadb_answers && break
    sleep 1
  done
  mariadb_answers || { echo "MariaDB did not answer on 127.0.0.1:3306 within 60 s" >&2; exit 1; }
fi
