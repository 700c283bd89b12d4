"""Re-linking track fragments: a shopper hidden for a few seconds gets their old id back.

When a confirmed track is lost (no detection matched it), its last box, velocity and time, plus a crop of it
from the last frame it was seen in, go into a small pool. When the tracker confirms a new track, it asks the
pool whether the newcomer is one of those lost tracks:

1. Motion gate: the newcomer appeared only after the lost track was last seen (two people seen at the same
   time are two people), at a similar size, and its foot point lies within
   ``gate_margin_heights + max_speed_heights_per_s * gap`` box heights of the path from where the lost track
   was last seen to where its last velocity would have taken it in the gap (so both a shopper who stopped
   behind a shelf end and one who walked on behind it are found, and someone far off that path is not).
2. Appearance: with an ``AppearanceModel``, the cosine similarity of the two crops' embeddings must reach
   ``minimum_similarity``; gated pairs are then assigned one-to-one by highest similarity. Embeddings are
   computed only here, on demand, for lost tracks that a newcomer is gated with, so a frame in which nobody
   reappears costs nothing.
   Where both have a clothing colour signature (taken while each stood clear of others), close colours admit a
   pair the ReID model is unsure of, and different colours refuse one it likes.
3. Without an appearance model (or without the frame image), a pair is linked on motion alone only when it is
   clear: its distance from the expected path is at most half that of any rival candidate on either side.

Either way, a track that walked out through a frame edge is not linked, nor a newcomer that walked in through
one: someone entering where another shopper left is a new shopper. A track last seen close enough to an edge
that its speed would have carried it through within ``exit_lookahead_s`` counts as walking out too (a shelf end
or pillar at the side of the picture hides shoppers before they reach the edge itself).

Pool entries expire ``relink_window_s`` after the track was last seen, are removed when the tracker finds the
track again by itself, and the pool never holds more than ``max_pool`` entries (oldest dropped first), so memory
stays bounded on a stream that runs for weeks. Crops and embeddings never leave the process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.tracking import colour
from shelfsight.vision.tracking.matching import assign
from shelfsight.vision.tracking.reid import AppearanceModel, cosine_similarity, cut_crops
from shelfsight.vision.tracking.tracks import NO_ID

logger = logging.getLogger(__name__)


EDGE_SPEED_HEIGHTS_PER_S = 0.1  # slower than this, a shopper at the frame edge is standing, not leaving
MOTION_ONLY_MARGIN = 2.0  # without appearance, a link's path distance must be half that of any rival
COLOUR_SAME = 0.3  # colour signature distance at or below which two tracks' clothes match
COLOUR_DIFFERENT = 0.6  # at or above which they are someone else, whatever the ReID model says
UNKNOWN_COLOUR = 0.45  # stands in for the distance where a side has no signature


@dataclass(frozen=True)
class RelinkSettings:
    """When a new track may take over a lost track's id.

    Attributes:
        relink_window_s: How long after a track was last seen it can still be re-linked, seconds. Higher bridges
            longer occlusions (a shopper behind a shelf end) and raises the chance of handing the id to someone
            else who appears in the same place; lower splits long occlusions into two visits.
        max_speed_heights_per_s: How far (box heights per second of the gap) a hidden shopper may stray from the
            straight path of their last velocity. Higher admits more candidates (more wrong links without
            appearance); lower refuses shoppers who turned while hidden.
        gate_margin_heights: Distance allowed whatever the gap, in box heights (detector jitter, posture).
        max_height_ratio: Largest ratio between the two box heights. Higher tolerates partial boxes; lower
            rejects a shopper whose box was cut by an occluder.
        minimum_similarity: Cosine similarity (-1..1) the two embeddings must reach. Higher gives fewer wrong
            links and more missed ones; for the retail-0287 model same-person pairs average about 0.56 and
            different-person pairs about 0.36.
        motion_only: Link unambiguous pairs on motion alone when no appearance is available. Off, a tracker
            without ReID (or a call without the image) never re-links.
        verify_refound_after_s: With an appearance model, a lost track that the tracker matches again by IoU
            after being lost longer than this (seconds) must also pass ``minimum_similarity``, so that someone
            stepping into the spot a hidden shopper left does not take their id. Lower checks more re-finds
            (a ReID run each); higher trusts motion for longer gaps.
        edge_margin_px: A track last seen with its box this close to the left, right or bottom edge of the frame
            while moving out through that edge (faster than ``EDGE_SPEED_HEIGHTS_PER_S``) has left the view and
            is not linked (someone else entering there later must not take its id), nor is a newcomer whose first
            box touched an edge while moving in. Someone standing at the edge, half out of the picture, is
            neither. Higher treats more edge tracks so; 0 switches the rule off.
        exit_lookahead_s: Seconds of look-ahead added to that margin: a box its own speed towards the edge would
            carry through it within this time counts as at the edge (for a lost track: walked out, e.g. behind
            an occluder at the side of the picture; for a newcomer's first box: walked in). Higher refuses more
            links of shoppers hidden near an edge (a split visit); 0 keeps the plain margin.
        max_pool: Most lost tracks remembered at once; the oldest is forgotten first.
    """

    relink_window_s: float = 6.0
    max_speed_heights_per_s: float = 0.3
    gate_margin_heights: float = 0.5
    max_height_ratio: float = 1.6
    minimum_similarity: float = 0.5
    motion_only: bool = True
    verify_refound_after_s: float = 0.5
    edge_margin_px: float = 8.0
    exit_lookahead_s: float = 0.5
    max_pool: int = 64

    def __post_init__(self) -> None:
        checks = {
            "relink_window_s": self.relink_window_s >= 0,
            "max_speed_heights_per_s": self.max_speed_heights_per_s >= 0,
            "gate_margin_heights": self.gate_margin_heights >= 0,
            "max_height_ratio": self.max_height_ratio >= 1,
            "minimum_similarity": -1 <= self.minimum_similarity <= 1,
            "verify_refound_after_s": self.verify_refound_after_s >= 0,
            "edge_margin_px": self.edge_margin_px >= 0,
            "exit_lookahead_s": self.exit_lookahead_s >= 0,
            "max_pool": self.max_pool >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"RelinkSettings.{name} is out of range, got {getattr(self, name)}")


@dataclass(frozen=True)
class Newcomers:
    """Tracks being confirmed in this frame, asking whether they continue a lost track.

    Attributes:
        xyxy: (k, 4) float32 their boxes in the current frame.
        first_xyxy: (k, 4) float32 their first boxes (a newcomer whose first box touched the frame edge while
            moving inwards walked in from outside and is not a hidden shopper re-emerging).
        velocity: (k, 2) their foot-point velocity, pixels per second.
        first_seen_s: (k,) float64 when each was first detected, seconds.
        now_s: The current frame's ``captured_at``.
        signature: (k, colour.SIZE) clothing colour signatures, taken while each stood clear of others (rows of
            zeros where none was); None when the tracker had no frames.
    """

    xyxy: npt.NDArray[np.float32]
    first_xyxy: npt.NDArray[np.float32]
    first_seen_s: npt.NDArray[np.float64]
    now_s: float
    velocity: npt.NDArray[np.float64] | None = None
    signature: npt.NDArray[np.float32] | None = None


class FragmentRelinker:
    """The pool of lost tracks and the re-linking decision; one per tracker (per camera).

    The pool is held column-wise (ids, last boxes, last-seen times), so adding a whole frame's lost tracks or
    expiring old ones is a few array operations; crops and embeddings sit in dicts keyed by id, dropped with
    their pool row.

    Args:
        settings: Gates and thresholds.
        appearance: Optional appearance model (e.g. ``OnnxReid``); without it only motion is used.
    """

    def __init__(self, settings: RelinkSettings | None = None, appearance: AppearanceModel | None = None) -> None:
        self.settings = settings or RelinkSettings()
        self.appearance = appearance
        self._ids = np.zeros((0,), np.int64)
        self._xyxy = np.zeros((0, 4), np.float32)
        self._velocity = np.zeros((0, 2), np.float32)
        self._left_view = np.zeros((0,), bool)  # walked out through a frame edge (matters without appearance)
        self._last_seen = np.zeros((0,), np.float64)
        self._signature = np.zeros((0, colour.SIZE), np.float32)  # zeros: none taken
        self._crops: dict[int, npt.NDArray[np.uint8]] = {}
        self._embeddings: dict[int, npt.NDArray[np.float32]] = {}
        self.merged = 0
        self.embeddings_computed = 0

    @property
    def wants_image(self) -> bool:
        """True when crops are useful, i.e. an appearance model is present."""
        return self.appearance is not None

    def __len__(self) -> int:
        return len(self._ids)

    def tracks_lost(
        self,
        tracker_ids: npt.NDArray[np.int64],
        xyxy: npt.NDArray[np.float32],
        velocity: npt.NDArray[np.floating],
        last_seen_s: npt.NDArray[np.float64],
        image: npt.NDArray[np.uint8] | None,
        frame_hw: tuple[int, int] = (0, 0),
        signature: npt.NDArray[np.float32] | None = None,
    ) -> None:
        """Remember tracks that just went unmatched, noting those that walked out through a frame edge.

        Args:
            tracker_ids: (k,) their ids.
            xyxy: (k, 4) their last matched boxes.
            velocity: (k, 2) their foot-point velocity, pixels per second.
            last_seen_s: (k,) when each was last matched.
            image: The frame they were last seen in (the previous frame), or None.
            frame_hw: (height, width) of the frame, to recognise tracks that left it; (0, 0) if unknown.
            signature: (k, colour.SIZE) their clothing colour signatures (zeros where none), if any.
        """
        if len(tracker_ids) == 0:
            return
        leaving = self._crossing_edge(xyxy, velocity, frame_hw, outwards=True)
        self._keep(~np.isin(self._ids, tracker_ids))
        self._ids = np.concatenate([self._ids, tracker_ids.astype(np.int64)])
        self._xyxy = np.concatenate([self._xyxy, xyxy.astype(np.float32)])
        self._velocity = np.concatenate([self._velocity, velocity.astype(np.float32)])
        self._left_view = np.concatenate([self._left_view, leaving])
        self._last_seen = np.concatenate([self._last_seen, last_seen_s.astype(np.float64)])
        if signature is None:
            signature = np.zeros((len(tracker_ids), colour.SIZE), np.float32)
        self._signature = np.concatenate([self._signature, signature.astype(np.float32)])
        if image is not None and self.appearance is not None:
            crops = cut_crops(image, xyxy, self.appearance.input_hw)
            self._crops.update(zip(tracker_ids.tolist(), crops, strict=True))
        excess = len(self._ids) - self.settings.max_pool
        if excess > 0:
            keep = np.ones(len(self._ids), bool)
            keep[np.argsort(self._last_seen, kind="stable")[:excess]] = False
            self._keep(keep)

    def _crossing_edge(
        self,
        xyxy: npt.NDArray[np.floating],
        velocity: npt.NDArray[np.floating] | None,
        frame_hw: tuple[int, int],
        *,
        outwards: bool,
    ) -> npt.NDArray[np.bool_]:
        """True for boxes at the left, right or bottom frame edge moving out through it (``outwards``) or in.

        Without a velocity, any box at an edge counts; with an unknown frame size, none does.
        """
        height, width = frame_hw
        n = len(xyxy)
        if width <= 0 or height <= 0:
            return np.zeros((n,), bool)
        margin = self.settings.edge_margin_px
        box = np.asarray(xyxy, np.float64)
        reach = np.full((n, 3), margin)
        if velocity is None:
            sign = np.ones((n, 3))
        else:
            limit = EDGE_SPEED_HEIGHTS_PER_S * np.maximum(box[:, 3] - box[:, 1], 1.0)
            v = np.asarray(velocity, np.float64) * (1.0 if outwards else -1.0)
            towards = np.stack([-v[:, 0], v[:, 0], v[:, 1]], axis=1)  # speed towards the left, right, bottom edge
            sign = (towards > limit[:, None]).astype(np.float64)
            # A box that its speed would carry through the edge within the look-ahead is leaving too (an
            # occluder at the frame's side, e.g. a shelf end, hides shoppers before they reach the edge).
            reach += self.settings.exit_lookahead_s * np.maximum(towards, 0.0)
        at_edge = np.stack(
            [box[:, 0] <= reach[:, 0], box[:, 2] >= width - reach[:, 1], box[:, 3] >= height - reach[:, 2]], axis=1
        )
        crossing: npt.NDArray[np.bool_] = np.asarray((at_edge & (sign > 0)).any(axis=1), bool)
        return crossing

    def track_found(self, tracker_ids: npt.NDArray[np.int64]) -> None:
        """Forget lost tracks that the tracker matched again by itself."""
        if len(tracker_ids) and len(self._ids):
            self._keep(~np.isin(self._ids, tracker_ids))

    def expire(self, now_s: float) -> None:
        """Drop entries last seen more than ``relink_window_s`` before ``now_s``."""
        if len(self._ids):
            stale = now_s - self._last_seen > self.settings.relink_window_s
            if stale.any():
                self._keep(~stale)

    def clear(self) -> None:
        """Forget every lost track."""
        self._keep(np.zeros(len(self._ids), bool))

    def _keep(self, mask: npt.NDArray[np.bool_]) -> None:
        if mask.all():
            return
        for tracker_id in self._ids[~mask].tolist():
            self._crops.pop(tracker_id, None)
            self._embeddings.pop(tracker_id, None)
        self._ids, self._xyxy, self._last_seen = self._ids[mask], self._xyxy[mask], self._last_seen[mask]
        self._velocity, self._left_view = self._velocity[mask], self._left_view[mask]
        self._signature = self._signature[mask]

    def verify(
        self, tracker_ids: npt.NDArray[np.int64], xyxy: npt.NDArray[np.float32], image: npt.NDArray[np.uint8] | None
    ) -> npt.NDArray[np.bool_]:
        """(k,) True where re-finding lost track ``tracker_ids[i]`` at box ``xyxy[i]`` passes the appearance check.

        True (trust motion) wherever it cannot be checked: no appearance model, no image, or no crop of the
        track. Crops and embeddings are computed only for the tracks asked about.
        """
        ok = np.ones((len(tracker_ids),), bool)
        if self.appearance is None or image is None or len(tracker_ids) == 0:
            return ok
        checkable = np.array([tracker_id in self._crops for tracker_id in tracker_ids.tolist()], bool)
        if not checkable.any():
            return ok
        ids = tracker_ids[checkable].tolist()
        old_vectors = self._embeddings_of(ids)
        new_vectors = self.appearance.embed(cut_crops(image, xyxy[checkable], self.appearance.input_hw))
        self.embeddings_computed += len(ids)
        similarity = np.sum(old_vectors * new_vectors, axis=1)
        ok[checkable] = similarity >= self.settings.minimum_similarity
        return ok

    def _embeddings_of(self, tracker_ids: list[int]) -> npt.NDArray[np.float32]:
        """(k, D) embeddings of pooled tracks (each must have a crop), computed once and cached."""
        assert self.appearance is not None
        missing = [tracker_id for tracker_id in tracker_ids if tracker_id not in self._embeddings]
        if missing:
            vectors = self.appearance.embed(np.stack([self._crops[tracker_id] for tracker_id in missing]))
            self._embeddings.update(zip(missing, vectors, strict=True))
            self.embeddings_computed += len(missing)
        return np.stack([self._embeddings[tracker_id] for tracker_id in tracker_ids])

    def link(
        self, newcomers: Newcomers, image: npt.NDArray[np.uint8] | None, frame_hw: tuple[int, int] = (0, 0)
    ) -> npt.NDArray[np.int64]:
        """(k,) int64: for each newcomer the id of the lost track it continues, or ``NO_ID``.

        Newcomers that walked in through a frame edge, and lost tracks that walked out through one, are not
        linked (``frame_hw`` = (height, width); (0, 0) if unknown).

        Linked entries leave the pool and count in ``merged``.
        """
        k = len(newcomers.xyxy)
        result = np.full((k,), NO_ID, np.int64)
        if k == 0 or len(self._ids) == 0:
            return result
        cost = self._motion_cost(newcomers)
        # Someone walking in at an edge after someone else walked out there would be taken for them (and drawn
        # figures or similar clothes can fool the appearance model too): edge crossings are never linked.
        entering = self._crossing_edge(newcomers.first_xyxy, newcomers.velocity, frame_hw, outwards=False)
        gate = (cost <= 1.0) & ~self._left_view[:, None] & ~entering[None, :]
        if not gate.any():
            return result
        known = self._colour_known(newcomers)
        distance = self._colour_distance(newcomers, known)
        if self.appearance is not None and image is not None:
            has_crop = np.array([tracker_id in self._crops for tracker_id in self._ids.tolist()], bool)
            gate &= has_crop[:, None]  # a track lost while no image was given cannot be compared by appearance
            if not gate.any():
                return result
            rows, cols = self._match_by_appearance(newcomers, gate, image, distance)
        elif known.any():
            rows, cols = self._match_by_colour(distance, gate, cost)
        elif self.settings.motion_only:
            rows, cols = self._match_by_motion(np.where(gate, cost, np.inf))
        else:
            return result
        result[cols] = self._ids[rows]
        keep = np.ones(len(self._ids), bool)
        keep[rows] = False
        self._keep(keep)
        self.merged += len(rows)
        return result

    def _motion_cost(self, newcomers: Newcomers) -> npt.NDArray[np.float64]:
        """(n_pool, k) distance from the expected path over the allowed reach: <= 1 inside the gate, inf where
        the newcomer cannot be the lost track (seen at the same time, or a different size)."""
        s = self.settings
        old = self._xyxy.astype(np.float64)
        new = newcomers.xyxy.astype(np.float64)
        old_h = np.maximum(old[:, 3] - old[:, 1], 1.0)
        new_h = np.maximum(new[:, 3] - new[:, 1], 1.0)
        gap = np.maximum(newcomers.now_s - self._last_seen, 0.0)
        old_foot = np.stack([(old[:, 0] + old[:, 2]) / 2, old[:, 3]], axis=1)
        new_foot = np.stack([(new[:, 0] + new[:, 2]) / 2, new[:, 3]], axis=1)
        path = self._velocity.astype(np.float64) * gap[:, None]  # (n, 2) where the last velocity leads
        offset = new_foot[None, :, :] - old_foot[:, None, :]  # (n, k, 2)
        length2 = np.maximum((path**2).sum(axis=1), 1e-9)
        along = np.clip((offset * path[:, None, :]).sum(axis=2) / length2[:, None], 0.0, 1.0)
        distance = np.linalg.norm(offset - along[:, :, None] * path[:, None, :], axis=2)  # to the path segment
        reach = old_h * (s.gate_margin_heights + s.max_speed_heights_per_s * gap)
        ratio = np.maximum(old_h[:, None] / new_h[None, :], new_h[None, :] / old_h[:, None])
        appeared_after = newcomers.first_seen_s[None, :] > self._last_seen[:, None]
        cost: npt.NDArray[np.float64] = np.where(
            (ratio <= s.max_height_ratio) & appeared_after, distance / reach[:, None], np.inf
        )
        return cost

    def _match_by_motion(self, cost: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Pairs by least path distance, kept only where clearly better than any rival for either side.

        A pair is kept when every other candidate of its row and of its column costs at least
        ``1 / MOTION_ONLY_MARGIN`` times more: without appearance, two similar candidates are a coin toss, and
        a wrong link (one shopper's visit continued by another) is worse than a split.
        """
        finite = np.where(np.isfinite(cost), cost, 10.0)
        matched = assign(finite, max_cost=1.0)
        rows, cols = matched.rows, matched.cols
        keep = np.ones(len(rows), bool)
        for i, (row, col) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
            rivals = np.concatenate([np.delete(finite[row], col), np.delete(finite[:, col], row)])
            keep[i] = rivals.size == 0 or finite[row, col] * MOTION_ONLY_MARGIN <= rivals.min()
        return rows[keep], cols[keep]

    def _match_by_appearance(
        self,
        newcomers: Newcomers,
        gate: npt.NDArray[np.bool_],
        image: npt.NDArray[np.uint8],
        colour_distance: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        assert self.appearance is not None
        gated_rows = np.flatnonzero(gate.any(axis=1))
        gated_cols = np.flatnonzero(gate.any(axis=0))
        old_vectors = self._embeddings_of(self._ids[gated_rows].tolist())
        new_vectors = self.appearance.embed(cut_crops(image, newcomers.xyxy[gated_cols], self.appearance.input_hw))
        self.embeddings_computed += len(gated_cols)
        similarity = cosine_similarity(old_vectors, new_vectors).astype(np.float64)
        allowed = gate[np.ix_(gated_rows, gated_cols)] & (similarity >= self.settings.minimum_similarity)
        gated = gate[np.ix_(gated_rows, gated_cols)]
        distance = colour_distance[np.ix_(gated_rows, gated_cols)]
        allowed = (allowed | (gated & (distance <= COLOUR_SAME))) & (distance < COLOUR_DIFFERENT)
        matched = assign(np.where(allowed, 1.0 - similarity + distance, 5.0), max_cost=4.0)
        return gated_rows[matched.rows], gated_cols[matched.cols]

    def _colour_known(self, newcomers: Newcomers) -> npt.NDArray[np.bool_]:
        """(n_pool, k) True where both sides have a colour signature."""
        old = np.asarray(self._signature.any(axis=1), bool)
        new = np.zeros((len(newcomers.xyxy),), bool)
        if newcomers.signature is not None:
            new = np.asarray(newcomers.signature.any(axis=1), bool)
        known: npt.NDArray[np.bool_] = old[:, None] & new[None, :]
        return known

    def _colour_distance(self, newcomers: Newcomers, known: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """(n_pool, k) colour signature distance, ``UNKNOWN_COLOUR`` where a side has none (``known`` False)."""
        if newcomers.signature is None:
            return np.full((len(self._ids), len(newcomers.xyxy)), UNKNOWN_COLOUR)
        distance = colour.signature_distance(self._signature, newcomers.signature)
        distance[~known] = UNKNOWN_COLOUR
        return distance

    @staticmethod
    def _match_by_colour(
        distance: npt.NDArray[np.float64], gate: npt.NDArray[np.bool_], motion: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Without a ReID model: gated pairs whose clothes match (``COLOUR_SAME``; never where a side has no
        signature), by colour and path distance."""
        allowed = gate & (distance <= COLOUR_SAME)
        matched = assign(np.where(allowed, distance + motion, 5.0), max_cost=4.0)
        return matched.rows, matched.cols
