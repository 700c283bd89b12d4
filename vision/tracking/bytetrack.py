"""ByteTrack-class multi-object tracker: one instance per camera, ``FrameDetections`` in and out.

Per frame (``ByteTracker.update``):

1. Predict every track to the frame's ``captured_at`` with a constant-velocity Kalman filter (steps in seconds).
2. Stage 1: confirmed tracks (tracked and lost) against high-confidence detections, by IoU, Hungarian. Where
   two tracks overlap one detection nearly as well (a crossing, or one shopper stepping in front of another),
   the contested ones are re-assigned with their clothing colour signatures (``shelfsight.vision.tracking.colour``);
   there a lost track counts where it was last seen as well as where it is predicted to be.
3. Stage 2: tracks still unmatched that were tracked in the previous frame against low-confidence detections
   (a half-hidden shopper scores low; this keeps their track alive instead of letting it be lost).
4. Stage 3: tentative tracks against the detections left over that score at least the activation threshold.
5. Tentative tracks left unmatched are dropped; tracked ones become lost; lost ones not seen for
   ``lost_track_buffer_s`` seconds are dropped (and their per-track state with them).
6. Leftover detections scoring at least ``track_activation_threshold`` start tentative tracks; a tentative track
   matched by such boxes ``minimum_consecutive_frames`` frames in a row, over at least ``minimum_confirmation_s``
   seconds, is confirmed, re-linked to a lost track by the optional ``FragmentRelinker`` or given a fresh id from
   the injected ``IdCounter``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.frames import TIME_TOLERANCE_S
from shelfsight.vision.tracking import colour, kalman
from shelfsight.vision.tracking.ids import IdCounter
from shelfsight.vision.tracking.matching import Assignment, assign, covered_share, iou_matrix
from shelfsight.vision.tracking.relink import FragmentRelinker, Newcomers
from shelfsight.vision.tracking.tracks import NO_ID, TrackState, TrackTable

logger = logging.getLogger(__name__)

# Names of the extra output columns in ``FrameDetections.data``.
STATE_COLUMN = "state"  # int8 TrackState value
AGE_COLUMN = "age_s"  # float32 seconds since the track's first detection
DETECTION_INDEX_COLUMN = "detection_index"  # int64 row of the input detection matched this frame, -1 if none

CLEAR_SHARE = 0.1
"""A box counts as standing clear of others when no other detection covers more than this share of it."""

UNKNOWN_DISTANCE = 0.5
"""Colour distance used for a contested track that has no signature yet (neither for nor against it)."""

LEAVE_DISTANCE = 0.5
"""Colour distance at which, in a contest, leaving a track unmatched this frame is as good as matching it."""

FIRST_CLEAR_SHARE = 0.25
"""The same for a track's first signature: a little of someone else beats having none."""


SIGNATURE_BLEND = 0.3
"""Weight of a fresh colour signature against the track's running one (the rest carries over)."""


@dataclass(frozen=True)
class TrackerSettings:
    """Thresholds and times of the tracker. Times are seconds of ``captured_at``, never frames.

    Attributes:
        high_confidence_threshold: Detections scoring at least this take part in stage 1 (and can start
            tracks); lower ones only in stage 2. Higher keeps false boxes from stealing tracks and relies more
            on stage 2 for occluded people; lower lets weak false boxes take over a track.
        low_confidence_threshold: Detections below this are ignored altogether. Lower rescues more occluded
            people and lets clutter keep dead tracks alive.
        track_activation_threshold: Score a detection needs to start a track or to count towards its
            confirmation: a tentative track is continued only by such boxes (a weaker box ends it), so a track is
            never confirmed from boxes below it. Values below ``high_confidence_threshold`` act as that
            threshold. Higher gives fewer tracks from false boxes (a shelf upright or a drapery the detector
            scores 0.3-0.5 now and then) and later (or no) tracks for people the detector is unsure of.
        minimum_matching_threshold: Least IoU between a track's predicted box and a high-confidence detection
            in stage 1 (supervision's ``minimum_matching_threshold=0.8`` is a cost, 1 - IoU, i.e. IoU 0.2).
            Higher loses fast walkers at low fps (their boxes overlap less frame to frame); lower swaps ids
            between people who pass close by.
        low_score_matching_threshold: Least IoU for stage 2. Higher rescues fewer occluded people; lower lets a
            weak box of the occluder keep the hidden person's track alive.
        tentative_matching_threshold: Least IoU to continue a tentative track.
        minimum_consecutive_frames: Consecutive matched frames before a track is confirmed and gets an id.
            Higher suppresses ids for flickering false boxes and delays (and drops the first frames of) real
            tracks; 1 confirms at once.
        minimum_confirmation_s: Least time from a tentative track's first box to the frame that confirms it,
            seconds of ``captured_at``, on top of ``minimum_consecutive_frames`` (every frame in between must
            give it a box scoring ``track_activation_threshold``). Unlike a frame count it means the same at
            any fps. Higher keeps ids from false boxes that score high for a moment (a reflection, a poster,
            a trolley) and drops that much of the start of every real track; 0 leaves the frame count alone.
        lost_track_buffer_s: How long a lost track is predicted forward and can be matched again by IoU,
            seconds. Higher bridges longer detector misses, and the drifting prediction may then be matched to
            someone else; lower splits tracks at short misses (the relinker may still join them).
        report_lost: Also output lost tracks (predicted box, ``detection_index`` -1) while they are buffered.
        colour_weight: Weight of the clothing colour distance (0..1 per pair) against 1 - IoU when stage 1's assignment
            is contested (another track overlaps a detection nearly as well as its winner), e.g. after two
            shoppers crossed under one box. Needs the frame (``update(..., image)``); 0 switches it off.
        contest_iou_margin: A rival within this IoU of a match's own contests it.
        signature_refresh_s: How often a track standing clear of others refreshes its colour signature, seconds.
        noise: Motion model noise levels.
    """

    high_confidence_threshold: float = 0.5
    low_confidence_threshold: float = 0.1
    track_activation_threshold: float = 0.5
    minimum_matching_threshold: float = 0.2
    low_score_matching_threshold: float = 0.5
    tentative_matching_threshold: float = 0.3
    minimum_consecutive_frames: int = 2
    minimum_confirmation_s: float = 0.0
    lost_track_buffer_s: float = 1.5
    report_lost: bool = False
    colour_weight: float = 2.0
    contest_iou_margin: float = 0.5
    signature_refresh_s: float = 0.5
    noise: kalman.MotionNoise = field(default_factory=kalman.MotionNoise)

    def __post_init__(self) -> None:
        for name in (
            "high_confidence_threshold",
            "low_confidence_threshold",
            "track_activation_threshold",
            "minimum_matching_threshold",
            "low_score_matching_threshold",
            "tentative_matching_threshold",
            "contest_iou_margin",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"TrackerSettings.{name} must be within 0..1, got {value}")
        if self.low_confidence_threshold > self.high_confidence_threshold:
            raise ValueError(
                "TrackerSettings.low_confidence_threshold must be <= high_confidence_threshold, got "
                f"{self.low_confidence_threshold} > {self.high_confidence_threshold}"
            )
        frames, buffer_s = self.minimum_consecutive_frames, self.lost_track_buffer_s
        if frames < 1:
            raise ValueError(f"TrackerSettings.minimum_consecutive_frames must be >= 1, got {frames}")
        if buffer_s < 0:
            raise ValueError(f"TrackerSettings.lost_track_buffer_s must be >= 0 seconds, got {buffer_s}")
        if self.minimum_confirmation_s < 0:
            raise ValueError(
                f"TrackerSettings.minimum_confirmation_s must be >= 0 seconds, got {self.minimum_confirmation_s}"
            )
        if self.colour_weight < 0:
            raise ValueError(f"TrackerSettings.colour_weight must be >= 0, got {self.colour_weight}")
        if self.signature_refresh_s < 0:
            raise ValueError(
                f"TrackerSettings.signature_refresh_s must be >= 0 seconds, got {self.signature_refresh_s}"
            )

    @property
    def activation_score(self) -> float:
        """Least score of a box that starts a track or continues a tentative one (the confirmation score)."""
        return max(self.track_activation_threshold, self.high_confidence_threshold)


class ByteTracker:
    """Tracks people across the frames of one camera.

    Contract of ``update``: call it once for every frame the detector processed, in capture order, **even when
    there are no detections** (an empty ``FrameDetections``): that is how the tracker learns that time passed
    and lost tracks expire. ``captured_at`` must not decrease. The output has one row per reported track, which
    is usually not the number of input detections: tentative tracks, unmatched low-score boxes and false boxes
    produce no row, and lost tracks produce one only with ``report_lost``.

    Ids are anonymous, unique within the counter (pass one ``IdCounter`` per camera) and never reused for the
    life of the counter, ``reset()`` included. Memory is bounded by the number of live tracks plus the
    relinker's pool: dropped tracks leave nothing behind.

    Args:
        settings: Thresholds and times.
        id_counter: Source of ids; a fresh one starting at 1 when omitted.
        camera_id: When given, ``update`` refuses detections of another camera.
        relinker: Optional fragment re-linker (lost-track pool, optionally with an appearance model).
    """

    def __init__(
        self,
        settings: TrackerSettings | None = None,
        *,
        id_counter: IdCounter | None = None,
        camera_id: str | None = None,
        relinker: FragmentRelinker | None = None,
    ) -> None:
        self.settings = settings or TrackerSettings()
        self.id_counter = id_counter if id_counter is not None else IdCounter()
        self.camera_id = camera_id
        self.relinker = relinker
        self._tracks = TrackTable.empty()
        self._last_time: float | None = None
        self._previous_image: npt.NDArray[np.uint8] | None = None
        self._frame_hw: tuple[int, int] = (0, 0)

    @property
    def fragments_merged(self) -> int:
        """How many new tracks were re-linked to a lost track (and so kept the lost track's id)."""
        return 0 if self.relinker is None else self.relinker.merged

    @property
    def live_tracks(self) -> int:
        """Tracks held now (tentative, tracked and lost)."""
        return len(self._tracks)

    def reset(self) -> None:
        """Forget every track (e.g. after a camera outage); the id counter keeps counting, so no id is reused."""
        self._tracks = TrackTable.empty()
        self._last_time = None
        self._previous_image = None
        if self.relinker is not None:
            self.relinker.clear()

    def update(self, detections: FrameDetections, image: npt.NDArray[np.uint8] | None = None) -> FrameDetections:
        """Advance the tracks by one frame (see the class docstring for the call contract).

        Args:
            detections: This frame's detections; ``captured_at`` in seconds.
            image: The frame's BGR pixels, needed only by a relinker with an appearance model (crops of lost
                tracks are cut from the frame passed in the previous call, so do not modify it in place).

        Returns:
            Confirmed tracks: ``xyxy``/``confidence``/``class_id``/``keypoints`` of the matched detection,
            ``tracker_id``, and ``data`` columns ``state`` (int8 ``TrackState``), ``age_s`` (float32 seconds
            since first detected) and ``detection_index`` (int64 input row, -1 for a reported lost track). The
            foot point is ``FrameDetections.foot_points``. Frame fields are copied from the input.
        """
        now = self._check_frame(detections)
        self._frame_hw = detections.frame_size
        dt = 0.0 if self._last_time is None else now - self._last_time
        self._last_time = now
        tracks = self._tracks
        kalman.predict(tracks.mean, tracks.covariance, dt, self.settings.noise)
        tracks.detection_index = self._associate(tracks, detections, image)
        births = self._leftover_births(detections, tracks.detection_index)
        self._apply_matches(tracks, detections, image)
        tracks = self._retire(tracks, now)
        tracks = tracks.extend(TrackTable.born(detections, births, now, self.settings.noise))
        if image is not None and self.settings.colour_weight > 0:
            self._refresh_signatures(tracks, np.flatnonzero(tracks.detection_index >= 0), detections, image)
        tracks = self._confirm(tracks, now, image)
        self._tracks = tracks
        if self.relinker is not None:
            self.relinker.expire(now)
            self._previous_image = image if self.relinker.wants_image else None
        return self._output(detections, now)

    def _check_frame(self, detections: FrameDetections) -> float:
        if self.camera_id is not None and detections.camera_id != self.camera_id:
            raise ValueError(
                f"tracker of camera {self.camera_id!r} got detections of camera {detections.camera_id!r}; "
                "use one tracker per camera"
            )
        now = float(detections.captured_at)
        if self._last_time is not None and now < self._last_time:
            raise ValueError(
                f"captured_at went backwards: {now} after {self._last_time} (camera {detections.camera_id!r}); "
                "frames must be given in capture order"
            )
        return now

    def _associate(
        self, tracks: TrackTable, detections: FrameDetections, image: npt.NDArray[np.uint8] | None
    ) -> npt.NDArray[np.int64]:
        """(n_tracks,) int64 index of the detection each track matched, -1 for none."""
        s = self.settings
        scores = detections.confidence
        high = np.flatnonzero(scores >= s.high_confidence_threshold)
        low = np.flatnonzero((scores >= s.low_confidence_threshold) & (scores < s.high_confidence_threshold))
        matched = np.full((len(tracks),), -1, np.int64)
        if len(tracks) == 0:
            return matched
        predicted = tracks.predicted_xyxy()
        boxes = detections.xyxy
        state = tracks.state
        confirmed = np.flatnonzero(state != TrackState.TENTATIVE)
        overlap = iou_matrix(predicted[confirmed], boxes[high])
        first = assign(1.0 - overlap, 1.0 - s.minimum_matching_threshold)
        if image is not None and s.colour_weight > 0:
            overlap = self._with_last_boxes(overlap, tracks, confirmed, boxes[high])
            first = self._settle_contests(first, overlap, tracks, confirmed, boxes[high], image)
        matched[confirmed[first.rows]] = high[first.cols]
        vetoed = self._veto_refound(tracks, confirmed[first.rows], high[first.cols], detections, image)
        matched[vetoed] = -1
        rest = confirmed[first.unmatched_rows]
        rest = rest[state[rest] == TrackState.TRACKED]
        second = assign(1.0 - iou_matrix(predicted[rest], boxes[low]), 1.0 - s.low_score_matching_threshold)
        matched[rest[second.rows]] = low[second.cols]
        # Tentative tracks take only boxes that could have started one: a false box scoring high once must not
        # be confirmed by the weak boxes it gets in the next frames (stage 2 would then keep it alive for good).
        tentative = np.flatnonzero(state == TrackState.TENTATIVE)
        strong_left = np.setdiff1d(np.flatnonzero(scores >= s.activation_score), matched[matched >= 0])
        third = assign(1.0 - iou_matrix(predicted[tentative], boxes[strong_left]), 1.0 - s.tentative_matching_threshold)
        matched[tentative[third.rows]] = strong_left[third.cols]
        return matched

    @staticmethod
    def _with_last_boxes(
        overlap: npt.NDArray[np.float64],
        tracks: TrackTable,
        confirmed: npt.NDArray[np.int64],
        boxes: npt.NDArray[np.float32],
    ) -> npt.NDArray[np.float64]:
        """Stage 1's overlaps, where a lost track's last box overlaps a detection better than its prediction."""
        lost = np.flatnonzero(tracks.state[confirmed] == TrackState.LOST)
        if len(lost) == 0:
            return overlap
        out = overlap.copy()
        out[lost] = np.maximum(out[lost], iou_matrix(tracks.xyxy[confirmed[lost]], boxes))
        return out

    def _settle_contests(
        self,
        first: Assignment,
        overlap: npt.NDArray[np.float64],
        tracks: TrackTable,
        confirmed: npt.NDArray[np.int64],
        boxes: npt.NDArray[np.float32],
        image: npt.NDArray[np.uint8],
    ) -> Assignment:
        """Stage 1's assignment (rows index ``confirmed``), re-solved with clothing colour where box overlap alone
        is in doubt.

        A match is contested when another track overlaps its detection nearly as well (``contest_iou_margin``), or
        when another detection overlaps its track nearly as well.
        The contested tracks and the detections they could take are re-assigned on 1 - IoU plus
        ``colour_weight`` times the colour distance (``UNKNOWN_DISTANCE`` for a track without a signature yet);
        a pair costing more than leaving both unmatched is left apart.
        """
        s = self.settings
        if len(first.rows) == 0 or (len(confirmed) < 2 and len(boxes) < 2):
            return first
        allowed = overlap >= s.minimum_matching_threshold
        won = overlap[first.rows, first.cols]
        close = allowed[:, first.cols] & (overlap[:, first.cols] >= (won - s.contest_iou_margin)[None, :])
        contested = close.sum(axis=0) >= 2
        # A track overlapping another detection nearly as well as its own is in doubt too: two shoppers who stood
        # one behind the other under one box step apart, and the box's track may follow either.
        torn = (allowed[first.rows] & (overlap[first.rows] >= (won - s.contest_iou_margin)[:, None])).sum(axis=1) >= 2
        if not contested.any() and not torn.any():
            return first
        rows = np.union1d(np.flatnonzero(close[:, contested].any(axis=1)), first.rows[torn])
        owner = np.full((overlap.shape[1],), -1, np.int64)
        owner[first.cols] = first.rows
        cols = np.flatnonzero(allowed[rows].any(axis=0) & ((owner < 0) | np.isin(owner, rows)))
        members = confirmed[rows]
        distance = colour.signature_distance(tracks.signature[members], colour.colour_signatures(image, boxes[cols]))
        distance[np.isinf(tracks.signature_s[members])] = UNKNOWN_DISTANCE
        cost = 1.0 - overlap[np.ix_(rows, cols)] + s.colour_weight * distance
        limit = 1.0 - s.minimum_matching_threshold + s.colour_weight * LEAVE_DISTANCE
        cost[~allowed[np.ix_(rows, cols)]] = limit + 1.0
        settled = assign(cost, limit, leave_cost=limit)
        keep = ~np.isin(first.rows, rows)
        new_rows = np.concatenate([first.rows[keep], rows[settled.rows]])
        new_cols = np.concatenate([first.cols[keep], cols[settled.cols]])
        row_free = np.ones((overlap.shape[0],), bool)
        row_free[new_rows] = False
        col_free = np.ones((overlap.shape[1],), bool)
        col_free[new_cols] = False
        return Assignment(new_rows, new_cols, np.flatnonzero(row_free), np.flatnonzero(col_free))

    def _veto_refound(
        self,
        tracks: TrackTable,
        rows: npt.NDArray[np.int64],
        cols: npt.NDArray[np.int64],
        detections: FrameDetections,
        image: npt.NDArray[np.uint8] | None,
    ) -> npt.NDArray[np.int64]:
        """Rows of lost tracks re-found in stage 1 after a long gap whose appearance does not match."""
        if self.relinker is None or not self.relinker.wants_image or image is None:
            return rows[:0]
        gap = detections.captured_at - tracks.last_seen_s[rows]
        refound = (tracks.state[rows] == TrackState.LOST) & (gap > self.relinker.settings.verify_refound_after_s)
        if not refound.any():
            return rows[:0]
        ok = self.relinker.verify(tracks.tracker_id[rows[refound]], detections.xyxy[cols[refound]], image)
        vetoed: npt.NDArray[np.int64] = rows[refound][~ok]
        return vetoed

    def _leftover_births(
        self, detections: FrameDetections, matched_det: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """Indices of detections that start tentative tracks: unmatched and scoring high enough."""
        free = np.ones((len(detections),), bool)
        free[matched_det[matched_det >= 0]] = False
        free &= detections.confidence >= self.settings.activation_score
        return np.flatnonzero(free)

    def _apply_matches(
        self, tracks: TrackTable, detections: FrameDetections, image: npt.NDArray[np.uint8] | None
    ) -> None:
        """Kalman-correct matched tracks and take their detection's box, score and class (and, for tracks
        standing clear of other detections, refresh their colour signature when it is due)."""
        rows = np.flatnonzero(tracks.detection_index >= 0)
        if len(rows) == 0:
            return
        cols = tracks.detection_index[rows]
        mean, covariance = tracks.mean[rows], tracks.covariance[rows]
        kalman.update(mean, covariance, detections.xyxy[cols], self.settings.noise)
        tracks.mean[rows], tracks.covariance[rows] = mean, covariance
        tracks.xyxy[rows] = detections.xyxy[cols]
        tracks.confidence[rows] = detections.confidence[cols]
        tracks.class_id[rows] = detections.class_id[cols]
        tracks.hits[rows] += 1
        tracks.last_seen_s[rows] = detections.captured_at
        found = rows[tracks.state[rows] == TrackState.LOST]
        tracks.state[found] = TrackState.TRACKED
        if self.relinker is not None:
            self.relinker.track_found(tracks.tracker_id[found])

    def _refresh_signatures(
        self,
        tracks: TrackTable,
        rows: npt.NDArray[np.int64],
        detections: FrameDetections,
        image: npt.NDArray[np.uint8],
    ) -> None:
        """New colour signatures (averaged into the old) for matched tracks due a refresh whose box no other
        detection covers: a box shared with someone else would mix two people's clothes."""
        now = detections.captured_at
        due = rows[now - tracks.signature_s[rows] >= self.settings.signature_refresh_s]
        if len(due) == 0:
            return
        visible = detections.confidence >= self.settings.low_confidence_threshold
        index = np.flatnonzero(visible)
        covered = np.zeros((len(detections),), np.float64)
        covered[index] = covered_share(detections.xyxy[index])
        limit = np.where(np.isinf(tracks.signature_s[due]), FIRST_CLEAR_SHARE, CLEAR_SHARE)
        due = due[covered[tracks.detection_index[due]] <= limit]
        if len(due) == 0:
            return
        fresh = colour.colour_signatures(image, detections.xyxy[tracks.detection_index[due]])
        first = np.isinf(tracks.signature_s[due])[:, None]
        tracks.signature[due] = np.where(
            first, fresh, (1.0 - SIGNATURE_BLEND) * tracks.signature[due] + SIGNATURE_BLEND * fresh
        )
        tracks.signature_s[due] = now

    def _retire(self, tracks: TrackTable, now: float) -> TrackTable:
        """Unmatched tracks: tentative ones dropped, tracked ones lost, lost ones dropped past the buffer."""
        unmatched = tracks.detection_index < 0
        state = tracks.state
        newly_lost = np.flatnonzero(unmatched & (state == TrackState.TRACKED))
        state[newly_lost] = TrackState.LOST
        tracks.hits[unmatched] = 0
        # A lost track's size is not extrapolated: a shrinking prediction would never match again.
        tracks.mean[newly_lost, 6:] = 0.0
        if self.relinker is not None:
            mean = tracks.mean[newly_lost]
            foot_velocity = np.stack([mean[:, 4], mean[:, 5] + mean[:, 7] / 2], axis=1)
            self.relinker.tracks_lost(
                tracks.tracker_id[newly_lost],
                tracks.xyxy[newly_lost],
                foot_velocity,
                tracks.last_seen_s[newly_lost],
                self._previous_image,
                self._frame_hw,
                tracks.signature[newly_lost],
            )
        expired = (state == TrackState.LOST) & (now - tracks.last_seen_s > self.settings.lost_track_buffer_s)
        drop = (unmatched & (state == TrackState.TENTATIVE)) | expired
        return tracks.take(~drop) if drop.any() else tracks

    def _confirm(self, tracks: TrackTable, now: float, image: npt.NDArray[np.uint8] | None) -> TrackTable:
        """Give ids to tentative tracks matched often enough, for long enough; re-linked ones take a lost
        track's id."""
        s = self.settings
        ready = np.flatnonzero(
            (tracks.state == TrackState.TENTATIVE)
            & (tracks.hits >= s.minimum_consecutive_frames)
            & (now - tracks.first_seen_s >= s.minimum_confirmation_s - TIME_TOLERANCE_S)
        )
        if len(ready) == 0:
            return tracks
        ids = np.full((len(ready),), NO_ID, np.int64)
        if self.relinker is not None:
            mean = tracks.mean[ready]
            newcomers = Newcomers(
                tracks.xyxy[ready],
                tracks.first_xyxy[ready],
                tracks.first_seen_s[ready],
                now,
                velocity=np.stack([mean[:, 4], mean[:, 5] + mean[:, 7] / 2], axis=1),
                signature=tracks.signature[ready] if image is not None else None,
            )
            ids = self.relinker.link(newcomers, image, self._frame_hw)
        fresh = ids == NO_ID
        ids[fresh] = [self.id_counter.next_id() for _ in range(int(fresh.sum()))]
        tracks.tracker_id[ready] = ids
        tracks.state[ready] = TrackState.TRACKED
        relinked = ids[~fresh]
        if len(relinked):
            # The lost rows those ids came from (if still buffered) are now continued by the newcomers.
            stale = np.isin(tracks.tracker_id, relinked) & (tracks.state == TrackState.LOST)
            tracks = tracks.take(~stale)
        return tracks

    def _output(self, detections: FrameDetections, now: float) -> FrameDetections:
        tracks = self._tracks
        reported = tracks.state == TrackState.TRACKED
        if self.settings.report_lost:
            reported |= tracks.state == TrackState.LOST
        rows = np.flatnonzero(reported)
        index = tracks.detection_index[rows]
        rows = rows[np.argsort(np.where(index >= 0, index, len(detections) + rows), kind="stable")]
        index = tracks.detection_index[rows]
        seen = index >= 0
        xyxy = tracks.xyxy[rows]
        if not seen.all():
            xyxy[~seen] = kalman.state_to_xyxy(tracks.mean[rows[~seen]])
        keypoints = None
        if detections.keypoints is not None:
            keypoints = np.zeros((len(rows), *detections.keypoints.shape[1:]), np.float32)
            keypoints[seen] = detections.keypoints[index[seen]]
        return FrameDetections(
            xyxy=xyxy,
            confidence=tracks.confidence[rows],
            class_id=tracks.class_id[rows],
            keypoints=keypoints,
            tracker_id=tracks.tracker_id[rows],
            camera_id=detections.camera_id,
            frame_seq=detections.frame_seq,
            captured_at=detections.captured_at,
            frame_size=detections.frame_size,
            data={
                STATE_COLUMN: tracks.state[rows],
                AGE_COLUMN: (now - tracks.first_seen_s[rows]).astype(np.float32),
                DETECTION_INDEX_COLUMN: index,
            },
        )
