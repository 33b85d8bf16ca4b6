"""Pillar 6: training loops (ML6xx)."""
