#!/usr/bin/env bash
# Install GStreamer's RTSP server (Debian packages) for the edge runtime's RTSP tests, when it is missing.
# Idempotent and quiet: checks with the server script itself and runs apt-get only when a part is missing;
# apt's output goes to a log that is printed only if the install fails. The packages must match
# APT_PACKAGES in tests/pipeline/edge/rtsp_server.py.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-ugly)
say() { echo "rtsp-server.sh: $*" >&2; }
present() { [ -x /usr/bin/python3 ] && /usr/bin/python3 tests/pipeline/edge/gst_rtsp_serve.py --check >/dev/null 2>&1; }

if present; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "GStreamer's RTSP server is missing and cannot be installed here (needs root and apt-get); the RTSP tests"
  say "will fail. Install: apt-get install --no-install-recommends ${packages[*]}"
  exit 0
fi
say "installing ${packages[*]}"
log="$(mktemp "${TMPDIR:-/tmp}/rtsp-server-apt.XXXXXX")"
if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  say "apt-get failed (log above)"
  exit 1
fi
rm -f "$log"
if ! present; then
  /usr/bin/python3 tests/pipeline/edge/gst_rtsp_serve.py --check >&2 || true
  say "installed, but the server still finds parts missing (above)"
  exit 1
fi
say "ready"
