"""Scoring against ground truth: tracks (HOTA, IDF1, MOTA) and events (precision, recall, F1, dwell error)."""
