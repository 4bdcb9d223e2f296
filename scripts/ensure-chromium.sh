#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright. Install it when missing and we may.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "warning: /usr/bin/chromium is missing and cannot be installed here (not root);" >&2
  echo "         the browser tests will be skipped. Install it with: sudo apt-get install chromium" >&2
fi
