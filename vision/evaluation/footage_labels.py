"""Hand labels of a real clip: person boxes on a few frames, reaches into shelf zones, visits to floor zones.

The real-footage regression set (``tests/data/footage/*.yaml``, docs/shelf-events.md) judges the pipeline on real
video, where no renderer knows the truth: a person looked at every frame and wrote down what happened. This
module is the schema of those files and their loader; `shelfsight.vision.evaluation.footage_scoring` scores events
against them. Everything here is frozen data that forbids unknown keys, so a typo in a label file fails loudly instead
of silently dropping a label.

Units: frames are decode-order indices from 0; seconds are the decoder's position of a frame (the clock
``shelfsight run-offline`` stamps frames with, minus its ``start_epoch``); boxes are pixels of the clip's frame.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

logger = logging.getLogger(__name__)

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
"""A person id or a zone id: lowercase letters, digits, '_', '.' or '-'."""
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class LabelModel(BaseModel):
    """Base of every label model: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameTime(LabelModel):
    """A moment of the clip: the frame and the decoder's position of it."""

    frame: int = Field(ge=0, title="Frame", description="Decode-order index from 0.")
    s: float = Field(ge=0.0, title="Seconds", description="The decoder's position of the frame, seconds.")


class Person(LabelModel):
    """Someone seen in the clip, under a stable label."""

    id: Name = Field(title="Person id", description="Stable label used by every box, reach and dwell.")
    role: Literal["shopper", "staff"] = Field(title="Role", description="Staff at work are usually not_labelled.")
    looks: Text = Field(title="Looks", description="How to recognise the person in the clip.")


class PersonBox(LabelModel):
    """One person's box on one frame: the visible extent, pixels."""

    person: Name
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 pixels.")
    hard: Text | None = Field(default=None, description="Why no detector is expected to find it; not required.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        x1, y1, x2, y2 = self.box
        if not (0 <= x1 < x2 and 0 <= y1 < y2):
            raise ValueError(f"box must be x1 < x2, y1 < y2, all >= 0, got {list(self.box)}")
        return self


class BoxFrame(LabelModel):
    """Every visible person's box on one frame."""

    at: FrameTime
    people: list[PersonBox] = Field(min_length=1)


class Outcome(LabelModel):
    """What a label is sure of: ``uncertain`` labels are neither required nor counted against a prediction."""

    uncertain: bool = False
    why: Text | None = Field(default=None, description="Required with uncertain or taken: unknown.")
    note: Text | None = None


class ReachLabel(Outcome):
    """One reach of one person into one shelf zone, first to last frame the hand is away from the body."""

    person: Name
    zone: Name
    hand: Literal["left", "right", "both", "unknown"]
    start: FrameTime
    end: FrameTime
    ongoing_at_start: bool = False
    ongoing_at_end: bool = False
    taken: Literal["none", "taken", "put", "unknown"] = Field(
        description="none: the shelf did not change; taken: an item left it; put: one was put on it; "
        "unknown: cannot be told (say why)."
    )

    @model_validator(mode="after")
    def _explained(self) -> Self:
        _check_span(self.start, self.end)
        if (self.uncertain or self.taken == "unknown") and self.why is None:
            raise ValueError("an uncertain reach or one with taken: unknown needs `why`")
        return self


class DwellLabel(Outcome):
    """One visit of a person's feet to one floor zone, first to last frame inside."""

    person: Name
    zone: Name
    entered: FrameTime
    left: FrameTime

    @model_validator(mode="after")
    def _explained(self) -> Self:
        _check_span(self.entered, self.left)
        if self.uncertain and self.why is None:
            raise ValueError("an uncertain dwell needs `why`")
        return self


class NotLabelled(LabelModel):
    """What the labels say nothing about: events of this person (in these zones) are ignored when scoring."""

    person: Name
    what: list[Literal["reaches", "dwells"]] = Field(min_length=1)
    zones: list[Name] | None = Field(default=None, description="Only these zones; all zones when absent.")
    why: Text

    def covers(self, kind: Literal["reaches", "dwells"], zone: str) -> bool:
        """True when this entry leaves ``kind`` events of its person in ``zone`` unlabelled."""
        return kind in self.what and (self.zones is None or zone in self.zones)


class FootageLabels(LabelModel):
    """All labels of one clip."""

    clip: Text = Field(description="File name in the footage folder (SHELFSIGHT_FOOTAGE_DIR).")
    config: Text = Field(description="The edge config whose zones the labels name, relative to the project root.")
    camera: Name = Field(description="The camera of that config the clip is.")
    size: tuple[int, int] = Field(description="Frame width and height, pixels.")
    frames: int = Field(gt=0, description="Frames in the clip.")
    persons: list[Person] = Field(min_length=1)
    boxes: list[BoxFrame] = Field(default_factory=list)
    reaches: list[ReachLabel] = Field(default_factory=list)
    dwells: list[DwellLabel] = Field(default_factory=list)
    not_labelled: list[NotLabelled] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        known = [person.id for person in self.persons]
        if len(set(known)) != len(known):
            raise ValueError(f"person ids must be unique, got {known}")
        for where, person in self._person_refs():
            if person not in known:
                raise ValueError(f"{where}: person {person!r} is not in persons ({', '.join(known)})")
        for where, at in self._frame_refs():
            if at.frame >= self.frames:
                raise ValueError(f"{where}: frame {at.frame} is past the clip's last frame {self.frames - 1}")
        width, height = self.size
        for frame in self.boxes:
            seen = [b.person for b in frame.people]
            if len(set(seen)) != len(seen):
                raise ValueError(f"boxes at frame {frame.at.frame}: a person has two boxes: {seen}")
            for b in frame.people:
                if b.box[2] > width or b.box[3] > height:
                    where = f"boxes at frame {frame.at.frame}"
                    raise ValueError(f"{where}: {b.person}'s box leaves the {width}x{height} frame, got {list(b.box)}")
        return self

    def _person_refs(self) -> Iterator[tuple[str, str]]:
        for frame in self.boxes:
            yield from ((f"boxes at frame {frame.at.frame}", b.person) for b in frame.people)
        yield from ((f"reaches[{i}]", r.person) for i, r in enumerate(self.reaches))
        yield from ((f"dwells[{i}]", d.person) for i, d in enumerate(self.dwells))
        yield from ((f"not_labelled[{i}]", n.person) for i, n in enumerate(self.not_labelled))

    def _frame_refs(self) -> Iterator[tuple[str, FrameTime]]:
        yield from ((f"boxes at frame {f.at.frame}", f.at) for f in self.boxes)
        for i, r in enumerate(self.reaches):
            yield from ((f"reaches[{i}]", r.start), (f"reaches[{i}]", r.end))
        for i, d in enumerate(self.dwells):
            yield from ((f"dwells[{i}]", d.entered), (f"dwells[{i}]", d.left))

    def frame_times(self) -> dict[int, float]:
        """{frame: seconds} of every frame the labels name."""
        return {at.frame: at.s for _, at in self._frame_refs()}

    def zones(self) -> set[str]:
        """Every zone id the labels name."""
        named = {r.zone for r in self.reaches} | {d.zone for d in self.dwells}
        return named | {z for n in self.not_labelled for z in n.zones or ()}

    def ignores(self, kind: Literal["reaches", "dwells"], person: str | None, zone: str) -> bool:
        """True when the labels say nothing about ``kind`` events of ``person`` in ``zone``."""
        return any(n.person == person and n.covers(kind, zone) for n in self.not_labelled)


def _check_span(start: FrameTime, end: FrameTime) -> None:
    if end.frame < start.frame or end.s < start.s:
        raise ValueError(f"ends (frame {end.frame}, {end.s} s) before it starts (frame {start.frame}, {start.s} s)")
