"""Per-frame computer vision: detectors, tracker, zones, shelf-change analysis, synthetic store.

Nothing in this package opens sockets, starts processes or loads config files: arrays in, dataclasses out.
"""
