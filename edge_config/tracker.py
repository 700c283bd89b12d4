"""Tracker settings: when a box starts, continues or confirms a track, how long a lost one is kept, and when a
returning shopper gets their old id back.

Set store-wide under ``tracker:`` and override any subset per camera under the camera's ``tracker:`` (cameras
differ in angle, resolution, frame rate and detector model, which is what these thresholds depend on); the
effective settings of a camera come from `shelfsight.edge_config.base.merge_overrides` (via `EdgeConfig.tracker_for`),
keys merged one by one, ``relink:`` included. `shelfsight.pipeline.assembly.build_tracker` turns them into
``shelfsight.vision.tracking.bytetrack.TrackerSettings`` and ``shelfsight.vision.tracking.relink.RelinkSettings``; the
defaults here are theirs, except where a field says otherwise.

Two settings of those classes are left out on purpose: ``report_lost`` (whether lost tracks are output at their
predicted box) changes what the event logic is fed, not how tracking works, and the Kalman ``noise`` levels are
model constants matched to ByteTrack's, not thresholds to tune per store.
"""

from __future__ import annotations

import logging
from typing import Final

from pydantic import Field

from shelfsight.edge_config.base import Count, Fraction, Number, ShelfsightModel, StrictBool

logger = logging.getLogger(__name__)

REID_MODEL: Final = "reid_retail_0287"
"""The manifest model that ``relink.reid`` compares crops with (needed on the box whenever that is on)."""

DEFAULT_ACTIVATION: Final = 0.5
"""The detector score a box needs to start or confirm a track (see `TrackerConfig.track_activation_threshold`)."""


class RelinkConfig(ShelfsightModel):
    """When a new track takes over the id of a track lost a few seconds before (a shopper hidden behind a shelf
    end or another shopper), so that one visit keeps one shopper id."""

    reid: StrictBool = Field(
        default=True,
        title="Appearance model",
        description=(
            "Compare the two tracks' whole-body crops with the ReID model (reid_retail_0287; crops and vectors "
            "never leave the tracker's memory). Off, links are decided by motion and clothing colour only: "
            "fewer links, and more wrong ones where shoppers dress alike. `--no-reid` on the command line also "
            "switches it off."
        ),
    )
    relink_window_s: Number = Field(
        default=6.0,
        ge=0.0,
        le=300.0,
        title="Re-link window",
        description=(
            "How long after a track was last seen (seconds) it can still be re-linked. Higher bridges longer "
            "occlusions and raises the chance of handing the id to someone else who appears in the same place; "
            "lower splits long occlusions into two visits; 0 switches re-linking off."
        ),
    )
    max_speed_heights_per_s: Number = Field(
        default=0.3,
        ge=0.0,
        le=10.0,
        title="Hidden drift",
        description=(
            "How far a hidden shopper may stray from the straight path of their last velocity, in box heights "
            "per second of the gap. Higher admits more candidates (more wrong links without appearance); lower "
            "refuses shoppers who turned while hidden."
        ),
    )
    gate_margin_heights: Number = Field(
        default=0.5,
        ge=0.0,
        le=10.0,
        title="Gate margin",
        description=(
            "Distance from the expected path allowed whatever the gap, in box heights (detector jitter, "
            "posture). Higher tolerates more jitter and admits more candidates; lower refuses re-appearances a "
            "little off the path."
        ),
    )
    max_height_ratio: Number = Field(
        default=1.6,
        ge=1.0,
        le=10.0,
        title="Height ratio",
        description=(
            "Largest ratio between the lost and the new box heights. Higher tolerates boxes cut by an occluder; "
            "lower refuses a shopper whose new box is partial."
        ),
    )
    minimum_similarity: Number = Field(
        default=0.5,
        ge=-1.0,
        le=1.0,
        title="Appearance similarity",
        description=(
            "Cosine similarity (-1..1) the two ReID embeddings must reach (same person about 0.56-0.9, "
            "different people about 0.36-0.4 with reid_retail_0287). Higher gives fewer wrong links and more "
            "split visits; lower the reverse."
        ),
    )
    motion_only: StrictBool = Field(
        default=True,
        title="Motion-only links",
        description=(
            "Without an appearance model, link a pair that is clearly the best candidate on motion alone. Off, "
            "a tracker without ReID never re-links (more split visits, no wrong links by motion)."
        ),
    )
    verify_refound_after_s: Number = Field(
        default=0.5,
        ge=0.0,
        le=60.0,
        title="Verify re-found after",
        description=(
            "With ReID, a lost track matched again by overlap after being lost longer than this (seconds) must "
            "also pass the appearance check, so someone stepping into a hidden shopper's spot does not take "
            "their id. Lower checks more re-finds (one ReID run each); higher trusts motion for longer gaps."
        ),
    )
    edge_margin_px: Number = Field(
        default=8.0,
        ge=0.0,
        le=1000.0,
        title="Frame edge margin",
        description=(
            "A track last seen within this many pixels of the left, right or bottom frame edge while moving out "
            "has left the view and is never re-linked (nor is a newcomer who walked in there). Higher treats "
            "more edge tracks so (split visits at the edge); 0 switches the rule off (someone entering where "
            "another shopper left may take their id)."
        ),
    )
    exit_lookahead_s: Number = Field(
        default=0.5,
        ge=0.0,
        le=10.0,
        title="Exit look-ahead",
        description=(
            "Seconds of walking added to the edge margin: a box its own speed would carry through the edge "
            "within this time counts as leaving (a shelf end at the side of the picture hides shoppers before "
            "they reach the edge). Higher refuses more links of shoppers hidden near an edge; 0 keeps the plain "
            "margin."
        ),
    )
    max_pool: Count = Field(
        default=64,
        ge=1,
        le=10_000,
        title="Lost-track pool",
        description=(
            "Most lost tracks remembered at once for re-linking; the oldest is forgotten first. Higher costs a "
            "little memory per camera; lower forgets hidden shoppers in a crowd."
        ),
    )


class TrackerConfig(ShelfsightModel):
    """Thresholds and times of one camera's ByteTrack-class tracker (see docs/tracking.md).

    Scores are the detector's (0..1), overlaps are IoU (0..1), times are seconds of capture time.
    """

    high_confidence_threshold: Fraction | None = Field(
        default=None,
        title="High-confidence threshold",
        description=(
            "Detections scoring at least this are matched to tracks first; weaker ones only keep alive a track "
            "seen in the previous frame. Unset: the camera's detector.conf_threshold (never below "
            "low_confidence_threshold). Higher keeps false boxes from taking over tracks and leaves half-hidden "
            "shoppers to the weak stage; lower lets weak false boxes take over tracks."
        ),
    )
    low_confidence_threshold: Fraction = Field(
        default=0.1,
        title="Low-confidence threshold",
        description=(
            "Detections below this are ignored (the detector is run down to this score). Lower keeps more "
            "half-hidden shoppers tracked and lets clutter keep the tracks of people who left alive; higher "
            "loses shoppers behind others sooner."
        ),
    )
    track_activation_threshold: Fraction = Field(
        default=DEFAULT_ACTIVATION,
        title="Activation (confirmation) score",
        description=(
            "Score a box needs to start a track and to count towards confirming it: a track is never confirmed "
            "from boxes below it (a value below the high-confidence threshold acts as that). Higher gives fewer "
            "tracks from false boxes (a shelf upright or drapery scored 0.3-0.5 now and then) and later or no "
            "tracks for shoppers the detector is unsure of; lower the reverse."
        ),
    )
    minimum_matching_threshold: Fraction = Field(
        default=0.2,
        title="Matching overlap",
        description=(
            "Least IoU between a track's predicted box and a confident detection. Higher loses fast walkers at "
            "low fps (their boxes overlap less frame to frame); lower swaps ids between shoppers passing close."
        ),
    )
    low_score_matching_threshold: Fraction = Field(
        default=0.5,
        title="Weak-box matching overlap",
        description=(
            "Least IoU for a weak detection to keep a track. Higher keeps fewer half-hidden shoppers; lower lets "
            "a weak box of the shopper in front keep the hidden one's track alive."
        ),
    )
    tentative_matching_threshold: Fraction = Field(
        default=0.3,
        title="Tentative matching overlap",
        description=(
            "Least IoU for a box to continue a track not yet confirmed. Higher confirms fewer fast walkers at "
            "low fps; lower lets two boxes of different things confirm one track."
        ),
    )
    minimum_consecutive_frames: Count = Field(
        default=2,
        ge=1,
        le=100,
        title="Frames to confirm",
        description=(
            "Consecutive frames with a box at the activation score before a track is confirmed and gets an id. "
            "Higher suppresses ids for flickering false boxes and drops more of the start of real tracks; 1 "
            "confirms at once."
        ),
    )
    minimum_confirmation_s: Number = Field(
        default=0.0,
        ge=0.0,
        le=10.0,
        title="Time to confirm",
        description=(
            "Least time (seconds) from a track's first box to the one that confirms it, every frame in between "
            "with a box at the activation score; on top of minimum_consecutive_frames, and the same at any fps. "
            "Higher keeps ids from false boxes that score high for a moment and drops that much of the start "
            "of every real track (0.3 s cost 0.01-0.04 HOTA on the synthetic store); 0 leaves the frame count "
            "alone."
        ),
    )
    lost_track_buffer_s: Number = Field(
        default=1.5,
        ge=0.0,
        le=60.0,
        title="Lost-track buffer",
        description=(
            "How long (seconds) a lost track is predicted forward and can be matched again by overlap. Higher "
            "bridges longer detector misses, and the drifting prediction may be matched to someone else; lower "
            "splits tracks at short misses (re-linking may still join them)."
        ),
    )
    colour_weight: Number = Field(
        default=2.0,
        ge=0.0,
        le=10.0,
        title="Colour weight",
        description=(
            "Weight of the clothing colour distance against overlap when two tracks contest one box (a "
            "crossing). Higher trusts colour more (wrong where shoppers dress alike); 0 switches colour off "
            "(ids swap more at crossings)."
        ),
    )
    contest_iou_margin: Fraction = Field(
        default=0.5,
        title="Contest margin",
        description=(
            "A second track whose overlap with a box is within this IoU of the winner's contests it (as does a "
            "second box whose overlap with a track is within this IoU of its own), and colour decides. Higher "
            "settles more matches by colour; lower leaves more to overlap alone."
        ),
    )
    signature_refresh_s: Number = Field(
        default=0.5,
        ge=0.0,
        le=60.0,
        title="Colour refresh",
        description=(
            "How often (seconds) a track standing clear of others refreshes its clothing colour signature. "
            "Lower follows lighting changes faster and costs more CPU; higher keeps an older signature."
        ),
    )
    relink: RelinkConfig = Field(
        default_factory=RelinkConfig,
        title="Re-linking",
        description="When a new track takes over the id of a shopper lost a few seconds before.",
    )

    def high_threshold_for(self, conf_threshold: float) -> float:
        """The effective high-confidence threshold for a camera whose detector keeps boxes from ``conf_threshold``.

        Unset, it is the detector's threshold (what the config has always meant by a confident box), raised to
        ``low_confidence_threshold`` where that is higher.
        """
        if self.high_confidence_threshold is not None:
            return self.high_confidence_threshold
        return max(conf_threshold, self.low_confidence_threshold)
