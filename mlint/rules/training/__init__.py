"""Pillar 6: training-loop and data correctness (ML6xx)."""

from mlint.rules.training import (  # noqa: F401  (each module registers its rule)
    double_activation,
    eval_without_train,
    legacy_tensor_api,
)
