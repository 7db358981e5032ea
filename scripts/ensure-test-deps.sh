#!/usr/bin/env bash
# What the test suite runs for real besides node_modules: Chromium (browser tests), redis-server
# and redis-sentinel (multi-node and failover tests), nginx (behind the nodes), and, when it can be installed, bubblewrap (the
# sandbox of --spawn agents; without it kilo's bundled bwrap is used). `npm test` runs this first
# (pretest), and so does
# .ci/run. When one is missing it installs the Debian packages, as root or through sudo, without
# starting their system services; where it cannot (no apt-get, no root, no sudo), it stops at once
# with the one command to run.
set -uo pipefail

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v redis-sentinel >/dev/null 2>&1 || missing="$missing redis-sentinel"
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
optional=""
command -v bwrap >/dev/null 2>&1 || optional=" bubblewrap"
[ -z "$missing$optional" ] && exit 0

command="apt-get install -y$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$SUDO" = "none" ]; then
  [ -z "$missing" ] && exit 0 # only the optional one: the tests run without it
  echo "The tests need Debian packages that are not installed:$missing" >&2
  echo "Install them, then run the tests again:" >&2
  echo "  sudo $command" >&2
  exit 1
fi

required="$missing"
missing="$missing$optional"
echo "installing Debian packages the tests use:$missing"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: the packages install without starting their system services.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
fi
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $missing >/dev/null; }; then
  [ -z "$required" ] && { echo "apt-get could not install$optional (optional): the tests run without it" >&2; exit 0; }
  echo "apt-get could not install:$missing. Run: sudo $command" >&2
  exit 1
fi
