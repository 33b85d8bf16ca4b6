"""mlint: a fast libcst linter for machine-learning Python code."""

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlint``: lint each cell IPython runs (see ``mlint.ipython``)."""
    from mlint.ipython import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from mlint.ipython import unload

    unload(ipython)
