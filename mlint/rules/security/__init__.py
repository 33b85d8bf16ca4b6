"""Pillar 7: unsafe model loading and execution (ML7xx)."""
