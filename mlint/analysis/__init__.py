"""Semantic helpers shared by rules: imports, class hierarchy, def-use, origins."""
