#!/usr/bin/env bash
# Make sure headless Chromium (Debian's `chromium` package) is installed, for the dashboard's browser test
# (tests/dashboard/test_pages_in_chromium.py fails, never skips, without it). Idempotent; progress on stderr.
set -euo pipefail
say() { echo "chromium.sh: $*" >&2; }
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then say "chromium is missing and this user cannot apt-get install it"; exit 1; fi
say "installing chromium"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
