"""Pillar 1: lazy evaluation (ML1xx)."""
