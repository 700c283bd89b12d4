"""A live edge box (`shelfsight edge run`, real processes) writes its camera's shopper-free picture and serves the
zones page with it, only to a request that signs in with the box's token."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np

from shelfsight.pipeline.edge.zone_pictures import picture_path
from shelfsight.pipeline.edge.zones_page import TOKEN_FILE, USER
from tests.pipeline.edge.harness import EdgeBox, free_port, wait_for, write_config


def _get(url: str, token: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{USER}:{token}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_live_box_writes_the_picture_and_serves_it_signed_in_only(tmp_path: Path) -> None:
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}", cameras=("endcap-cam",))
    box = EdgeBox(config, tmp_path, replay=False)
    try:
        wait_for(lambda: box.counter("events:endcap-cam", "zone_pictures_total") >= 1, timeout_s=120,
                 what="the event stage writing the zones picture")  # fmt: skip
        assert picture_path(box.spool, "endcap-cam").is_file()
        token = (box.spool / TOKEN_FILE).read_text().strip()
        assert (box.spool / TOKEN_FILE).stat().st_mode & 0o777 == 0o600
        assert f"{box.health}/zones (user {USER}, password in {box.spool / TOKEN_FILE})" in box.tail()
        url = f"{box.health}/zones/picture/endcap-cam.png"
        assert _get(url, None)[0] == 401
        assert _get(url, "not-the-token")[0] == 401
        code, data = _get(url, token)
        assert code == 200
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape == (480, 640, 3)
        code, page = _get(f"{box.health}/zones", token)
        assert code == 200 and b"<title>shelfsight: zones</title>" in page
    finally:
        box.terminate()
    assert box.wait(60) == 0, box.tail()
