#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script): the suite starts real servers and tools, so
# every system package it needs must be on the machine. Missing ones are installed with apt
# when this user can (root, or password-less sudo); otherwise this stops at once with the exact
# command to run, instead of letting tests skip. A skipped test is a failing test.
#
# ffmpeg is not in the list: `npm install` brings one (@ffmpeg-installer/ffmpeg), used when no
# ffmpeg is on PATH (FFMPEG_PATH overrides both).
set -euo pipefail

# package: how to tell it is there
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have influxd       || need+=(influxdb)
have influx        || need+=(influxdb-client)
have mosquitto     || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
have mosquitto_pub || need+=(mosquitto-clients)
[ -x /usr/bin/chromium ] || need+=(chromium)
have openssl       || need+=(openssl)
# A CJK font, so the dashboard (Chinese first) renders text rather than boxes in the browser tests.
{ have fc-list && fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; } || need+=(fonts-wqy-microhei)
# Cluster mode's engines: PostgreSQL, Redis, HAProxy.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
have redis-server  || [ -x /usr/bin/redis-server ] || need+=(redis-server)
have haproxy       || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
have python3       || need+=(python3)  # the Eclipse Paho interoperability suite (tests/fixtures/paho-interop)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

line="apt-get install -y ${need[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if have sudo && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  else
    echo "npm test needs system packages that are missing: ${need[*]}" >&2
    echo "Install them, then run npm test again:" >&2
    echo "  sudo apt-get update && sudo $line" >&2
    exit 1
  fi
fi
if ! have apt-get; then
  echo "npm test needs system packages that are missing: ${need[*]} (Debian/Ubuntu names)." >&2
  echo "This machine has no apt-get: install their equivalents, then run npm test again." >&2
  exit 1
fi

echo "npm test: installing missing system packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's postinst scripts would start PostgreSQL, Redis and mosquitto as services on their
# default ports; the tests start their own on free loopback ports, so keep services down.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${sudo_cmd[@]}" apt-get update -qq
# With recommends, as on the machines the suite is developed on.
"${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
echo "npm test: installed ${need[*]}" >&2
