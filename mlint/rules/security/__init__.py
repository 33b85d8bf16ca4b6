"""Pillar 7: unsafe model loading and execution (ML7xx)."""

from mlint.rules.security import (  # noqa: F401  (each module registers its rule)
    eval_of_model_output,
    trust_remote_code_unpinned,
    unsafe_deserialization,
)
