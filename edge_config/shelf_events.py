"""Shelf event settings: when an arm is reaching, when a reach starts and ends, how a shelf's picture is kept and
compared, when a spot is judged, how the camera's shake is measured and when a shopper's feet are hidden.

Set store-wide under ``shelf_events:`` and override any subset per camera under the camera's ``shelf_events:``
(cameras differ in angle, resolution and lighting, which is what most of these depend on); the effective settings
of a camera come from `shelfsight.edge_config.base.merge_overrides` (via `EdgeConfig.shelf_events_for`), keys merged one
by one within each sub-section. `shelfsight.pipeline.assembly.engine_settings` turns them into the event engine's
dataclasses (``shelfsight.vision.events.engine.EngineSettings``), one sub-section each: ``reach``
(``shelfsight.vision.events.reach.ReachSettings``), ``hands`` (``shelfsight.vision.events.wrists.HandSettings``),
``shelf_state`` (``shelfsight.vision.events.shelf_state.ShelfStateSettings``), ``spots``
(``shelfsight.vision.events.shelf_events.ShelfEventSettings``), ``registration``
(``shelfsight.vision.events.registration.RegistrationSettings``) and ``feet``
(``shelfsight.vision.events.feet.FeetSettings``).

Every field has the name of the dataclass attribute it sets, and its default is read from the dataclass, so the
two cannot drift apart (a test also checks that every attribute is here). Durations are seconds of capture time;
``_px`` sizes are pixels of the camera's frames unless a field says working-resolution pixels (the shelf picture
is kept at ``shelf_state.scale`` of the frame).
"""

from __future__ import annotations

import logging
from typing import Annotated, Final

from pydantic import Field, Strict

from shelfsight.edge_config.base import Count, Fraction, Number, Seconds, ShelfsightModel
from shelfsight.vision.events.feet import FeetSettings
from shelfsight.vision.events.reach import ReachSettings
from shelfsight.vision.events.registration import RegistrationSettings
from shelfsight.vision.events.shelf_events import ShelfEventSettings
from shelfsight.vision.events.shelf_state import ShelfStateSettings
from shelfsight.vision.events.wrists import HandSettings

logger = logging.getLogger(__name__)

MAX_MARGIN_PX: Final = 1000.0
"""More than a quarter of a 4K frame's width: a larger margin or border is almost surely a typo."""

MAX_AREA_PX: Final = 1_000_000
"""More working-resolution pixels than a shelf has at any ``scale``."""

MAX_GREY: Final = 255.0
"""Grey levels are 0..255."""

Pixels = Annotated[float, Strict(), Field(ge=0.0, le=MAX_MARGIN_PX)]
"""A margin, border or step in pixels, 0 to `MAX_MARGIN_PX`."""

GreyLevels = Annotated[float, Strict(), Field(ge=0.0, le=MAX_GREY)]
"""A colour difference in grey levels, 0 to 255."""

Scale = Annotated[float, Strict(), Field(gt=0.0, le=1.0)]
"""A working resolution relative to the frame: above 0, at most 1 (the frame's own)."""

HandWidths = Annotated[float, Strict(), Field(ge=0.0, le=5.0)]
"""A distance in widths of a reach's hand region, 0 to 5."""

# The event engine's built-in settings: every default below is read from these, so the two cannot drift apart.
REACH: Final = ReachSettings()
HANDS: Final = HandSettings()
SHELF_STATE: Final = ShelfStateSettings()
SPOTS: Final = ShelfEventSettings()
REGISTRATION: Final = RegistrationSettings()
FEET: Final = FeetSettings()


class ReachConfig(ShelfsightModel):
    """When a shopper's hand in a shelf zone is a reach, and when the reach ends (``ReachSettings``)."""

    max_speed_hps: Number = Field(
        default=REACH.max_speed_hps,
        ge=0.0,
        le=10.0,
        title="Standing speed",
        description=(
            "Fastest a shopper may move while reaching, in box heights per second (the slower of the head and the "
            "feet: someone passing in front hides one of them). Shoppers stand still to reach. Higher lets the "
            "swinging arms of walkers count as reaches; lower misses the reaches of a shopper shifting their weight."
        ),
    )
    start_s: Seconds = Field(
        default=REACH.start_s,
        title="Start delay",
        description=(
            "How long (seconds) the reach signal must hold before a reach starts; the reach still starts at the "
            "first frame the signal was on. 0 starts on the first frame. Higher ignores a flicker of the signal and "
            "misses the quickest reaches."
        ),
    )
    min_reach_s: Seconds = Field(
        default=REACH.min_reach_s,
        title="Shortest reach",
        description=(
            "Reaches shorter than this (seconds, first to last frame with the signal on) are dropped as flickers. "
            "Higher drops quick grabs; lower lets a hand brushing the shelf's edge count."
        ),
    )
    end_grace_s: Seconds = Field(
        default=REACH.end_grace_s,
        title="End grace",
        description=(
            "A reach ends once its hand has been seen away from the shelf (back at the body) longer than this "
            "(seconds; 0.15 at 5 fps: two frames in a row). Higher merges a take and its return, a second apart, "
            "into one long touch; a hand misplaced for a single frame never ends a reach."
        ),
    )
    hidden_grace_s: Seconds = Field(
        default=REACH.hidden_grace_s,
        title="Hidden grace",
        description=(
            "How long (seconds) a reach survives while its hand or its shopper is not seen (low keypoint scores, "
            "motion blur, someone in front); it goes on if the hand is at the shelf when seen again. Losing sight "
            "of a hand is no sign that it left the shelf. Higher bridges longer occlusions and may join two "
            "reaches; lower splits reaches hidden for a moment."
        ),
    )
    spot_share: Fraction = Field(
        default=REACH.spot_share,
        title="Spot share",
        description=(
            "The reach's spot (the shelf area looked at afterwards) is where the hand was while the arm was out at "
            "least this share (0..1) of the furthest it got: the end of the reach, not the path to it. Higher "
            "keeps a smaller spot around the furthest point; lower adds more of the path (more shelf judged, more "
            "room for an unrelated change)."
        ),
    )
    shelf_margin_px: Pixels = Field(
        default=REACH.shelf_margin_px,
        title="Shelf margin",
        description=(
            "A hand stays in the reach it started while within this many pixels of that shelf's zone, so a hand "
            "on the line between two boards of one unit does not flip between them. Higher keeps a reach on its "
            "first shelf when the hand moves on to the next; lower lets the reach's shelf flip at the line."
        ),
    )
    front_cover: Fraction = Field(
        default=REACH.front_cover,
        title="Front cover",
        description=(
            "A hand is seen behind someone when another shopper's box, nearer the camera (its bottom lower), spans "
            "at least this share (0..1) of the reaching shopper's box width and rises above the hand: a pose fitted "
            "to that crop may put the arm of the one in front (a passer-by's swinging arm) on the one behind. "
            "Lower counts more hands as behind (fewer false touches from passers-by, and some real reaches made "
            "behind a neighbour become no touch); 0 never counts a hand as behind."
        ),
    )
    min_clear_share: Fraction = Field(
        default=REACH.min_clear_share,
        title="Least clear share",
        description=(
            "A reach needs more than this share (0..1) of its frames with its hand not behind anyone to be a touch "
            "by itself; one seen mostly behind a passer-by may still explain a pick-up or put-back its spot shows. "
            "Higher drops more touches made while someone walks past; 0 keeps every reach with one clear frame."
        ),
    )


class HandsConfig(ShelfsightModel):
    """When a pose (a pose model's or a pose detector's keypoints) says an arm is reaching (``HandSettings``).

    Lengths are in torso lengths or shopper box heights, so they hold for any shopper size and camera distance.
    """

    min_score: Fraction = Field(
        default=HANDS.min_score,
        title="Keypoint score",
        description=(
            "Score (0..1) a shoulder, elbow, wrist, hip or hand keypoint needs to count. Higher ignores uncertain "
            "keypoints (more hands unseen, reaches bridged by reach.hidden_grace_s); lower lets misplaced keypoints "
            "start or end reaches."
        ),
    )
    min_angle_deg: Number = Field(
        default=HANDS.min_angle_deg,
        ge=0.0,
        le=180.0,
        title="Arm angle",
        description=(
            "Angle (degrees) between shoulder -> wrist and shoulder -> hip above which an arm is out; a hanging arm "
            "is at 0-25 degrees. Higher counts only arms stretched well out (and misses reaches close to the body); "
            "lower counts arms swinging or held a little out."
        ),
    )
    min_raise: Number = Field(
        default=HANDS.min_raise,
        ge=0.0,
        le=5.0,
        title="Lift",
        description=(
            "How far above the hip a wrist must be, in torso lengths, to count as lifted (a reach up) whatever the "
            "arm's angle: a hand hanging at rest is at about the hip (0), a basket held in front about 0.2. Higher "
            "misses reaches to a board at chest height; lower counts a basket or a phone held up."
        ),
    )
    min_extension: Number = Field(
        default=HANDS.min_extension,
        ge=0.0,
        le=10.0,
        title="Extension",
        description=(
            "How far the hand's tip must be from where a hanging hand would be, in torso lengths, to count as out "
            "whatever the arm's angle and lift: a hand reaching down and out to a low board stays below the hip at "
            "a small angle, yet far from the thigh. A hanging hand is at about 0.15-0.3. Higher misses reaches "
            "to low boards; lower counts a hand held a little away from the body. Only pose layouts with hand "
            "points (BlazePose) use it: a COCO tip drawn along the forearm puts a hanging hand at 0.5 or more."
        ),
    )
    hand_radius: Number = Field(
        default=HANDS.hand_radius,
        gt=0.0,
        le=1.0,
        title="Hand size",
        description=(
            "Half the side of a hand's region, in shopper box heights: about a hand and what it holds; a reach's "
            "spot is made of these. Higher looks at a larger spot (more room for an unrelated change); lower may "
            "miss the item when the keypoint is a little off."
        ),
    )
    arm_thickness: Number = Field(
        default=HANDS.arm_thickness,
        ge=0.0,
        le=1.0,
        title="Arm thickness",
        description=(
            "Thickness of an arm, in shopper box heights, masked out of the shelf's picture along the arm's "
            "keypoints. Higher masks more shelf around arms (learned later); lower lets a sleeve's edge into the "
            "shelf's picture, where it may look like a change."
        ),
    )
    torso_margin: Number = Field(
        default=HANDS.torso_margin,
        ge=0.0,
        le=5.0,
        title="Torso margin",
        description=(
            "A hand within this many torso lengths of the shopper's torso (the box of shoulders and hips) is over "
            "the torso, not out at the shelf: an item held up to look at. Higher ignores reaches close to the body; "
            "lower counts hands held in front of the body as reaches."
        ),
    )
    finger_reach: Number = Field(
        default=HANDS.finger_reach,
        ge=0.0,
        le=5.0,
        title="Finger reach",
        description=(
            "Where a hand touches the shelf, beyond its knuckles, as a share of the wrist -> knuckles distance "
            "(pose models with hand points, BlazePose): the fingertips, not the middle of the hand. Higher places "
            "the touch further out along the hand; lower nearer the wrist."
        ),
    )
    forearm_reach: Number = Field(
        default=HANDS.forearm_reach,
        ge=0.0,
        le=5.0,
        title="Forearm reach",
        description=(
            "Where a hand touches the shelf, beyond the wrist, as a share of the forearm, for keypoints with no "
            "hand points (a COCO pose detector). Higher places the touch further out along the forearm; lower "
            "nearer the wrist."
        ),
    )


class ShelfStateConfig(ShelfsightModel):
    """How each shelf's clean picture is kept and when a pixel of it has changed (``ShelfStateSettings``).

    The picture is kept at ``scale`` of the frame: sizes named working pixels are at that resolution, ``_px``
    margins and borders are frame pixels; colour differences are grey levels (0..255).
    """

    scale: Scale = Field(
        default=SHELF_STATE.scale,
        title="Working resolution",
        description=(
            "Resolution of the shelf's picture relative to the frame (0.5 = half). Higher notices smaller items "
            "and costs more CPU (with its square); lower is cheaper and misses small items. The sizes in working "
            "pixels below are at this resolution."
        ),
    )
    settle_s: Seconds = Field(
        default=SHELF_STATE.settle_s,
        title="Settle time",
        description=(
            "How long (seconds) a shelf pixel must stay in view and still before it is learned or looked at. Lower "
            "reacts faster and takes a hand's shadow or motion blur for the shelf; higher judges spots later."
        ),
    )
    diff_threshold: GreyLevels = Field(
        default=SHELF_STATE.diff_threshold,
        title="Colour difference",
        description=(
            "Colour difference (grey levels 0..255, mean over the channels, at the best shift within "
            "jitter_radius, after correcting the exposure) that, with a structure difference, makes a pixel "
            "different. Higher misses items that look like what was there; lower counts noise and lighting as "
            "changes."
        ),
    )
    structure_threshold: Number = Field(
        default=SHELF_STATE.structure_threshold,
        ge=0.0,
        le=2.0,
        title="Structure difference",
        description=(
            "1 - SSIM's contrast-structure term (0..2) over structure_window that must come with the colour "
            "difference (and with movement between frames). Lower counts compression noise and residual jitter on "
            "fine print; higher misses an item replaced by one of similar texture."
        ),
    )
    structure_window: Count = Field(
        default=SHELF_STATE.structure_window,
        ge=1,
        le=63,
        title="Structure window",
        description=(
            "Side of the window the structure is compared over, working pixels. Larger is steadier on fine print "
            "and blurs small items away; smaller follows fine texture, and its noise."
        ),
    )
    strong_diff_threshold: GreyLevels = Field(
        default=SHELF_STATE.strong_diff_threshold,
        title="Strong colour difference",
        description=(
            "A colour difference this large (grey levels) makes a pixel different whatever its structure: a plain "
            "facing taken from plain backing changes colour, not texture. Lower lets lighting changes through as "
            "changes; higher misses plain items on plain backing."
        ),
    )
    blur_sigma: Number = Field(
        default=SHELF_STATE.blur_sigma,
        ge=0.0,
        le=20.0,
        title="Structure blur",
        description=(
            "Gaussian blur (working pixels) of the grey pictures whose structure is compared; 0 for none. Fine print "
            "a pixel apart decorrelates under sub-pixel jitter, a facing's edges and label do not. Higher ignores "
            "more fine detail (small items too); lower lets jitter on fine print through as changes."
        ),
    )
    jitter_radius: Count = Field(
        default=SHELF_STATE.jitter_radius,
        ge=0,
        le=10,
        title="Jitter radius",
        description=(
            "Working pixels of misregistration left after registration that a colour difference must exceed: the "
            "best of the shifts up to this many pixels is taken (it costs (2r+1)^2 comparisons). Higher tolerates "
            "more residual shake and misses thin items; 0 compares pixel for pixel."
        ),
    )
    min_change_px: Count = Field(
        default=SHELF_STATE.min_change_px,
        ge=1,
        le=MAX_AREA_PX,
        title="Smallest change",
        description=(
            "Smallest changed region reported, as a count of working pixels (an area, at scale). Lower reports "
            "noise and reflections; higher misses small items."
        ),
    )
    faint_diff_threshold: GreyLevels = Field(
        default=SHELF_STATE.faint_diff_threshold,
        title="Faint colour difference",
        description=(
            "At a spot a hand has just left, a region where the colour differs by this much (grey levels) and the "
            "structure by faint_structure_threshold is a change as well, if it has faint_min_px pixels: a pale item "
            "taken from pale backing changes both, faintly, over the facing. Only spots where a reach ended are "
            "asked. Lower finds fainter items and lets compression through; 0 turns the faint test off."
        ),
    )
    faint_structure_threshold: Number = Field(
        default=SHELF_STATE.faint_structure_threshold,
        ge=0.0,
        le=2.0,
        title="Faint structure difference",
        description=(
            "The structure difference (1 - SSIM contrast-structure, 0..2) that must come with "
            "faint_diff_threshold. Lower lets residual jitter on fine print through; higher misses pale items."
        ),
    )
    faint_min_px: Count = Field(
        default=SHELF_STATE.faint_min_px,
        ge=1,
        le=MAX_AREA_PX,
        title="Smallest faint change",
        description=(
            "Smallest region of the faint test, as a count of working pixels (an area, at scale). Lower reports "
            "noise at a reach's spot as a pick-up or put-back; higher misses faint small items."
        ),
    )
    occluder_margin_px: Pixels = Field(
        default=SHELF_STATE.occluder_margin_px,
        title="Occluder margin",
        description=(
            "Person boxes are grown by this many frame pixels (arms, shadows) before they mask the shelf. Higher "
            "masks more shelf around shoppers; lower lets a shopper's edge into the shelf's picture."
        ),
    )
    head_room: Number = Field(
        default=SHELF_STATE.head_room,
        ge=0.0,
        le=1.0,
        title="Head room",
        description=(
            "Person boxes' tops are raised by this share of their height before masking: detectors often cut off "
            "the top of the head. Higher masks more shelf above shoppers; lower lets heads into the shelf's picture."
        ),
    )
    border_px: Pixels = Field(
        default=SHELF_STATE.border_px,
        title="Border",
        description=(
            "Frame pixels around a person box (after occluder_margin_px) where nothing is learned either: a shopper "
            "right beside a spot is about to reach into it, and a box misses a sleeve or a bag. Higher leaves more "
            "shelf unlearned near shoppers (spots in a crowd stay unknown longer); lower learns a sleeve or a bag "
            "into the shelf's picture."
        ),
    )
    border_share: Number = Field(
        default=SHELF_STATE.border_share,
        ge=0.0,
        le=1.0,
        title="Border share",
        description=(
            "The same border as a share of the box's height, where that is wider than border_px (near the camera). "
            "Higher and lower as for border_px."
        ),
    )
    drift_blend: Fraction = Field(
        default=SHELF_STATE.drift_blend,
        title="Drift blend",
        description=(
            "Share (0..1) of each frame blended into the shelf's picture where nothing changed and the pixel has "
            "settled, to follow slow lighting drift. Higher follows lighting faster and may blend a slow change "
            "into the picture; lower lets drift build up into false changes."
        ),
    )
    relearn_s: Seconds = Field(
        default=SHELF_STATE.relearn_s,
        title="Relearn after",
        description=(
            "A lasting difference that no reach or spot check holds is learned into the shelf's picture after this "
            "long in view (seconds): an item moved with no reach seen, or a shopper who stood there when the stream "
            "started. Higher leaves such a difference longer, where a later reach nearby may be blamed for it; "
            "lower learns it sooner."
        ),
    )
    motion_threshold: GreyLevels = Field(
        default=SHELF_STATE.motion_threshold,
        title="Motion threshold",
        description=(
            "Frame-to-frame colour difference (grey levels) that is movement where the structure changed too, or "
            "where it is 2.5 times as large. Moving pixels do not settle and, without a pose model, make arms. "
            "Lower takes noise for movement (pixels settle late); higher misses slow arms."
        ),
    )
    arm_reach: Number = Field(
        default=SHELF_STATE.arm_reach,
        ge=0.0,
        le=10.0,
        title="Arm strip width",
        description=(
            "Without keypoints (the arm found in pixels): width of the strip beside a shopper's box searched for an "
            "arm, in box widths. Higher finds arms at full stretch and takes a neighbour's movement for an arm; "
            "lower misses long reaches."
        ),
    )
    arm_rise: Number = Field(
        default=SHELF_STATE.arm_rise,
        ge=0.0,
        le=5.0,
        title="Arm strip rise",
        description=(
            "Without keypoints: how far above a box's top the arm strips reach, in box heights. Higher finds "
            "reaches to a top shelf and more movement that is not an arm; lower misses reaches up."
        ),
    )
    arm_max_s: Seconds = Field(
        default=SHELF_STATE.arm_max_s,
        title="Longest arm",
        description=(
            "Without keypoints: longest an arm stays out (seconds); a difference beside a shopper lasting longer is "
            "not an arm. Higher takes lasting clutter beside a shopper for an arm; lower cuts long reaches short."
        ),
    )
    arm_still_s: Seconds = Field(
        default=SHELF_STATE.arm_still_s,
        title="Still arm",
        description=(
            "Without keypoints: a difference that has not moved for this long (seconds) is no longer an arm. Higher "
            "keeps a still difference as an arm; lower ends an arm whose hand holds still for a moment."
        ),
    )
    min_arm_px: Count = Field(
        default=SHELF_STATE.min_arm_px,
        ge=1,
        le=MAX_AREA_PX,
        title="Smallest arm",
        description=(
            "Without keypoints: fewest moving, different working pixels beside a box that make an arm. Lower takes "
            "noise for arms; higher misses thin or distant arms."
        ),
    )
    max_change_height: Number = Field(
        default=SHELF_STATE.max_change_height,
        gt=0.0,
        le=10.0,
        title="Tallest change",
        description=(
            "Tallest change reported, as a share of the height of the shoppers' boxes at this shelf (a running "
            "mean): a taller difference is a shopper the detector missed. Higher takes missed shoppers for "
            "changes; lower drops tall items."
        ),
    )
    first_look_s: Seconds = Field(
        default=SHELF_STATE.first_look_s,
        title="First look",
        description=(
            "Seconds after the stream starts during which every pixel a person box covers is taken out of the "
            "first frame's picture (the tracker confirms a shopper a few frames late, so the first frame has no "
            "boxes); the others are known from the first frame. Higher drops more of the first frame wherever "
            "shoppers walk early (learned again once they settle); lower bakes late-confirmed shoppers into the "
            "picture, where they show as changes when they leave."
        ),
    )


class SpotsConfig(ShelfsightModel):
    """When a reach's spot is judged, and how touches, pick-ups and put-backs are linked
    (``ShelfEventSettings``)."""

    same_spot_window_s: Seconds = Field(
        default=SPOTS.same_spot_window_s,
        title="Same-spot window",
        description=(
            "A put-back at the spot of a pick-up this recent (seconds) reverses it, and two reaches of one shopper "
            "to one spot this close may be an unseen take-and-return. Quividi uses 10 s. Higher links put-backs to "
            "older pick-ups at the spot; lower leaves them to the shopper's own latest pick-up (as misplaced) or "
            "unlinked."
        ),
    )
    return_window_s: Seconds = Field(
        default=SPOTS.return_window_s,
        title="Return window",
        description=(
            "How long after a pick-up (seconds) a put-back by the same shopper elsewhere may still be linked to it "
            "(as misplaced). Higher links returns after a long walk; lower leaves late put-backs unlinked."
        ),
    )
    touch_timeout_s: Seconds = Field(
        default=SPOTS.touch_timeout_s,
        title="Touch timeout",
        description=(
            "A reach whose spot stays out of view this long after it ended (seconds) is a touch with "
            "unseen_confidence. Higher waits longer for the shopper to step away (events come later); lower gives "
            "up on spots that would have come into view."
        ),
    )
    look_s: Seconds = Field(
        default=SPOTS.look_s,
        title="Look time",
        description=(
            "How long (seconds) a spot is looked at, once in view and settled, before it is judged; a change must "
            "be there in most of those looks. Higher is surer and later; lower lets a passing shadow through."
        ),
    )
    min_known: Fraction = Field(
        default=SPOTS.min_known,
        title="Known share",
        description=(
            "Share (0..1) of a spot's shelf pixels whose earlier look must be known to judge it. Higher judges "
            "fewer spots (more low-confidence touches where someone stood since the stream started); lower judges "
            "spots from too little of the shelf."
        ),
    )
    spot_margin_px: Pixels = Field(
        default=SPOTS.spot_margin_px,
        title="Spot margin",
        description=(
            "The hand's region is grown by this many pixels before it is looked at. Higher finds an item a little "
            "beside the hand and more unrelated changes; lower may miss the item."
        ),
    )
    standing_margin_px: Pixels = Field(
        default=SPOTS.standing_margin_px,
        title="Standing margin",
        description=(
            "How far (pixels) outside the standing zone in front of a shelf a shopper's feet may be and still "
            "reach the shelf. Higher lets shoppers passing in the aisle reach; lower ignores reaches of shoppers "
            "at the zone's edge."
        ),
    )
    unseen_confidence: Fraction = Field(
        default=SPOTS.unseen_confidence,
        title="Unseen-touch confidence",
        description=(
            "Confidence (0..1) of a touch whose spot could not be judged (it stayed out of view, or its earlier "
            "look is unknown); a judged touch has 0.8. Higher weighs these guesses more where dashboards filter or "
            "weigh by confidence; lower less."
        ),
    )
    pair_margin: HandWidths = Field(
        default=SPOTS.pair_margin,
        title="Take-and-return spot margin",
        description=(
            "Two reaches of one shopper whose hand regions are this far apart (in widths of the first hand region) "
            "may still be one spot, for an unseen take-and-return (a pick-up and put-back whose spot was hidden "
            "in between). A reach this near a pick-up of the same shopper (within same_spot_window_s) also looks at "
            "the pick-up's spot, where the item goes back. Higher pairs reaches to neighbouring facings; lower misses "
            "pairs whose hand was furthest out at slightly different places."
        ),
    )
    max_look_s: Seconds = Field(
        default=SPOTS.max_look_s,
        title="Longest look",
        description=(
            "A spot whose looks disagree (a change in some, not in most) is looked at for up to this long (seconds) "
            "after it came into view, judged on its looks of the last look_s; then on the looks it has. Higher "
            "waits longer for a settling facing or a noisy frame to pass; lower (at most look_s) judges the first "
            "looks as they are."
        ),
    )
    pair_unseen: Annotated[bool, Strict()] = Field(
        default=SPOTS.pair_unseen,
        title="Pair unseen reaches",
        description=(
            "Two reaches of one shopper to one spot whose spots could not be judged at all (a shopper who stood "
            "there since the stream started) are an unseen take-and-return (a pick-up and put-back, confidence "
            "0.5) rather than two low-confidence touches. Off: two touches."
        ),
    )
    min_seen: Fraction = Field(
        default=SPOTS.min_seen,
        title="Share in view to look",
        description=(
            "Share (0..1) of a spot's shelf pixels that must be in view and settled to look for a change on that "
            "part: a shopper holding what they took often stands beside the gap, hiding its edge, until it is back. "
            "No change is only concluded from the whole spot. Higher waits for more of the spot (a take-and-return "
            "seen as two touches); lower looks beside a shopper's box, where a sleeve or a bag may show. 1: whole "
            "spots only."
        ),
    )
    pair_min_gap_s: Seconds = Field(
        default=SPOTS.pair_min_gap_s,
        title="Shortest take-and-return gap",
        description=(
            "Two reaches of one shopper to one spot that showed no change, less than this far apart (seconds, the "
            "first's end to the second's start), are one reach the pose lost the hand of for a moment: one touch, "
            "never an unseen take-and-return (taking an item and putting it back takes longer: the item is looked "
            "at in between). Higher merges real quick returns into one touch; lower turns one reach seen in two "
            "parts into a pick-up and a put-back. 0: never merged."
        ),
    )
    lead_max_s: Seconds = Field(
        default=SPOTS.lead_max_s,
        title="Longest lead-in reach",
        description=(
            "A reach whose spot showed no change, this short or shorter (seconds), followed within lead_window_s by "
            "another reach of the same shopper into the same shelf, is the arm on its way to that reach: no event of "
            "its own; so is one starting within lead_window_s after a longer reach of theirs there ended (the arm on "
            "its way down). Higher drops real quick touches beside a second one; 0: never dropped."
        ),
    )
    lead_window_s: Seconds = Field(
        default=SPOTS.lead_window_s,
        title="Lead-in window",
        description=(
            "How soon (seconds, the short reach's end to the next one's start) the next reach must follow for a "
            "short reach to be its lead-in. A short reach waits this long for it while the shopper is in view."
        ),
    )
    around_margin: HandWidths = Field(
        default=SPOTS.around_margin,
        title="Look-around margin",
        description=(
            "A reach's spot seen unchanged is looked around, this many widths of its hand region on every side, for "
            "a facing gone that no other shopper's open spot check covers: it is the reach's pick-up (the pose often "
            "puts the hand a facing away from the one taken). Higher gives a shopper a gap further away (another "
            "shopper's pick-up that no reach was seen for); 0 (the default): only the spot itself. At 1.5 it found 3 "
            "pick-ups on the dev scenarios and made 4 false ones on a held-out draw."
        ),
    )
    unclaimed_margin: HandWidths = Field(
        default=SPOTS.unclaimed_margin,
        title="Unclaimed change margin",
        description=(
            "A lasting shelf change that no reach's spot check claimed (a reach low beside the hip the pose did not "
            "see as one, or a hand put a facing off by a passer-by in front) is given, when it is about to be learned "
            "into the picture, to the standing shopper whose hand came nearest to it within this many hand widths in "
            "the last unclaimed_window_s: a pick-up or put-back with confidence 0.6. Higher gives a change to a hand "
            "further away (another shopper's); 0: such changes are learned in silence. Needs a pose model."
        ),
    )
    unclaimed_window_s: Seconds = Field(
        default=SPOTS.unclaimed_window_s,
        title="Unclaimed change window",
        description=(
            "How far back (seconds) the hands of standing shoppers are kept to give an unclaimed change to: it is "
            "found relearn_s after the spot is free, so at least the time a shopper stands beside the gap. Longer "
            "reaches back to shoppers long gone."
        ),
    )


class RegistrationConfig(ShelfsightModel):
    """How each frame's shift against the first one is measured, so camera shake is not a shelf change
    (``RegistrationSettings``)."""

    scale: Scale = Field(
        default=REGISTRATION.scale,
        title="Working resolution",
        description=(
            "Resolution the shift is measured at, relative to the frame; phase correlation is sub-pixel there "
            "(0.5 measures a 640-pixel-wide frame to about a quarter of a pixel). Higher is finer and costs more "
            "CPU; lower is cheaper and coarser."
        ),
    )
    pad_px: Pixels = Field(
        default=REGISTRATION.pad_px,
        title="Padding",
        description=(
            "Frame pixels added around the shelves' area that is registered (the shelves carry the texture a shift "
            "shows on; floor and walls are plain). Higher takes in more of the scene around the shelves at more "
            "CPU; lower may cut off the shelves' edges."
        ),
    )
    min_response: Fraction = Field(
        default=REGISTRATION.min_response,
        title="Least response",
        description=(
            "Phase-correlation peak (0..1) below which a measurement is not trusted and the last shift is kept: "
            "most of the area hidden by shoppers, or a frame unlike the first (lights off). Higher keeps the last "
            "shift more often (follows drift less); lower trusts poorer measurements (a wrong shift shows as "
            "changes)."
        ),
    )
    max_step_px: Pixels = Field(
        default=REGISTRATION.max_step_px,
        title="Largest step",
        description=(
            "Largest change of shift between two frames that is believed, frame pixels; a bigger jump is a bad "
            "measurement (a camera knocked to a new view is not followed). Higher follows harder shakes and "
            "believes more bad measurements; lower refuses real jumps of a shaky mount."
        ),
    )


class FeetConfig(ShelfsightModel):
    """When a shopper's box is cut short from below by someone in front, so it says nothing of where they stand
    (``FeetSettings``)."""

    rise_share: Number = Field(
        default=FEET.rise_share,
        ge=0.0,
        le=1.0,
        title="Rise share",
        description=(
            "A box whose bottom rose at least this share of the shopper's height above where it was when the feet "
            "were last seen, while a box nearer the camera covers the part that went missing, has its feet hidden: "
            "its shopper stands where they stood. Higher takes fewer cut boxes as such (visits and reaches end when "
            "someone walks in front); lower takes box jitter under a neighbour's box as hidden feet."
        ),
    )
    cover_share: Fraction = Field(
        default=FEET.cover_share,
        title="Cover share",
        description=(
            "Share (0..1) of the box's width the box in front must overlap to be hiding its feet. Higher needs a "
            "fuller cover (a shopper hidden at one side is missed); lower lets a neighbour overlapping at the side "
            "count."
        ),
    )
    memory_s: Seconds = Field(
        default=FEET.memory_s,
        title="Feet memory",
        description=(
            "How far back (seconds) the feet's lowest position is remembered: the shopper in front may get a box "
            "only after it has begun to hide them. Higher catches covers the detector boxes late, and may take a "
            "shopper who walked away behind someone as still standing; lower misses late covers."
        ),
    )
    edge_px: Pixels = Field(
        default=FEET.edge_px,
        title="Bottom edge",
        description=(
            "A box ending this close (frame pixels) to the bottom edge of the frame is cut by it: its feet are not "
            "in the picture. Higher treats more boxes near the bottom as cut; 0 only those at the very edge."
        ),
    )
    forget_s: Seconds = Field(
        default=FEET.forget_s,
        title="Forget after",
        description=(
            "A track unseen this long (seconds) is forgotten. Higher remembers where long-hidden shoppers stood, "
            "at a little memory; lower forgets a shopper hidden longer than this."
        ),
    )


class ShelfEventsConfig(ShelfsightModel):
    """Every threshold of the shelf event logic of one camera: reaches, hands, the shelf's picture, spot checks,
    registration and hidden feet. The defaults are the event engine's own (docs/shelf-events.md)."""

    reach: ReachConfig = Field(
        default_factory=ReachConfig,
        title="Reaches",
        description="When a hand in a shelf zone is a reach, and when the reach ends.",
    )
    hands: HandsConfig = Field(
        default_factory=HandsConfig,
        title="Hands",
        description="When a pose's keypoints say an arm is reaching, and where its hand touches.",
    )
    shelf_state: ShelfStateConfig = Field(
        default_factory=ShelfStateConfig,
        title="Shelf picture",
        description="How each shelf's clean picture is kept and when a pixel of it has changed.",
    )
    spots: SpotsConfig = Field(
        default_factory=SpotsConfig,
        title="Spot checks",
        description="When a reach's spot is judged, and how pick-ups and put-backs are linked.",
    )
    registration: RegistrationConfig = Field(
        default_factory=RegistrationConfig,
        title="Registration",
        description="How each frame's shift against the first is measured, so camera shake is not a change.",
    )
    feet: FeetConfig = Field(
        default_factory=FeetConfig,
        title="Hidden feet",
        description="When a box cut short from below by someone in front says nothing of where its shopper stands.",
    )
