"""Rule implementations, one module per pillar; importing this package registers them."""

from mlint.rules import (  # noqa: F401  (each module registers its rules)
    builtin,
    concurrency,
    config,
    lazy,
    protocols,
    resources,
    security,
    training,
)
