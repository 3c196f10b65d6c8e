#!/usr/bin/env bash
# The whole test suite in two pytest processes side by side: the browser tests (tests/e2e) and
# the rest. Why: the browser tests spend much of their time waiting on another process (the
# Streamlit server, Chromium, the fake provider's latency) while the rest keep one core busy, so
# on a 2-core machine the two streams take little more than the longer one alone, not their sum.
# Each stream has its own temp folder; the databases, ports and servers the fixtures make are
# private to a test already. The rest streams to the terminal as it runs; the browser stream's
# output is printed whole when both are done. Exit code: non-zero when either stream failed.
#
#   scripts/run_tests.sh PYTHON [pytest arguments...]
# With pytest arguments (make test PYTEST_ARGS="tests/test_x.py -k y") it runs one plain pytest.
set -u
python=$1
shift
if [ $# -gt 0 ]; then
  exec "$python" -m pytest "$@"
fi
work=$(mktemp -d /tmp/workbench-tests.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The browser stream starts first: it is the longer of the two.
"$python" -m pytest tests/e2e -p no:cacheprovider --basetemp="$work/browser" >"$work/browser.log" 2>&1 &
browser_pid=$!
echo "tests: the browser tests run beside the rest (PID $browser_pid); their output follows the rest's."
"$python" -m pytest tests --ignore=tests/e2e --basetemp="$work/rest"
rest_status=$?
wait "$browser_pid"
browser_status=$?
echo
echo "================================ browser tests (tests/e2e) ================================"
cat "$work/browser.log"
echo "tests: the rest exited $rest_status, the browser tests exited $browser_status."
[ "$rest_status" -eq 0 ] && [ "$browser_status" -eq 0 ]
