"""Products on the shelves: what each facing looks like, and drawing one into its spot.

A facing is drawn inside its spot's pixel quad (bilinear in the quad, which is exact enough for a 25 cm spot
seen by a pinhole camera), inset from the spot's edges so that restoring the spot's box to bare backing never
touches a neighbour. Shapes are boxes, bottles, cans, jars and bags in varied colours, sizes and label
patterns: small, square-ish and colourful, nothing a person detector mistakes for a person.

With ``detail`` > 0 (`LayoutSpec.packaging_detail`) each facing also gets what real packaging has: lines of
fine print, thin stripes, a barcode and a small logo, one pixel wide, so that a camera shaking by a pixel
changes many pixels (as it does on a real shelf). The extra pattern is seeded by the product's own look, so
a product looks the same in every spot and every frame.
"""

from __future__ import annotations

import colorsys
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.camera import Points
from shelfsight.vision.synthetic.look import BGR

logger = logging.getLogger(__name__)

ProductKind = Literal["box", "bottle", "can", "jar", "bag"]
KINDS: Final[tuple[ProductKind, ...]] = ("box", "bottle", "can", "jar", "bag")
KIND_SHARES: Final = (0.4, 0.15, 0.17, 0.13, 0.15)

SHIFT: Final = 4
SCALE: Final = 1 << SHIFT


@dataclass(frozen=True)
class ProductLook:
    """How one product looks.

    Attributes:
        kind: Packaging shape.
        colour: Main packaging colour.
        accent: Colour of the label band, cap or lid.
        label: Colour of the logo and the label's light parts.
        width: Share of the spot's width the facing fills (0-1).
        height: Share of the compartment's height it fills (0-1).
        stripes: Number of thin text-like lines on the label (texture).
    """

    kind: ProductKind
    colour: BGR
    accent: BGR
    label: BGR
    width: float
    height: float
    stripes: int


def _hsv(hue: float, sat: float, val: float) -> BGR:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, sat, val)
    return round(b * 255), round(g * 255), round(r * 255)


def random_product(rng: np.random.Generator) -> ProductLook:
    """A product look drawn from a seeded generator."""
    kind: ProductKind = KINDS[int(rng.choice(len(KINDS), p=KIND_SHARES))]
    hue = float(rng.random())
    narrow = kind in ("bottle", "can")
    return ProductLook(
        kind=kind,
        colour=_hsv(hue, float(rng.uniform(0.35, 0.95)), float(rng.uniform(0.35, 0.95))),
        accent=_hsv(hue + float(rng.uniform(0.25, 0.75)), float(rng.uniform(0.4, 1.0)), float(rng.uniform(0.3, 1.0))),
        label=_hsv(float(rng.random()), float(rng.uniform(0.0, 0.4)), float(rng.uniform(0.8, 1.0))),
        width=float(rng.uniform(0.5, 0.7) if narrow else rng.uniform(0.72, 0.9)),
        height=float(rng.uniform(0.62, 0.92)),
        stripes=int(rng.integers(0, 4)),
    )


def stock_shelf(rng: np.random.Generator, spot_ids: Sequence[str], columns: int) -> dict[str, ProductLook]:
    """A product for every spot: runs of 1-3 neighbouring facings of one product, as stores lay them out."""
    products: dict[str, ProductLook] = {}
    current, left = random_product(rng), 0
    for index, spot_id in enumerate(spot_ids):
        if left == 0 or index % columns == 0:
            current, left = random_product(rng), int(rng.integers(1, 4))
        products[spot_id] = current
        left -= 1
    return products


class _QuadMap:
    """Maps (s, t) in the unit square (s right, t down) bilinearly onto a pixel quad (TL, TR, BR, BL)."""

    def __init__(self, quad: Points) -> None:
        self.tl, self.tr, self.br, self.bl = (np.asarray(p, np.float64) for p in quad)

    def __call__(self, s: float, t: float) -> tuple[int, int]:
        top = self.tl + (self.tr - self.tl) * s
        bottom = self.bl + (self.br - self.bl) * s
        p = top + (bottom - top) * t
        return round(float(p[0]) * SCALE), round(float(p[1]) * SCALE)

    def rect(self, s0: float, t0: float, s1: float, t1: float) -> npt.NDArray[np.int32]:
        return np.array([self(s0, t0), self(s1, t0), self(s1, t1), self(s0, t1)], np.int32)


def _fill(image: npt.NDArray[np.uint8], pts: npt.NDArray[np.int32], colour: BGR) -> None:
    cv2.fillPoly(image, [pts], colour, cv2.LINE_AA, SHIFT)


def _shade(colour: BGR, factor: float) -> BGR:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def _label(
    image: npt.NDArray[np.uint8], m: _QuadMap, look: ProductLook, box: tuple[float, float, float, float]
) -> None:
    """Label band, logo and text-like lines within (s0, t0, s1, t1)."""
    s0, t0, s1, t1 = box
    _fill(image, m.rect(s0, t0, s1, t1), look.accent)
    cs, ct = (s0 + s1) / 2, (t0 + t1) / 2
    rw, rh = (s1 - s0) * 0.22, (t1 - t0) * 0.3
    _fill(image, m.rect(cs - rw, ct - rh, cs + rw, ct + rh), look.label)
    for k in range(look.stripes):
        tt = t1 + (k + 1) * 0.05
        if tt < 0.97:
            cv2.line(image, m(s0 + 0.1, tt), m(s1 - 0.1, tt), _shade(look.colour, 0.5), 1, cv2.LINE_AA, SHIFT)


def _fine_print(
    image: npt.NDArray[np.uint8],
    m: _QuadMap,
    box: tuple[float, float, float, float],
    ink: BGR,
    rng: np.random.Generator,
    rows: int,
) -> None:
    """Rows of short one-pixel strokes (words of small text) within (s0, t0, s1, t1)."""
    s0, t0, s1, t1 = box
    for r in range(rows):
        t = t0 + (t1 - t0) * (r + 0.5) / rows
        s = s0 + float(rng.uniform(0.0, 0.08))
        while s < s1 - 0.06:
            word = float(rng.uniform(0.06, 0.22))
            end = min(s + word, s1)
            cv2.line(image, m(s, t), m(end, t), ink, 1, cv2.LINE_AA, SHIFT)
            s = end + float(rng.uniform(0.04, 0.08))


def _barcode(
    image: npt.NDArray[np.uint8], m: _QuadMap, box: tuple[float, float, float, float], rng: np.random.Generator
) -> None:
    """A white patch with black bars of seeded widths."""
    s0, t0, s1, t1 = box
    _fill(image, m.rect(s0, t0, s1, t1), (238, 238, 238))
    s = s0 + 0.02
    while s < s1 - 0.03:
        width = float(rng.choice([0.012, 0.02, 0.035]))
        _fill(image, m.rect(s, t0 + 0.01, min(s + width, s1 - 0.02), t1 - 0.01), (25, 25, 25))
        s += width + float(rng.choice([0.015, 0.025]))


def _detail(
    image: npt.NDArray[np.uint8], m: _QuadMap, look: ProductLook, body: tuple[float, float, float, float], detail: float
) -> None:
    """Dense packaging on the facing's body (s0, t0, s1, t1): stripes, fine print, a logo and a barcode."""
    rng = np.random.default_rng(zlib.crc32(repr(look).encode("ascii")))
    s0, t0, s1, t1 = body
    dark, light = _shade(look.colour, 0.45), _shade(look.label, 1.0)
    if rng.random() < detail:  # thin stripes across the body
        step = float(rng.uniform(0.05, 0.09))
        stripe = _shade(look.accent, 1.15)
        for k in range(int((t1 - t0) / step)):
            t = t0 + (k + 0.5) * step
            cv2.line(image, m(s0, t), m(s1, t + float(rng.uniform(-0.03, 0.03))), stripe, 1, cv2.LINE_AA, SHIFT)
    rows = max(1, round(detail * float(rng.uniform(3, 7))))
    top = t0 + (t1 - t0) * float(rng.uniform(0.05, 0.2))
    _fine_print(image, m, (s0 + 0.04, top, s1 - 0.04, top + (t1 - t0) * 0.35), dark, rng, rows)
    _fine_print(image, m, (s0 + 0.06, t1 - (t1 - t0) * 0.3, s1 - 0.06, t1 - 0.04), light, rng, max(1, rows // 2))
    if rng.random() < 0.5 + 0.5 * detail:  # a small round or square logo
        cs, ct, r = s0 + (s1 - s0) * float(rng.uniform(0.25, 0.75)), t0 + (t1 - t0) * 0.55, (s1 - s0) * 0.12
        if rng.random() < 0.5:  # a disc (an octagon in the facing's coordinates)
            angles = np.linspace(0.0, 2.0 * np.pi, 8, endpoint=False)
            disc = [m(cs + r * float(np.cos(a)), ct + r * float(np.sin(a))) for a in angles]
            _fill(image, np.array(disc, np.int32), look.label)
        _fill(image, m.rect(cs - r / 2, ct - r / 2, cs + r / 2, ct + r / 2), look.accent)
    if rng.random() < detail:
        bw = (s1 - s0) * 0.42
        bs = s0 + 0.03 if rng.random() < 0.5 else s1 - 0.03 - bw
        _barcode(image, m, (bs, t1 - 0.16, bs + bw, t1 - 0.02), rng)


def draw_product(image: npt.NDArray[np.uint8], look: ProductLook, quad: Points, detail: float = 0.0) -> None:
    """Draw a facing into a spot whose compartment is the pixel quad ``quad`` (TL, TR, BR, BL), in place.

    Args:
        image: BGR image to draw on.
        look: The product.
        quad: The compartment's corners, pixels of ``image``.
        detail: Packaging detail, 0 (plain) to 1 (dense fine print, stripes, barcode, logo).
    """
    _draw_shape(image, look, quad)
    if detail > 0:
        s0, s1 = 0.5 - look.width / 2, 0.5 + look.width / 2
        _detail(image, _QuadMap(quad), look, (s0, 1.0 - look.height + 0.06, s1, 0.97), detail)


def _draw_shape(image: npt.NDArray[np.uint8], look: ProductLook, quad: Points) -> None:
    """The facing's shape, colours and label band (the plain look)."""
    m = _QuadMap(quad)
    s0, s1 = 0.5 - look.width / 2, 0.5 + look.width / 2
    top = 1.0 - look.height
    dark = _shade(look.colour, 0.7)
    if look.kind == "bottle":
        neck = (s1 - s0) * 0.18
        _fill(image, m.rect(0.5 - neck, top, 0.5 + neck, top + 0.2), look.colour)
        _fill(image, m.rect(0.5 - neck * 1.2, top, 0.5 + neck * 1.2, top + 0.06), look.accent)
        _fill(
            image,
            np.array(
                [m(0.5 - neck, top + 0.2), m(0.5 + neck, top + 0.2), m(s1, top + 0.36), m(s0, top + 0.36)], np.int32
            ),
            look.colour,
        )
        _fill(image, m.rect(s0, top + 0.36, s1, 0.985), look.colour)
        _fill(image, m.rect(s1 - (s1 - s0) * 0.2, top + 0.36, s1, 0.985), dark)
        _label(image, m, look, (s0, top + 0.5, s1, top + 0.5 + look.height * 0.3))
        return
    if look.kind == "bag":
        _fill(
            image, np.array([m(s0 + 0.05, top), m(s1 - 0.05, top), m(s1, 0.985), m(s0, 0.985)], np.int32), look.colour
        )
        _label(image, m, look, (s0 + 0.06, top + 0.3 * look.height, s1 - 0.06, top + 0.6 * look.height))
        _fill(image, m.rect(s0 + 0.05, top, s1 - 0.05, top + 0.05), dark)
        return
    _fill(image, m.rect(s0, top, s1, 0.985), look.colour)
    _fill(image, m.rect(s1 - (s1 - s0) * 0.18, top, s1, 0.985), dark)
    if look.kind == "box":
        _fill(image, m.rect(s0, top, s1, top + 0.04), _shade(look.colour, 1.25))
        _label(image, m, look, (s0, top + 0.25 * look.height, s1 - (s1 - s0) * 0.18, top + 0.55 * look.height))
    elif look.kind == "can":
        _fill(image, m.rect(s0, top, s1, top + 0.06), (190, 190, 195))
        _label(image, m, look, (s0, top + 0.3 * look.height, s1 - (s1 - s0) * 0.18, top + 0.65 * look.height))
    else:  # jar
        _fill(image, m.rect(s0 + 0.04, top - 0.02, s1 - 0.04, top + 0.12), look.accent)
        _label(image, m, look, (s0, top + 0.35 * look.height, s1 - (s1 - s0) * 0.18, top + 0.7 * look.height))
