#!/usr/bin/env bash
# The whole test suite in two pytest processes side by side: the browser tests (tests/e2e) and
# the rest. Why: the browser tests spend much of their time waiting on another process (the
# Streamlit server, Chromium, the fake provider's latency) while the rest keep one core busy, so
# on a 2-core machine the two streams take little more than the longer one alone, not their sum.
# Each stream has its own temp folder (and so its own template databases); PostgreSQL databases
# get unique names. The rest streams to the terminal as it runs; the browser stream's output is
# printed whole when both are done (or when the run is stopped). Exit code: the rest's when it
# failed, else the browser stream's. After a failure the temp folders (with each app's
# streamlit.log) are kept and named.
#
#   scripts/run_tests.sh PYTHON [pytest arguments...]
# With pytest arguments (make test PYTEST_ARGS="tests/test_x.py -k y") it runs one plain pytest.
set -u
cd "$(dirname "$0")/.."
python=$1
shift
if [ $# -gt 0 ]; then
  exec "$python" -m pytest "$@"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/workbench-tests.XXXXXX") || { echo "tests: cannot make a temp folder"; exit 1; }
browser_pid=""
log_shown=""
status=1
show_browser_log() {
  [ -n "$log_shown" ] && return
  log_shown=1
  echo
  echo "================================ browser tests (tests/e2e) ================================"
  cat "$work/browser.log" 2>/dev/null
}
# The browser stream runs in a session of its own, so that it, the Streamlit servers and the
# Chromium it started are stopped together at the end: when the rest is interrupted (Ctrl+C
# reaches only the foreground), when this script is stopped, and after a normal finish (anything
# the stream left behind), nothing is left running.
finish() {
  if [ -n "$browser_pid" ]; then
    kill -TERM -- "-$browser_pid" 2>/dev/null
    wait "$browser_pid" 2>/dev/null
  fi
  show_browser_log
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    echo "tests: the temp folders (each browser test's app log among them) are kept in $work"
  fi
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The browser stream starts first: it is the longer of the two.
setsid "$python" -m pytest tests/e2e -p no:cacheprovider --basetemp="$work/browser" >"$work/browser.log" 2>&1 &
browser_pid=$!
echo "tests: the browser tests run beside the rest (PID $browser_pid); their output follows the rest's."
# The rest has no browser test: without pytest-playwright its start does not touch test-results/.
"$python" -m pytest tests --ignore=tests/e2e -p no:playwright --basetemp="$work/rest"
rest_status=$?
wait "$browser_pid"
browser_status=$?
show_browser_log
echo "tests: the rest exited $rest_status, the browser tests exited $browser_status."
status=$rest_status
[ "$status" -eq 0 ] && status=$browser_status
exit "$status"
