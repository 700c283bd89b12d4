"""Scenarios as data: the store layout, the camera, and every shopper's script.

A `Scenario` is plain frozen dataclasses, loaded from YAML by `shelfsight.vision.synthetic.scenario_io` and checked by
`shelfsight.vision.synthetic.checks.check_scenario`, which lists every problem at once with the path of the offending
field, e.g. ``shoppers[1].script[2].reach.spot: no spot 'r9c1' on shelf 'shelf-a' (rows r1..r5, columns c1..c8)``.

Units are in field names: ``_m`` metres on the floor plane, ``_s`` seconds of scene time, ``_mps`` metres per
second. Positions on the floor are ``x_m`` (metres right of the image's centre line) and ``depth_m`` (metres in
front of the shelf fronts, towards the camera), so a scenario reads the same under every camera preset.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Final, Literal

logger = logging.getLogger(__name__)

ViewKind = Literal["eye_level", "high_oblique", "overhead_fisheye"]
"""Camera presets: a camera just above head height looking across the aisle, a high one looking down, or a
ceiling camera pitched steeply down through a fisheye lens."""

ReachAction = Literal["touch", "take", "return"]
"""What a reach does: nothing lasting, remove the facing into the hand, or put the held item on the spot."""

Side = Literal["left", "right"]

ArmStyle = Literal["simple", "jointed"]
"""How shoppers' arms are drawn: the original simple arms, or jointed ones a pose model localises."""

DEFAULT_START_EPOCH_S: Final = 1_767_603_600.0
"""2026-01-05T09:00:00Z: scene time 0 of every scenario unless it says otherwise (events need real dates)."""

ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""Shelf, camera and store ids follow the edge config's id rule, since they become zone and camera ids."""

NAME_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
"""Scenario names follow the ``synthetic:<scenario>`` source rule of the edge config."""

SPOT_RE: Final = re.compile(r"^r(\d+)c(\d+)$")
"""Spot ids: ``r{row}c{column}``, both 1-based, row 1 at the top of the shelf."""


class ScenarioError(ValueError):
    """A scenario that cannot be rendered; ``problems`` lists each as ``path: what is wrong``."""

    def __init__(self, problems: list[str], source: str = "scenario") -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class EffectsSpec:
    """Camera imperfections, all off by default (a random scenario draws realistic ones from its seed).

    Every effect is a seeded function of the frame index, so frames render the same in any order.

    Attributes:
        noise_sigma: Standard deviation of additive sensor noise, grey levels (0-255 scale).
        blur_sigma_px: Gaussian blur (focus / motion softness), pixels.
        lighting_drift: Relative amplitude of a slow brightness swing (0.1 = +-10 %).
        lighting_period_s: Period of that swing, seconds.
        jpeg_quality: Re-encode every frame as JPEG at this quality (compression artefacts); None = off.
        lens_k1: Radial distortion coefficient; > 0 bends straight lines outwards (barrel, as wide CCTV
            lenses do), 0 = a perfect pinhole.
        jitter_px: Camera shake: the whole image moves by up to this many pixels per axis, a smooth wobble
            plus a per-frame tremble (a pole-mounted camera in moving air; 0.3-2 px in real stores).
        drift_px: Slow drift of the view (a sagging mount, a dome turning), pixels at its farthest; it starts at
            0 on the first frame, where the zones were drawn.
        drift_period_s: Seconds of one drift cycle out to ``drift_px`` and back.
        h264_kbps: Encode and decode every frame with H.264 (x264) at this bitrate, kbit/s (CCTV: 500-2000 at
            640x480); None = off. The written video is then that H.264 stream.
        gop_s: Seconds between H.264 keyframes (a group of pictures, encoded on its own).
        exposure_steps_per_min: Auto-exposure steps a minute: the gain jumps when the scene's brightness
            changes (a shopper in dark or bright clothes comes close), then settles.
        exposure_step: Size of the largest step, relative gain (0.15 = +-15 %); each step is 60-100 % of it.
        exposure_settle_s: Time constant with which the gain moves to a new level, seconds.
        motion_blur: Exposure time as a share of the frame interval (0.5 = 1/20 s at 10 fps): moving arms and
            walking shoppers are smeared along their motion over it; 0 = a frozen instant.
    """

    noise_sigma: float = 0.0
    blur_sigma_px: float = 0.0
    lighting_drift: float = 0.0
    lighting_period_s: float = 20.0
    jpeg_quality: int | None = None
    lens_k1: float = 0.0
    jitter_px: float = 0.0
    drift_px: float = 0.0
    drift_period_s: float = 60.0
    h264_kbps: float | None = None
    gop_s: float = 1.0
    exposure_steps_per_min: float = 0.0
    exposure_step: float = 0.15
    exposure_settle_s: float = 0.3
    motion_blur: float = 0.0


@dataclass(frozen=True)
class CameraSpec:
    """The camera: where it looks from, its image size, frame rate and imperfections."""

    camera_id: str = "synth1"
    view: ViewKind = "eye_level"
    width: int = 640
    height: int = 480
    fps: float = 10.0
    effects: EffectsSpec = field(default_factory=EffectsSpec)


@dataclass(frozen=True)
class ShelfSpec:
    """One shelf unit against the back wall; units stand side by side in list order, centred in view.

    Attributes:
        id: Shelf id; becomes the shelf zone id, and ``{id}-front`` the standing zone in front of it.
        rows: Shelf boards with products, counted from the top.
        columns: Facings per row.
        width_m: Unit width.
        height_m: Unit height from the floor.
        empty: Spots without a product at the start (``r2c3`` = row 2, column 3).
        empty_share: Share of the other spots left empty at random (seeded).
    """

    id: str
    rows: int = 5
    columns: int = 8
    width_m: float = 2.0
    height_m: float = 1.9
    empty: tuple[str, ...] = ()
    empty_share: float = 0.0


@dataclass(frozen=True)
class FixtureSpec:
    """A free-standing object on the floor that hides shoppers behind it (a promotion bin, a pillar)."""

    kind: Literal["bin", "pillar"]
    x_m: float
    depth_m: float
    width_m: float = 0.9
    height_m: float = 0.9


@dataclass(frozen=True)
class LayoutSpec:
    """Shelf units along the back wall, and fixtures on the floor.

    Attributes:
        shelves: The units, left to right.
        fixtures: Bins and pillars on the floor.
        gap_m: Gap between neighbouring units.
        packaging_detail: How busy the product faces are, 0-1: 0 plain blocks with a label band, 1 fine text
            lines, stripes, barcodes and small logos on every facing (real packaging, where a 1 px camera shake
            changes many pixels).
    """

    shelves: tuple[ShelfSpec, ...]
    fixtures: tuple[FixtureSpec, ...] = ()
    gap_m: float = 0.15
    packaging_detail: float = 0.0


@dataclass(frozen=True)
class Walk:
    """Walk to a point: beside a spot of a shelf, at a fraction of a shelf's width, or to ``(x_m, depth_m)``.

    At a shelf the shopper stands in its standing zone, half an arm's length from the shelf, facing it.
    Beside a spot means ``offset_m`` to its left or right (towards where the shopper comes from), so the
    reaching arm stays visible.
    """

    shelf: str | None = None
    spot: str | None = None
    at: float | None = None
    x_m: float | None = None
    depth_m: float | None = None
    offset_m: float = 0.35


@dataclass(frozen=True)
class Wait:
    """Stand still for ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Reach:
    """Reach into a spot of the shelf the shopper stands at (or ``shelf``) and do ``action`` there."""

    spot: str
    action: ReachAction = "touch"
    shelf: str | None = None
    seconds: float = 1.6


@dataclass(frozen=True)
class Leave:
    """Walk out of view on ``side`` (the side opposite the entry when not given)."""

    side: Side | None = None


Step = Walk | Wait | Reach | Leave
"""One step of a shopper's script."""


@dataclass(frozen=True)
class ShopperSpec:
    """One shopper: when and where they enter, how they look and move, and what they do.

    Attributes:
        id: Positive integer, unique in the scenario: the MOT track id, and ``gt-{id}`` the shopper id.
        enter_s: Scene time the shopper starts walking in from off-screen; negative when they came in before
            the video starts (at scene time 0 they are ``-enter_s`` seconds into their script).
        side: Side of the image they walk in from.
        lane_m: Distance from the shelves of the lane they enter and leave along; None = the middle lane.
        speed_mps: Walking speed.
        height_m: Body height; None = drawn from the seeded look.
        look_seed: Seed of clothes, skin, hair and build; None = the scenario seed and the id.
        script: The steps, in order; a final Leave is added when missing.
    """

    id: int
    enter_s: float = 0.0
    side: Side = "left"
    lane_m: float | None = None
    speed_mps: float = 1.2
    height_m: float | None = None
    look_seed: int | None = None
    script: tuple[Step, ...] = ()


@dataclass(frozen=True)
class CrowdSpec:
    """A random crowd drawn from a seed and a few rates (see `shelfsight.vision.synthetic.random_scenario`).

    Attributes:
        seed: Seed of the crowd; the same seed gives the same shoppers.
        arrivals_per_min: Shoppers entering per minute; ``round(rate * window)`` arrive, at seeded times.
        window_s: Span of scene time during which shoppers arrive.
        stop_share: Share of shoppers who stop at a shelf (the rest pass by).
        reach_share: Share of those who stop who reach into the shelf.
        take_share: Share of reaches that take an item (the rest only touch).
        return_share: Share of takes put back again (some in another spot).
        first_id: Id of the first crowd shopper (ids count up from it).
        standing_at_start: Shoppers already standing at a shelf when the video starts (mid-visit, maybe
            mid-reach), added after the arrivals.
    """

    seed: int = 0
    arrivals_per_min: float = 6.0
    window_s: float = 60.0
    stop_share: float = 0.6
    reach_share: float = 0.7
    take_share: float = 0.5
    return_share: float = 0.3
    first_id: int = 1
    standing_at_start: int = 0


@dataclass(frozen=True)
class DwellSpec:
    """Dwell rules written into the edge config and applied to the true visits (same meaning there)."""

    min_dwell_s: float = 5.0
    entry_debounce_s: float = 1.0
    exit_grace_s: float = 2.0


@dataclass(frozen=True)
class Scenario:
    """Everything needed to render a scene and its ground truth, deterministically.

    Attributes:
        name: Scenario name (``synthetic:<name>``): lowercase letters, digits, ``_`` and ``-``.
        layout: Shelves and fixtures.
        description: One line for ``shelfsight synth list``.
        seed: Seed of everything random in the scene (product looks, shopper looks, noise).
        store_id: Store id of the edge config and the events.
        start_epoch_s: Wall-clock time of scene time 0, UTC epoch seconds.
        duration_s: Length of the video; None = until the last shopper has left, plus one second.
        camera: The camera.
        shoppers: Scripted shoppers.
        crowd: A random crowd added to the scripted shoppers.
        dwell: Dwell rules of the standing zones.
        arms: ``simple``: the hand a small blob at the wrist, the elbow bent by a fixed offset (the original
            look, kept for the library); ``jointed``: anatomical arm bones with the elbow bent where they meet,
            a palm and thumb along the forearm and the hand (not the wrist) on the reached spot, so that a real
            pose model finds the wrists (docs/synthetic.md has its recall).
    """

    name: str
    layout: LayoutSpec
    description: str = ""
    seed: int = 0
    store_id: str = "synth-store"
    start_epoch_s: float = DEFAULT_START_EPOCH_S
    duration_s: float | None = None
    camera: CameraSpec = field(default_factory=CameraSpec)
    shoppers: tuple[ShopperSpec, ...] = ()
    crowd: CrowdSpec | None = None
    dwell: DwellSpec = field(default_factory=DwellSpec)
    arms: ArmStyle = "simple"


def spot_ids(shelf: ShelfSpec) -> list[str]:
    """Every spot id of a shelf, row by row from the top."""
    return [f"r{r}c{c}" for r in range(1, shelf.rows + 1) for c in range(1, shelf.columns + 1)]


def parse_spot(spot: str) -> tuple[int, int] | None:
    """(row, column) of a spot id, or None when it is not of the form ``r{row}c{column}``."""
    match = SPOT_RE.match(spot)
    return (int(match.group(1)), int(match.group(2))) if match else None
