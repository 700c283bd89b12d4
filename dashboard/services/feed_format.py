"""The flat, stable column set of the event feed for CSV and Parquet, and the way back to events.

Every event of every type fills the same columns (absent fields empty / null), so analysts get one table
schema. The spot box is split into four columns. Floats are written in shortest round-trip form, so
``events -> CSV -> events`` and ``events -> Parquet -> events`` give back equal events.

CSV opened in a spreadsheet is also a way in: a text cell such as ``=HYPERLINK(...)`` is run as a formula
("CSV injection"), and ids and camera ``reason`` texts come from edge boxes. With ``escape_formulas`` every
*text* cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which
spreadsheets show as text (OWASP's advice). Numbers are never changed. The escaped CSV is what people
download (the API's default); the exact feed, which `parse_csv` reads back to equal events, is the same CSV
without escaping (``escape_formulas=false``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import pyarrow as pa

from shelfsight.vision.events.codec import from_dict
from shelfsight.vision.events.contract import EVENT_MODELS, AnyEvent

FEED_COLUMNS: Final[tuple[tuple[str, pa.DataType], ...]] = (
    ("event_id", pa.string()),
    ("schema_version", pa.string()),
    ("type", pa.string()),
    ("store_id", pa.string()),
    ("camera_id", pa.string()),
    ("ts", pa.float64()),
    ("confidence", pa.float64()),
    ("shopper_id", pa.string()),
    ("ts_start", pa.float64()),
    ("ts_end", pa.float64()),
    ("zone_id", pa.string()),
    ("shelf_id", pa.string()),
    ("dwell_s", pa.float64()),
    ("occluded_s", pa.float64()),
    ("spot_id", pa.string()),
    ("spot_x1", pa.float64()),
    ("spot_y1", pa.float64()),
    ("spot_x2", pa.float64()),
    ("spot_y2", pa.float64()),
    ("pickup_event_id", pa.string()),
    ("misplaced", pa.bool_()),
    ("confirmed", pa.bool_()),
    ("reach_source", pa.string()),
    ("status", pa.string()),
    ("reason", pa.string()),
    ("fps", pa.float64()),
)
"""Column name and Arrow type, in output order. Adding a column is an additive (minor) feed change."""

COLUMN_NAMES: Final = tuple(name for name, _ in FEED_COLUMNS)
ARROW_SCHEMA: Final = pa.schema(list(FEED_COLUMNS))
_BOX = ("spot_x1", "spot_y1", "spot_x2", "spot_y2")
_FLOATS: Final = frozenset(name for name, kind in FEED_COLUMNS if kind == pa.float64())


def flatten(event: Mapping[str, Any]) -> dict[str, Any]:
    """One event dict (as `shelfsight.vision.events.codec.to_dict` gives) as a row of `COLUMN_NAMES` (missing as
    None)."""
    row: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
    for key, value in event.items():
        if key == "spot":
            if value is not None:
                row["spot_id"] = value["spot_id"]
                row.update(zip(_BOX, value["box"], strict=True))
        else:
            row[key] = value
    return row


def unflatten(row: Mapping[str, Any]) -> AnyEvent:
    """Rebuild the event of a flat row (from CSV text or Parquet values); raises EventDecodeError if invalid."""
    fields = EVENT_MODELS[str(row["type"])].model_fields
    data: dict[str, Any] = {}
    for name in fields:
        if name == "spot":
            spot_id = row.get("spot_id")
            data["spot"] = None if spot_id in (None, "") else {"spot_id": spot_id, "box": [row[k] for k in _BOX]}
        elif name in row:
            data[name] = row[name]
    return from_dict(data)


FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula to a spreadsheet."""


def csv_lines(payloads: Iterable[str], *, escape_formulas: bool = False) -> Iterator[str]:
    """CSV text (header first) of stored event payloads, one line at a time, for streaming.

    The cell types are told by the quoting, so a reader need not guess them from the look of a value: every
    text cell is quoted (``"1.1"``: ``schema_version`` is text, not the number 1.1, and ``""`` is empty text),
    numbers and booleans (``true`` / ``false``) never are, and an empty unquoted cell is null. Lines end in CRLF
    (RFC 4180). ``escape_formulas``: prefix text cells that a spreadsheet would run as formulas with ``'``
    (module doc).
    """
    yield ",".join(COLUMN_NAMES) + "\r\n"
    for payload in payloads:
        yield ",".join(_csv_cell(v, escape_formulas) for v in flatten(json.loads(payload)).values()) + "\r\n"


def parse_csv(text: str) -> list[AnyEvent]:
    """Events of a feed CSV (the inverse of `csv_lines`)."""
    events = []
    for raw in csv.DictReader(io.StringIO(text, newline="")):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if value == "":
                # CSV has no null: an empty cell is null, except camera_status.reason, which is text ("" allowed).
                row[key] = "" if key == "reason" and raw.get("type") == "camera_status" else None
            elif key in _FLOATS:
                row[key] = float(value)
            elif key in ("misplaced", "confirmed"):
                row[key] = value == "true"
            else:
                row[key] = value
        events.append(unflatten(row))
    return events


def arrow_batch(payloads: Iterable[str]) -> pa.RecordBatch:
    """An Arrow record batch in `ARROW_SCHEMA` of stored event payloads."""
    rows = [flatten(json.loads(p)) for p in payloads]
    return pa.RecordBatch.from_pylist(rows, schema=ARROW_SCHEMA)


def _csv_cell(value: Any, escape_formulas: bool) -> str:
    """One CSV cell: null empty, booleans true/false, numbers bare (floats in shortest round-trip form), text
    always quoted (RFC 4180: inner quotes doubled), so a line break or comma inside text is safe too."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if escape_formulas and text.startswith(FORMULA_STARTS):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'
