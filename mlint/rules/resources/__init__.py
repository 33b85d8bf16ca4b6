"""Pillar 2: context managers (ML2xx)."""
