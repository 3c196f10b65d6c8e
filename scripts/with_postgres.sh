#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL on 127.0.0.1, exported as WORKBENCH_TEST_POSTGRES_URL.
# The server is stopped by its PID and its directory removed afterwards, whatever the outcome.
# When the server binaries are missing, says so plainly and runs the command without it.
set -u
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "${WORKBENCH_TEST_POSTGRES_URL:-}" ]; then
  echo "postgres: using WORKBENCH_TEST_POSTGRES_URL from the environment."
  exec "$@"
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "postgres: SKIPPING the PostgreSQL leg: no server binaries (apt-get install postgresql)."
  exec "$@"
fi
dir=$(mktemp -d /tmp/workbench-pg.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_as=()
if [ "$(id -u)" = "0" ]; then
  chown postgres:postgres "$dir"
  run_as=(runuser -u postgres --)
fi
stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    kill -INT "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}
trap stop EXIT
"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { echo "postgres: initdb failed:"; cat "$dir/initdb.log"; exit 1; }
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
  || { echo "postgres: server failed to start:"; cat "$dir/log"; exit 1; }
export WORKBENCH_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
echo "postgres: throwaway server on 127.0.0.1:$port (PID $(head -n 1 "$dir/data/postmaster.pid"))."
"$@"
status=$?
exit $status
