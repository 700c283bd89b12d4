"""H.264 in the synthetic camera: every frame encoded with x264 and decoded again, as a CCTV stream is.

Real store footage reaches the pipeline as H.264 at 0.5-2 Mbit/s: blocks, smeared fine texture, ringing at
edges, a keyframe every second or two and predicted frames in between. OpenCV's wheels cannot encode H.264;
PyAV's wheels bundle FFmpeg with libx264, so the encoder and decoder here run in this process.

Frames must render the same in any order, yet a predicted frame depends on the frames before it. So every
group of pictures (GOP, ``gop_s`` long) is encoded on its own by a fresh encoder, tuned for zero latency (no
B-frames, no look-ahead: each frame's bytes depend only on the frames before it in its GOP, as in a camera),
with one thread (x264 is then deterministic: the same frames give the same bytes on every run). Rendering
frame ``k`` encodes its GOP from the keyframe up to ``k``; rendering in order costs one encode and one decode
a frame. The written ``video.mp4`` holds exactly these packets, so OpenCV decodes the same pixels.

Colour goes through FFmpeg's own conversion both ways (BGR -> YUV 4:2:0 limited range -> BGR), as a decoder
reading the file does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import VideoReformatter

if TYPE_CHECKING:
    from shelfsight.vision.synthetic.render import RenderedFrame

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]

PRESET: Final = "ultrafast"
"""x264 speed preset: the cheapest, like a camera's hardware encoder; deblocking is put back (cameras do it)."""


@dataclass(frozen=True)
class H264Settings:
    """How the camera encodes.

    Attributes:
        width: Frame width, pixels (even).
        height: Frame height, pixels (even).
        fps: Frame rate.
        kbps: Target bitrate, kbit/s (also the VBV rate and buffer: a second's worth, starting half full, so
            that each GOP, encoded on its own, lands near the bitrate).
        gop_frames: Frames per group of pictures (a keyframe starts each).
    """

    width: int
    height: int
    fps: float
    kbps: float
    gop_frames: int

    @classmethod
    def for_camera(cls, width: int, height: int, fps: float, kbps: float, gop_s: float) -> H264Settings:
        """Settings of a camera whose keyframes are ``gop_s`` apart (at least one frame)."""
        return cls(width, height, fps, kbps, max(1, round(gop_s * fps)))

    @property
    def rate(self) -> Fraction:
        """The frame rate as a fraction (the stream's time base is its inverse)."""
        return Fraction(self.fps).limit_denominator(1001)


@dataclass(frozen=True)
class H264Packet:
    """One encoded frame: its bytes and whether it is a keyframe (starts a GOP)."""

    data: bytes
    keyframe: bool


def _encoder(settings: H264Settings) -> av.video.codeccontext.VideoCodecContext:
    kbps = max(1, round(settings.kbps))
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height = settings.width, settings.height
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = 1 / settings.rate
    ctx.framerate = settings.rate
    ctx.bit_rate = kbps * 1000
    ctx.gop_size = settings.gop_frames
    ctx.max_b_frames = 0
    ctx.thread_count = 1
    params = (
        f"keyint={settings.gop_frames}:min-keyint={settings.gop_frames}:scenecut=0:threads=1:"
        f"vbv-maxrate={kbps}:vbv-bufsize={kbps}:vbv-init=0.5:deblock=0,0"
    )
    ctx.options = {"preset": PRESET, "tune": "zerolatency", "x264-params": params}
    ctx.open()
    return ctx


class GopCodec:
    """Encodes and decodes the frames of one GOP in order, with a fresh encoder and decoder.

    Args:
        settings: The camera's encoder settings.
    """

    def __init__(self, settings: H264Settings) -> None:
        self.settings = settings
        self._encoder = _encoder(settings)
        self._decoder = av.CodecContext.create("h264", "r")
        self._decoder.thread_count = 1
        self._to_yuv, self._to_bgr = VideoReformatter(), VideoReformatter()  # each keeps its swscale context
        self.count = 0

    def roundtrip(self, image: Image) -> tuple[Image, H264Packet]:
        """Encode the GOP's next frame and decode it: the decoded BGR image and the packet.

        Raises:
            RuntimeError: When the encoder or decoder holds a frame back (it must not, with zero latency).
        """
        bgr = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame = self._to_yuv.reformat(bgr, format="yuv420p", threads=1)
        frame.pts = self.count
        packets = self._encoder.encode(frame)
        if len(packets) != 1:
            raise RuntimeError(f"x264 returned {len(packets)} packets for frame {self.count} of a GOP, expected 1")
        packet = packets[0]
        decoded = self._decoder.decode(packet)
        if len(decoded) != 1:
            raise RuntimeError(f"the H.264 decoder returned {len(decoded)} frames for one packet, expected 1")
        self.count += 1
        out = np.asarray(self._to_bgr.reformat(decoded[0], format="bgr24", threads=1).to_ndarray(), np.uint8)
        return out, H264Packet(bytes(packet), bool(packet.is_keyframe))


class H264Stream:
    """Hands out frames as the camera's H.264 stream carries them, for any frame index in any order.

    Keeps the GOP being played: the next frame in order costs one round trip; any other frame re-encodes
    its GOP from the keyframe (those frames are rendered again, without being kept).

    Args:
        settings: The camera's encoder settings.
        render: Renders the raw (unencoded) frame of an index.
    """

    def __init__(self, settings: H264Settings, render: Callable[[int], RenderedFrame]) -> None:
        self.settings, self._render = settings, render
        self._codec: GopCodec | None = None
        self._start = -1
        self._last: RenderedFrame | None = None

    def frame(self, index: int) -> RenderedFrame:
        """Frame ``index`` after the H.264 round trip, with its packet (a fresh image array every call)."""
        if self._last is not None and self._last.index == index:
            return replace(self._last, image=self._last.image.copy())
        start = index - index % self.settings.gop_frames
        if self._codec is None or self._start != start or self._codec.count > index - start:
            self._codec, self._start = GopCodec(self.settings), start
        while True:
            raw = self._render(start + self._codec.count)
            image, packet = self._codec.roundtrip(raw.image)
            if raw.index == index:
                self._last = replace(raw, image=image, packet=packet)
                return replace(self._last, image=image.copy())


class H264File:
    """Writes H.264 packets, in frame order, into an MP4 file (no re-encoding).

    Args:
        path: The ``.mp4`` to write.
        settings: The settings the packets were encoded with.
    """

    def __init__(self, path: Path, settings: H264Settings) -> None:
        self.path, self.settings = path, settings
        self._container = av.open(str(path), mode="w", format="mp4")
        stream = self._container.add_stream("h264", rate=settings.rate)
        stream.width, stream.height, stream.pix_fmt = settings.width, settings.height, "yuv420p"
        stream.time_base = 1 / settings.rate
        self._stream = stream
        self._time_base = 1 / settings.rate
        self.frames = 0

    def write(self, packet: H264Packet) -> None:
        """Append the next frame's packet."""
        out = av.Packet(packet.data)
        out.stream = self._stream
        out.time_base = self._time_base
        out.pts = out.dts = self.frames
        out.is_keyframe = packet.keyframe
        self._container.mux(out)
        self.frames += 1

    def close(self) -> None:
        """Finish the file (writes the MP4 index)."""
        self._container.close()

    def __enter__(self) -> H264File:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
