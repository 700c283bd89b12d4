"""Rollup arithmetic: buckets, the dwell histogram and quantiles read back from it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfsight.dashboard.storage.rollup import (
    DWELL_EDGES_S,
    HIST_COLUMNS,
    ROLLUP_COLUMNS,
    RollupDeltas,
    bucket_start,
    dwell_bin,
    dwell_quantile,
)
from tests.dashboard import builders as b
from tests.dashboard.scenario import T0


@pytest.mark.parametrize(
    ("ts", "size", "expected"),
    [(T0, 3600, T0), (T0 + 3599.999, 3600, T0), (T0 + 3600, 3600, T0 + 3600), (T0 + 61, 60, T0 + 60)],
)
def test_bucket_start(ts: float, size: int, expected: float) -> None:
    assert bucket_start(ts, size) == expected


@pytest.mark.parametrize(
    ("dwell_s", "expected_bin"),
    [(0.0, 0), (0.99, 0), (1.0, 1), (10.0, 5), (30.0, 8), (60.0, 10), (599.0, 14), (1e5, 15)],
)
def test_dwell_bin(dwell_s: float, expected_bin: int) -> None:
    assert dwell_bin(dwell_s) == expected_bin


def _hist(*dwells: float) -> list[int]:
    hist = [0] * len(HIST_COLUMNS)
    for d in dwells:
        hist[dwell_bin(d)] += 1
    return hist


@pytest.mark.parametrize(
    ("dwells", "q", "expected"),
    [
        ((), 0.5, None),
        ((30.0, 10.0, 60.0), 0.5, 33.5),  # target 1.5: half-way into [27, 40)
        ((30.0, 10.0, 60.0), 0.9, 81.0),  # target 2.7: 70 % into [60, 90)
        ((700.0,), 0.5, 600.0),  # open last bucket: its lower edge
        ((0.5, 0.5), 1.0, 1.0),
    ],
)
def test_dwell_quantile_interpolates_within_its_bucket(
    dwells: tuple[float, ...], q: float, expected: float | None
) -> None:
    result = dwell_quantile(_hist(*dwells), q)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@given(st.lists(st.floats(min_value=0.0, max_value=599.0), min_size=1, max_size=50), st.floats(0.0, 1.0))
def test_a_quantile_from_the_sketch_lies_in_the_bucket_of_the_true_one(dwells: list[float], q: float) -> None:
    ordered = sorted(dwells)
    estimate = dwell_quantile(_hist(*dwells), q)
    assert estimate is not None
    rank = max(1, math.ceil(q * len(ordered)))  # the sketch's target: the ceil(q * n)-th smallest value
    true_bin = dwell_bin(ordered[rank - 1])
    low = 0.0 if true_bin == 0 else DWELL_EDGES_S[true_bin - 1]
    high = DWELL_EDGES_S[true_bin] if true_bin < len(DWELL_EDGES_S) else float("inf")
    assert low <= estimate <= high


def test_quantile_rejects_a_q_outside_0_1() -> None:
    with pytest.raises(ValueError, match="q: expected a quantile in"):
        dwell_quantile(_hist(1.0), 1.5)


def test_deltas_are_one_row_per_key_and_count_both_granularities() -> None:
    deltas = RollupDeltas()
    deltas.add_events([
        b.dwell(shopper="a", zone="z", shelf="s", start=T0, seconds=30.0),
        b.dwell(shopper="b", zone="z", shelf="s", start=T0 + 10, seconds=10.0),
        b.pickup(shopper="a", shelf="s", start=T0 + 5),
        b.camera_status(camera="cam1", ts=T0, status="online"),
    ])  # fmt: skip
    rows = [dict(zip(ROLLUP_COLUMNS, row, strict=True)) for row in deltas.as_rows()]
    keys = {(r["bucket_s"], r["zone_id"]) for r in rows}
    assert keys == {(60, "z"), (3600, "z"), (60, ""), (3600, ""), (60, "z")}
    hour = next(r for r in rows if r["bucket_s"] == 3600 and r["zone_id"] == "z")
    assert (hour["visits"], hour["dwell_sum_s"], hour["h08"], hour["h05"]) == (2, 40.0, 1, 1)
    assert all(isinstance(hour[c], int) for c in HIST_COLUMNS)
