"""Multi-object tracking: a ByteTrack-class tracker per camera, fragment re-linking, MOTChallenge files.

Import from the modules (``shelfsight.vision.tracking.bytetrack`` etc.); this package imports nothing heavy itself.
"""
