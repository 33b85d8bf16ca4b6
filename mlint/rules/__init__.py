"""Rule implementations, one module per pillar; importing this package registers them."""

from mlint.rules import builtin, protocols  # noqa: F401
