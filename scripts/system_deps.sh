#!/usr/bin/env bash
# Install Debian's chromium and postgresql packages when missing and possible (root + apt-get).
# Never downloads a browser any other way. Prints plainly what it did or why it could not.
set -u
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  echo "system deps: chromium and postgresql are installed."
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: missing ${need[*]} and apt-get is not available; the browser/PostgreSQL legs will skip."
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "system deps: missing ${need[*]}; not root and no passwordless sudo, so not installing."
    exit 0
  fi
fi
echo "system deps: installing ${need[*]} from Debian's packages..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  && echo "system deps: installed ${need[*]}." \
  || echo "system deps: could not install ${need[*]}; the browser/PostgreSQL legs will skip (or fail under CI=true)."
exit 0
