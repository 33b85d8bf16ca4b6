"""Pillar 7: security (ML7xx)."""
