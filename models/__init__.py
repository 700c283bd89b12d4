"""Model artefacts: the manifest of known models, where their files are found, fetch and export tooling.

Holds no pydantic classes (those are called schemas or messages elsewhere) and never any model file.
"""
