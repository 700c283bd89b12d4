"""MQTT target: each event's canonical JSON published with QoS 1 on a topic made from the event.

QoS 1 means the broker acknowledges each message (PUBACK); a delivery counts as done only then. paho-mqtt's
network thread keeps the connection and reconnects on its own (1 s doubling to 30 s); while it is down, a round
fails at once and is retried with the subscription's backoff. Receivers dedupe on the payload's ``event_id``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shelfsight.dashboard.integrations.config import MqttTarget
from shelfsight.dashboard.integrations.outbox import GONE, Delivery

logger = logging.getLogger(__name__)

QOS = 1
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
CONNECT_WAIT_S = 2.0
"""Longest a round waits for the broker connection (just started, or reconnecting) before it fails."""


class MqttSender:
    """Publishes deliveries to one broker.

    Args:
        target: Broker, credentials and timeout.
        name: The subscription's name, used in the MQTT client id (``shelfsight-{name}-{random}``).
    """

    def __init__(self, target: MqttTarget, *, name: str) -> None:
        self._where = f"{target.host}:{target.port}"
        self._timeout_s = target.timeout_s
        self._topic_for = target.topic_for
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"shelfsight-{name}-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if target.username is not None:
            self._client.username_pw_set(target.username, target.password())
        if target.tls:
            self._client.tls_set()
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._connected = threading.Event()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = lambda *_: self._connected.clear()
        self._client.connect_async(target.host, target.port, keepalive=target.keepalive_s)
        self._client.loop_start()  # keeps trying the first connection too

    def send(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        """Publish every delivery, then wait (up to the timeout, for all) for the broker's acknowledgements."""
        if not self._connected.wait(CONNECT_WAIT_S):
            return [f"not connected to the MQTT broker {self._where}"] * len(deliveries)
        infos = [
            None if d.payload is None else self._client.publish(self._topic_for(d.event()), d.payload.encode(), qos=QOS)
            for d in deliveries
        ]
        deadline = time.monotonic() + self._timeout_s
        errors: list[str | None] = []
        for info in infos:
            if info is None:
                errors.append(GONE)
                continue
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                errors.append(f"publish refused: {mqtt.error_string(info.rc)}")
                continue
            try:
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, ValueError) as exc:
                errors.append(f"publish failed: {exc}")
                continue
            errors.append(None if info.is_published() else f"no PUBACK from {self._where} in {self._timeout_s} s")
        return errors

    def _on_connect(self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object, *_: object) -> None:
        if getattr(reason, "is_failure", False):
            logger.warning("MQTT broker %s refused the connection: %s", self._where, reason)
            return
        self._connected.set()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
