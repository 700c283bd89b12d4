"""How a synthetic shopper looks: body height and build, skin, hair, clothes and shoes, drawn from a seed.

Colours are BGR tuples (OpenCV order). Skin tones span light to dark; clothes are any hue, but never so close
to the floor and wall greys that the figure melts into the background, because a real store camera sees
people in all clothes yet a drawn figure has no texture to fall back on.
"""

from __future__ import annotations

import colorsys
import logging
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

logger = logging.getLogger(__name__)

BGR = tuple[int, int, int]

SKIN_TONES: Final[tuple[BGR, ...]] = (
    (189, 215, 247),
    (160, 196, 236),
    (129, 170, 219),
    (100, 139, 196),
    (78, 113, 166),
    (58, 84, 130),
    (42, 60, 94),
)
"""Light to dark, BGR."""

HAIR_COLOURS: Final[tuple[BGR, ...]] = (
    (20, 22, 28),
    (25, 35, 52),
    (30, 50, 85),
    (60, 100, 150),
    (110, 170, 210),
    (160, 160, 165),
    (35, 45, 110),
)
"""Black, dark brown, brown, light brown, blonde, grey, auburn; BGR."""

HAIR_SHARES: Final = (0.36, 0.26, 0.14, 0.07, 0.07, 0.06, 0.04)
"""How common each hair colour is; the light ones are rarer (and closer to skin, so harder to see)."""

HairStyle = Literal["short", "long", "bun"]
TopStyle = Literal["long_sleeve", "short_sleeve"]
BottomStyle = Literal["trousers", "skirt"]

BACKGROUND_GREYS: Final = (115.0, 175.0)
"""Lightness band of the floor and wall; low-saturation clothes inside it are pushed out of it."""


@dataclass(frozen=True)
class Look:
    """One shopper's appearance.

    Attributes:
        height_m: Standing height.
        shoulders: Shoulder width relative to the average (0.9-1.12).
        skin: Skin colour.
        hair: Hair colour.
        hair_style: short, long (to the shoulders) or bun.
        top: Colour of the top (shirt, jumper, jacket).
        top_style: long or short sleeves (forearms in skin colour).
        bottom: Colour of trousers or skirt.
        bottom_style: trousers, or a knee-length skirt over legs in ``legwear``.
        legwear: Colour of legs below a skirt (skin or tights).
        shoes: Shoe colour.
    """

    height_m: float
    shoulders: float
    skin: BGR
    hair: BGR
    hair_style: HairStyle
    top: BGR
    top_style: TopStyle
    bottom: BGR
    bottom_style: BottomStyle
    legwear: BGR
    shoes: BGR


def _bgr_from_hsv(hue: float, sat: float, val: float) -> BGR:
    r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
    return round(b * 255), round(g * 255), round(r * 255)


def clothing_colour(rng: np.random.Generator, *, dark_bias: float = 0.0) -> BGR:
    """A clothing colour of any hue, kept apart from the background's greys."""
    hue = float(rng.random())
    sat = float(rng.uniform(0.15, 0.9))
    val = float(np.clip(rng.uniform(0.18, 0.95) - dark_bias, 0.12, 0.95))
    if sat < 0.45 and BACKGROUND_GREYS[0] <= val * 255 <= BACKGROUND_GREYS[1]:
        val = 0.2 if rng.random() < 0.5 else 0.88
    return _bgr_from_hsv(hue, sat, val)


def random_look(rng: np.random.Generator, height_m: float | None = None) -> Look:
    """Draw a look from ``rng`` (a seeded generator; the same state gives the same look)."""
    height = height_m if height_m is not None else float(np.clip(rng.normal(1.72, 0.09), 1.5, 1.98))
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    bottom_style: BottomStyle = "skirt" if rng.random() < 0.15 else "trousers"
    hair_style: HairStyle = ("short", "long", "bun")[int(rng.choice(3, p=[0.55, 0.3, 0.15]))]
    tights = rng.random() < 0.5
    return Look(
        height_m=height,
        shoulders=float(rng.uniform(0.92, 1.1)),
        skin=skin,
        hair=HAIR_COLOURS[int(rng.choice(len(HAIR_COLOURS), p=HAIR_SHARES))],
        hair_style=hair_style,
        top=clothing_colour(rng),
        top_style="short_sleeve" if rng.random() < 0.3 else "long_sleeve",
        bottom=clothing_colour(rng, dark_bias=0.25),
        bottom_style=bottom_style,
        legwear=(40, 40, 45) if tights else skin,
        shoes=_bgr_from_hsv(float(rng.random()), float(rng.uniform(0, 0.4)), float(rng.uniform(0.08, 0.5))),
    )
