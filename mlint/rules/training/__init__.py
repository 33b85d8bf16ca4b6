"""Pillar 6: training-loop and data correctness (ML6xx)."""

from mlint.rules.training import (  # noqa: F401  (each module registers its rule)
    ddp_without_distributed_sampler,
    device_transfer_in_dataset,
    double_activation,
    eval_without_train,
    grad_accumulation_unscaled,
    legacy_tensor_api,
)
