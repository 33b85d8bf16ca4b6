"""Pillar 6: training-loop and data correctness (ML6xx); importing registers the rules."""

from mlint.rules.training import (  # noqa: F401  (each module registers its rule)
    chained_assignment,
    discarded_result,
    fit_before_split,
    heavy_object_per_request,
    loss_accumulated_with_graph,
    tensor_from_tensor,
    zero_grad_missing,
)
