#!/usr/bin/env bash
# Debian's Chromium for the browser tests: installed when missing and apt is usable.
set -uo pipefail
if command -v chromium >/dev/null; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
    || echo "Could not install chromium; browser tests will be skipped."
else
  echo "chromium is not installed (apt-get install chromium); browser tests will be skipped."
fi
exit 0
