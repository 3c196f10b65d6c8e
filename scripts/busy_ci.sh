#!/usr/bin/env bash
# `make test` on a busy machine: one CPU burner per core runs beside it for the whole run.
#
# A correct change must not fail because CI shares its cores (issue 18). The burners are
# started here, at normal priority, and stopped here by their PIDs whatever the outcome
# (pass, failure, Ctrl+C); the exit status is make test's.
#
#   scripts/busy_ci.sh                     # make test beside $(nproc) burners
#   BUSY_BURNERS=4 scripts/busy_ci.sh PYTEST_ARGS="tests/e2e"   # arguments go to make
set -u
cd "$(dirname "$0")/.."
burners=${BUSY_BURNERS:-$(nproc)}
pids=()
stop_burners() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ ${#pids[@]} -gt 0 ] && echo "busy_ci: stopped the CPU burners (PIDs ${pids[*]})."
  pids=()
}
trap stop_burners EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in $(seq 1 "$burners"); do
  python3 -c 'while True: pass' &
  pids+=($!)
done
echo "busy_ci: $burners CPU burners running (PIDs ${pids[*]}) on $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)."
started=$(date +%s)
make test "$@"
status=$?
echo "busy_ci: make test exited $status after $(( $(date +%s) - started )) s; load average $(cut -d' ' -f1-3 /proc/loadavg)."
exit $status
