"""Person (and object) detection with ONNX Runtime, for YOLOX and Ultralytics YOLO detect/pose models.

One call takes a batch of BGR frames of any size (one per camera, say) and returns one ``FrameDetections``
per frame, boxes in frame pixels. The layout is read from the model file (see ``layouts.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.detector.batching import dynamic_batch_session
from shelfsight.vision.detector.decode import Candidates, Decoder
from shelfsight.vision.detector.layouts import Layout, ModelLayout, recognise_layout
from shelfsight.vision.detector.letterbox import LetterboxBuffers, LetterboxTransform, letterbox_batch
from shelfsight.vision.detector.nms import nms
from shelfsight.vision.frames import Frame

logger = logging.getLogger(__name__)

# Fastest first; only those this onnxruntime build has are used.
PREFERRED_PROVIDERS: tuple[str, ...] = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "OpenVINOExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)


@dataclass(frozen=True)
class DetectorSettings:
    """How the detector runs.

    Attributes:
        conf_threshold: Minimum score 0..1. Lower finds more half-hidden shoppers and more false boxes.
        nms_iou: IoU 0..1 above which overlapping boxes of one class are merged. Higher keeps people who
            stand close together apart, and lets more duplicate boxes through.
        classes: Class indices to keep; None keeps all. Default: person only.
        max_detections: Cap on boxes per frame.
        max_batch: Largest number of frames sent to the model in one ``run``.
        intra_op_threads: Threads inside one operator (0 = ONNX Runtime's choice: all cores).
        inter_op_threads: Threads across operators (1 for the sequential executor).
        allow_spinning: Let idle ORT threads spin. Off on a shared edge box: spinning burns the cores
            that capture and tracking need, for a few percent lower latency.
        providers: Execution providers to try in order; None picks the best installed.
    """

    conf_threshold: float = 0.3
    nms_iou: float = 0.45
    classes: tuple[int, ...] | None = (0,)
    max_detections: int = 300
    max_batch: int = 4
    intra_op_threads: int = 1
    inter_op_threads: int = 1
    allow_spinning: bool = False
    providers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("conf_threshold", "nms_iou"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"DetectorSettings.{name} must be within 0..1, got {value}")
        if self.max_batch < 1 or self.max_detections < 1:
            raise ValueError(f"max_batch and max_detections must be >= 1, got {self.max_batch}, {self.max_detections}")


def session_options(
    *, intra_op_threads: int = 1, inter_op_threads: int = 1, allow_spinning: bool = False
) -> ort.SessionOptions:
    """ONNX Runtime options: thread counts, spinning, sequential execution, full graph optimisation.

    Args:
        intra_op_threads: Threads inside one operator (0 = ONNX Runtime's choice: all cores).
        inter_op_threads: Threads across operators (1 for the sequential executor).
        allow_spinning: Let idle threads spin (see `DetectorSettings.allow_spinning`).
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = inter_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    spinning = "1" if allow_spinning else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
    options.add_session_config_entry("session.inter_op.allow_spinning", spinning)
    return options


def choose_providers(requested: Sequence[str] | None) -> list[str]:
    """The requested (or preferred) execution providers that this onnxruntime build has, CPU last."""
    available = set(ort.get_available_providers())
    wanted = list(requested) if requested else list(PREFERRED_PROVIDERS)
    chosen = [p for p in wanted if p in available]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


class OnnxDetector:
    """ONNX Runtime detector; one instance per process, shared by every camera (batching).

    Construction loads the model, recognises its layout, makes its batch dynamic when that is exact, and
    runs one warm-up inference: the first run allocates memory and (on GPUs) compiles kernels, and taking
    that cost here keeps a supervisor's heartbeat deadline from tripping on the first real frame.

    Attributes:
        layout: The recognised model layout.
        batch_limit: Frames per ``run`` (1 when the model only takes one).
        providers: The execution providers in use.
        last_inference_s: Duration of the latest ``session.run`` calls of one ``detect``, seconds.
        inference_started: ``time.monotonic()`` when the current inference began, None when idle; a
            supervisor reads it to tell a stuck detector from an idle one.
    """

    def __init__(self, model_path: Path | str, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self.model_path = Path(model_path)
        model_bytes = self.model_path.read_bytes()
        self._options = session_options(
            intra_op_threads=self.settings.intra_op_threads,
            inter_op_threads=self.settings.inter_op_threads,
            allow_spinning=self.settings.allow_spinning,
        )
        self.providers = choose_providers(self.settings.providers)
        self.session = ort.InferenceSession(model_bytes, self._options, providers=self.providers)
        self.layout: ModelLayout = recognise_layout(
            [(i.name, i.shape) for i in self.session.get_inputs()],
            [(o.name, o.shape) for o in self.session.get_outputs()],
            self.session.get_modelmeta().custom_metadata_map,
        )
        self.decoder = Decoder(self.layout, self.settings.conf_threshold, self.settings.classes)
        self._buffers = LetterboxBuffers(self.layout.input_hw)
        self.batch_limit = self.settings.max_batch if self.layout.batch is None else self.layout.batch
        if self.layout.batch == 1 and self.settings.max_batch > 1:
            self._try_dynamic_batch(model_bytes)
        self.last_inference_s = 0.0
        self.inference_started: float | None = None
        self._warm_up()
        logger.info(
            "detector %s: layout %s, input %s, batch %d, providers %s",
            self.model_path.name,
            self.layout.layout.value,
            self.layout.input_hw,
            self.batch_limit,
            self.session.get_providers(),
        )

    def _try_dynamic_batch(self, model_bytes: bytes) -> None:
        shape = (2, 3, *self.layout.input_hw)
        probe = np.random.default_rng(0).uniform(0, 255 * self.layout.scale, shape).astype(np.float32)
        session = dynamic_batch_session(
            model_bytes,
            self.session,
            probe=probe,
            input_name=self.layout.input_name,
            options=self._options,
            providers=self.providers,
            label=self.model_path.name,
        )
        if session is not None:
            self.session, self.batch_limit = session, self.settings.max_batch

    def _warm_up(self) -> None:
        self.run_blob(np.zeros((1, 3, *self.layout.input_hw), np.float32))

    def _run(self, blob: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        output: npt.NDArray[np.float32] = self.session.run(None, {self.layout.input_name: blob})[0]
        return output

    def run_blob(self, blob: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """``session.run`` on a preprocessed (B, 3, H, W) blob, in chunks of ``batch_limit``; the raw output.

        Sets ``inference_started`` while running and ``last_inference_s`` after.
        """
        self.inference_started = started = time.monotonic()
        try:
            chunks = [self._run(blob[i : i + self.batch_limit]) for i in range(0, len(blob), self.batch_limit)]
        finally:
            self.inference_started = None
        self.last_inference_s = time.monotonic() - started
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=0)

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[FrameDetections]:
        """Detect objects in BGR uint8 frames of any size; one result per frame, boxes in frame pixels."""
        if not images:
            return []
        layout = self.layout
        blob, transform = letterbox_batch(
            images,
            layout.input_hw,
            centre=layout.centre_pad,
            rgb=layout.rgb,
            scale=layout.scale,
            buffers=self._buffers,
        )
        candidates = self.decoder(self.run_blob(blob))
        return [self._finish(i, c, transform) for i, c in enumerate(candidates)]

    def detect_frames(self, frames: Sequence[Frame]) -> list[FrameDetections]:
        """As ``detect``, carrying each frame's camera, sequence number and capture time into the result."""
        results = self.detect([frame.image for frame in frames])
        return [
            FrameDetections(
                xyxy=r.xyxy,
                confidence=r.confidence,
                class_id=r.class_id,
                keypoints=r.keypoints,
                camera_id=f.camera_id,
                frame_seq=f.seq,
                captured_at=f.captured_at,
                frame_size=r.frame_size,
            )
            for f, r in zip(frames, results, strict=True)
        ]

    def _finish(self, index: int, cand: Candidates, transform: LetterboxTransform) -> FrameDetections:
        if self.layout.layout is Layout.ULTRALYTICS_END2END:
            kept = np.argsort(-cand.score)[: self.settings.max_detections]
        else:
            kept = nms(
                cand.xyxy,
                cand.score,
                cand.class_id,
                iou_threshold=self.settings.nms_iou,
                max_detections=self.settings.max_detections,
            )
        keypoints = None
        if cand.keypoints is not None:
            keypoints = cand.keypoints[kept].copy()
        height, width = (int(v) for v in transform.frame_hw[index])
        if keypoints is not None:
            xy = transform.points_to_frame(index, keypoints[..., :2])
            np.clip(xy[..., 0], 0, width, out=xy[..., 0])
            np.clip(xy[..., 1], 0, height, out=xy[..., 1])
            keypoints[..., :2] = xy
        return FrameDetections(
            xyxy=transform.boxes_to_frame(index, cand.xyxy[kept]),
            confidence=cand.score[kept].astype(np.float32, copy=False),
            class_id=cand.class_id[kept],
            keypoints=keypoints,
            frame_size=(height, width),
        )
