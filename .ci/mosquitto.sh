#!/usr/bin/env bash
# Make sure the mosquitto MQTT broker (Debian's `mosquitto` package) is installed, for the dashboard's MQTT
# integration test (tests/dashboard/integrations/test_delivery_end_to_end.py fails, never skips, without it).
# Idempotent; progress on stderr. The test starts its own broker on a free 127.0.0.1 port; the package's
# system service is not needed.
set -euo pipefail
say() { echo "mosquitto.sh: $*" >&2; }
if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then say "mosquitto is missing and this user cannot apt-get install it"; exit 1; fi
say "installing mosquitto"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >&2
