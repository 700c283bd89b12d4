"""BlazePose landmarks on ONNX Runtime: 33 body keypoints of one person per square crop, top-down.

The model (MediaPipe BlazePose GHUM landmark, full or lite, converted from TFLite with tf2onnx) takes a
256x256 RGB crop, NHWC, 0..1 floats, and returns 39 rows of (x, y, z, visibility, presence) in crop pixels (the
first 33 are body landmarks: wrists 15/16, hand points 17-22) and a pose-present score. Crops come from person
boxes (`shelfsight.vision.pose.crop`); landmarks are mapped back to frame pixels.

Only two of the model's five outputs are used: the graph is cut down to them at load (the segmentation mask and
heatmap branches cost more than half the run time and nothing here reads them), and given a dynamic batch when
that changes no number (`shelfsight.vision.detector.batching`), so the shoppers at shelves in one frame go through in
one ``run``.

A keypoint's score is the sigmoid of its visibility logit, set to 0 where the sigmoid of its presence logit is
under ``min_presence`` (the model's "this point lies outside the crop"). The pose-present score is not used to
drop people: on a real aisle clip it fell below 0.5 on half the frames where the raised wrist was found right
(`python -m bench.eval_pose_crop`, bench/README.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx.utils import Extractor
from scipy.special import expit

from shelfsight.vision.detector.batching import dynamic_batch_session
from shelfsight.vision.detector.onnx import choose_providers, session_options
from shelfsight.vision.pose.crop import CropSettings, crop_transforms
from shelfsight.vision.pose.landmark_layout import BODY_LANDMARKS, LANDMARK_ROWS, LANDMARK_VALUES, read_landmark_layout

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

PRESENCE_MIN: Final = 0.5


@dataclass(frozen=True)
class BlazePoseSettings:
    """How the landmark model runs.

    Attributes:
        crop: Where the crop around each person box lies.
        max_batch: Most people per ``session.run`` (when the model takes a batch exactly).
        intra_op_threads: ONNX Runtime threads inside one operator; 1 leaves the other cores to the detector and
            other cameras on a small edge box.
        providers: Execution providers to try in order; None picks the best installed.
        min_presence: A keypoint whose presence (0..1) is below this gets score 0: the model places it outside
            the crop.
    """

    crop: CropSettings = field(default_factory=CropSettings)
    max_batch: int = 4
    intra_op_threads: int = 1
    providers: tuple[str, ...] | None = None
    min_presence: float = PRESENCE_MIN

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.intra_op_threads < 0:
            raise ValueError(
                f"max_batch must be >= 1 and intra_op_threads >= 0, got {self.max_batch}, {self.intra_op_threads}"
            )
        if not 0.0 <= self.min_presence <= 1.0:
            raise ValueError(f"BlazePoseSettings.min_presence must be within 0..1, got {self.min_presence}")


@dataclass(frozen=True)
class PoseEstimate:
    """Poses of n people.

    Attributes:
        keypoints: (n, 33, 3) float32 x, y in frame pixels (not clipped to the frame) and score 0..1.
        pose_score: (n,) float32 the model's pose-present score 0..1 (informative; nothing is dropped on it).
    """

    keypoints: FloatArray
    pose_score: FloatArray


class BlazePoseEstimator:
    """BlazePose landmarks of person boxes; one instance per camera (each track+events process builds its own).

    Construction cuts the graph to the outputs used, makes its batch dynamic when that is exact, and runs one
    warm-up batch: the first ``run`` allocates memory (and on GPUs compiles kernels), and taking that here keeps
    the first frame with a shopper at a shelf from stalling its camera.

    Attributes:
        layout: Input and outputs of the model.
        batch_limit: People per ``run`` (1 when the model only takes one at a time).
        providers: Execution providers in use.
        last_inference_s: Seconds the latest ``estimate`` spent in ``session.run``.
    """

    def __init__(self, model_path: Path | str, settings: BlazePoseSettings | None = None) -> None:
        self.settings = settings or BlazePoseSettings()
        self.model_path = Path(model_path)
        model_bytes = self.model_path.read_bytes()
        self.layout = read_landmark_layout(model_bytes)
        model_bytes = self._pruned(model_bytes)
        self._options = session_options(intra_op_threads=self.settings.intra_op_threads)
        self.providers = choose_providers(self.settings.providers)
        self.session = ort.InferenceSession(model_bytes, self._options, providers=self.providers)
        self.batch_limit = 1
        if self.settings.max_batch > 1:
            self._try_dynamic_batch(model_bytes)
        size = self.layout.size
        self._crops = np.zeros((self.batch_limit, size, size, 3), np.uint8)
        self._blob = np.zeros((self.batch_limit, size, size, 3), np.float32)
        self.last_inference_s = 0.0
        self._run(self.batch_limit)  # warm-up, see the class docstring
        logger.info(
            "pose model %s: input %dx%d, batch %d, providers %s",
            self.model_path.name,
            size,
            size,
            self.batch_limit,
            self.session.get_providers(),
        )

    @property
    def num_keypoints(self) -> int:
        """33: the BlazePose body landmarks (`shelfsight.vision.pose.keypoints.BLAZEPOSE33`)."""
        return BODY_LANDMARKS

    def _pruned(self, model_bytes: bytes) -> bytes:
        """The model cut down to the landmark and pose-flag outputs (the same numbers, half the work)."""
        layout = self.layout
        try:
            model = Extractor(onnx.load_from_string(model_bytes)).extract_model(
                [layout.input_name], [layout.landmarks, layout.pose_flag]
            )
        except Exception as exc:  # a graph the extractor cannot walk still runs whole
            logger.info("pose model %s runs whole (cutting unused outputs failed: %s)", self.model_path.name, exc)
            return model_bytes
        return bytes(model.SerializeToString())

    def _try_dynamic_batch(self, model_bytes: bytes) -> None:
        size = self.layout.size
        probe = np.random.default_rng(0).uniform(0, 1, (2, size, size, 3)).astype(np.float32)
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

    def _run(self, count: int) -> tuple[FloatArray, FloatArray]:
        """``session.run`` on the first ``count`` crops of the blob: (count, 39, 5) landmarks, (count,) flags."""
        feeds = {self.layout.input_name: self._blob[:count]}
        landmarks, flags = self.session.run([self.layout.landmarks, self.layout.pose_flag], feeds)
        shaped = np.asarray(landmarks, np.float32).reshape(count, LANDMARK_ROWS, LANDMARK_VALUES)
        return shaped, np.asarray(flags, np.float32).reshape(count)

    def estimate(self, image: npt.NDArray[np.uint8], xyxy: FloatArray) -> PoseEstimate:
        """Keypoints of the people in (n, 4) frame-pixel boxes of a BGR uint8 frame.

        Crops go through the model ``batch_limit`` at a time; the result is the same for any batch size.
        """
        n, size = len(xyxy), self.layout.size
        raw = np.zeros((n, BODY_LANDMARKS, LANDMARK_VALUES), np.float32)
        pose_score = np.zeros(n, np.float32)
        transforms = crop_transforms(np.asarray(xyxy, np.float32).reshape(n, 4), self.settings.crop, size)
        matrices = transforms.matrices()
        spent = 0.0
        for start in range(0, n, self.batch_limit):
            count = min(self.batch_limit, n - start)
            for i in range(count):
                cv2.warpAffine(
                    image,
                    matrices[start + i],
                    (size, size),
                    dst=self._crops[i],
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT,
                    borderValue=(0, 0, 0),
                )
            np.multiply(self._crops[:count, :, :, ::-1], np.float32(1.0 / 255.0), out=self._blob[:count])  # BGR->RGB
            started = time.perf_counter()
            landmarks, flags = self._run(count)
            spent += time.perf_counter() - started
            raw[start : start + count] = landmarks[:, :BODY_LANDMARKS]
            pose_score[start : start + count] = flags
        self.last_inference_s = spent
        keypoints = np.empty((n, BODY_LANDMARKS, 3), np.float32)
        keypoints[..., :2] = transforms.to_frame(raw[..., :2])
        present = expit(raw[..., 4]) >= self.settings.min_presence
        keypoints[..., 2] = np.where(present, expit(raw[..., 3]), 0.0)
        return PoseEstimate(keypoints, pose_score)
