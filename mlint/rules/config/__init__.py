"""Pillar 4: typed configuration (ML4xx)."""
