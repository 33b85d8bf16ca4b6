"""Pillar 5: protocols and magic methods (ML5xx)."""
