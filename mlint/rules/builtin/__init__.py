"""Rules mlint reports about itself and the file (not through the traversal)."""
