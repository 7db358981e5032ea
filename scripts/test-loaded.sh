#!/usr/bin/env bash
# `npm run test:loaded`: the whole suite (`npm test`, arguments passed on) while two busy
# processes keep two CPUs busy beside it, as on a shared CI machine. The busy processes end with
# this script, however it ends.
set -uo pipefail
cd "$(dirname "$0")/.."
busy=()
stop_busy() { for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop_busy EXIT
trap 'exit 130' INT TERM
if command -v stress-ng >/dev/null 2>&1; then
  stress-ng --cpu 2 --quiet & busy+=($!)
else
  for _ in 1 2; do node -e 'for (;;) {}' & busy+=($!); done
fi
echo "test:loaded: two busy processes beside the suite (pids ${busy[*]}); load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
npm test -- "$@"
rc=$?
echo "test:loaded: exit $rc after $(($(date +%s) - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
