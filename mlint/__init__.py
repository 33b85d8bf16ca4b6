"""mlint: a fast libcst linter for machine-learning Python code."""

__version__ = "0.1.0"
