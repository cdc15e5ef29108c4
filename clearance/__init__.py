"""clearance: a guided, gated pipeline for building a neural text classifier."""

__version__ = "0.1.0"
