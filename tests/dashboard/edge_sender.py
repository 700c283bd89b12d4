"""A stand-in edge box for the end-to-end test, run as its own process: a real DEALER socket.

Sends the scenario's batches the way the edge publisher does (stop-and-wait, one ack per batch), plus a
resent batch, a batch with a repeated, a malformed and a foreign-store event, and a garbage message. Prints
one JSON line per ack received (``null`` where no ack came within the timeout).

    python tests/dashboard/edge_sender.py tcp://127.0.0.1:5560
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import zmq

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for `tests.` and packages

from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_msgpack
from tests.dashboard.scenario import BATCH_A, BATCH_B, BATCH_C, foreign_store_event, malformed_event

ACK_TIMEOUT_MS = 5000


def main(endpoint: str) -> int:
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.SNDTIMEO, ACK_TIMEOUT_MS)
    socket.connect(endpoint)
    plan: list[tuple[str, Sequence[bytes]]] = [
        ("A-1", [to_msgpack(e) for e in BATCH_A]),
        ("A-1", [to_msgpack(e) for e in BATCH_A]),  # resent: its ack was "lost"
        ("B-1", [*(to_msgpack(e) for e in BATCH_B), to_msgpack(BATCH_B[1]), malformed_event(), foreign_store_event()]),
        ("garbage", []),
        ("C-1", [to_msgpack(e) for e in BATCH_C]),
    ]
    try:
        for batch_id, events in plan:
            if batch_id == "garbage":
                socket.send_multipart([b"shelfsight/store-1/cam1/events", b"\xc1 not an envelope"])
                print(json.dumps(None), flush=True)
                continue
            socket.send_multipart(encode(EventBatch("store-1", "*", batch_id, tuple(events)).to_envelope()))
            if not socket.poll(ACK_TIMEOUT_MS):
                print(json.dumps({"batch_id": batch_id, "error": "no ack"}), flush=True)
                return 1
            ack = Ack.from_envelope(decode(socket.recv_multipart()))
            print(json.dumps(ack.__dict__), flush=True)
    finally:
        socket.close()
        context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
