"""Pillar 3: async (ML3xx)."""
