"""ML701 unsafe-deserialization."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.analysis.requirements_torch import torch_below
from mlint.rule import Rule, register
from mlint.rules.security._shared import path_origin
from mlint.rules.training._shared_608 import argument, is_false, is_true, keyword
from mlint.types import Applicability, FixAvailability

_TORCH_LOAD = frozenset({"torch.load", "torch.serialization.load"})
# Pickle-based loaders other than `pickle` itself (ruff's S301 covers `pickle.load`).
_PICKLE_LOADERS = frozenset(
    {"joblib.load", "cloudpickle.load", "cloudpickle.loads", "dill.load", "dill.loads"}
)
_KERAS_LOADERS = frozenset(
    {
        "keras.models.load_model",
        "keras.saving.load_model",
        "tensorflow.keras.models.load_model",
        "tensorflow.keras.saving.load_model",
    }
)
_WHERE = {"downloaded": "a downloaded file", "variable": "a path that is not a literal in the repo"}


@register
class UnsafeDeserialization(Rule):
    """## What it does
    Checks for model and array loaders that unpickle, and so may run code, from a file
    that is not a literal path in the repository:

    - `torch.load(path, weights_only=False)`, and `try`/`except` fallbacks that retry a
      failed safe load with `weights_only=False`;
    - `torch.load(path)` without `weights_only` when the project's declared torch
      requirement (the nearest `requirements*.txt`, `pyproject.toml`, `setup.cfg` or
      `environment.yml` walking up from the file) pins or caps torch below 2.6, where
      `weights_only` still defaults to `False`;
    - `np.load(..., allow_pickle=True)`, `keras.models.load_model(..., safe_mode=False)`
      and `torch.hub.load(..., trust_repo=True)`: an explicit opt-out of the safe default;
    - `joblib.load`, `cloudpickle.load(s)` and `dill.load(s)` of a downloaded file (they
      have no safe mode; a path from a parameter or the configuration is, in application
      code, almost always the project's own artifact, so only downloads are reported).

    Files fetched at run time (`hf_hub_download`, `urlretrieve`, `requests.get(...)
    .content`, an uploaded `UploadFile`) are named as such in the message.

    ## Why is this bad?
    Unpickling runs whatever the file tells it to: a checkpoint or `.joblib` file shared
    on a hub, downloaded from a URL, uploaded by a user or swapped on a shared disk
    executes arbitrary code with your permissions the moment it is loaded.
    `weights_only=True` (the default since PyTorch 2.6) only rebuilds tensors and
    allow-listed types.

    Plain `pickle.load`/`pickle.loads` is not reported here: ruff's `S301`
    (`suspicious-pickle-usage`) covers it.

    ## Example
    ```python
    path = hf_hub_download("org/model", "model.pt")
    state = torch.load(path, weights_only=False)
    clf = joblib.load(path)
    ```

    ## Use instead
    ```python
    path = hf_hub_download("org/model", "model.safetensors")
    state = safetensors.torch.load_file(path)
    # or torch.load(path, weights_only=True), with torch.serialization.add_safe_globals([...])
    # for the few non-tensor types a checkpoint holds; skops.io for scikit-learn models
    ```

    ## Fix safety
    `torch.load(path)` under an old torch requirement gets an unsafe fix adding
    `weights_only=True`: checkpoints holding other objects (an optimizer's state is fine;
    an `argparse.Namespace` is not) then fail to load until their types are allow-listed.
    The other shapes have no fix.

    Not reported: literal paths and paths built only from literals and `__file__`
    (`os.path.join(os.path.dirname(__file__), "model.pt")`, `Path(__file__).parent /
    "clf.joblib"`), `torch.load` without the keyword when the declared torch requirement
    is unversioned or only bounded from below (`torch`, `torch>=1.13` install the latest
    release) or when no requirement file declares torch, `weights_only=True`,
    `joblib.load(model_path)` of a path that is not downloaded, `np.load` without
    `allow_pickle=True`, `torch.hub.load(..., source="local")`,
    `pickle.load` (ruff S301), and Hugging Face `from_pretrained` (safetensors).
    """

    code = "ML701"
    name = "unsafe-deserialization"
    message = "Unpickling a file that is not in the repo: use `weights_only=True` or safetensors"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (
        "torch.load",
        "joblib",
        "cloudpickle",
        "dill",
        "allow_pickle",
        "load_model",
        "trust_repo",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value
        if last not in ("load", "loads", "load_model"):
            return
        ctx = self.context
        resolved = ctx.imports.resolve(func)
        if resolved is None:
            return
        name = resolved.name
        if name in _TORCH_LOAD:
            self._torch_load(node)
            return
        if not resolved.certain and name not in ("numpy.load",):
            return
        if name in _PICKLE_LOADERS:
            path = argument(node, 0, "filename" if "joblib" in name else "file")
            if path_origin(ctx, path) == "downloaded":
                self._report_origin(node, path)
        elif name == "numpy.load":
            if is_true(_keyword_value(node, "allow_pickle")):
                self._report_origin(node, argument(node, 0, "file"), "`allow_pickle=True`")
        elif name in _KERAS_LOADERS:
            if is_false(_keyword_value(node, "safe_mode")):
                self._report_origin(
                    node,
                    argument(node, 0, "filepath"),
                    "`safe_mode=False`",
                    "keep `safe_mode` on (it refuses code in `Lambda` layers)",
                )
        elif name == "torch.hub.load":
            source = _keyword_value(node, "source")
            if is_true(_keyword_value(node, "trust_repo")) and not (
                isinstance(source, cst.SimpleString) and "local" in source.value
            ):
                self._report_origin(
                    node,
                    argument(node, 0, "repo_or_dir"),
                    "`trust_repo=True`",
                    "load a reviewed repository named in the code, pinned to a tag or commit",
                    "runs the `hubconf.py` of",
                )

    def _torch_load(self, node: cst.Call) -> None:
        ctx = self.context
        path = argument(node, 0, "f")
        origin = path_origin(ctx, path)
        if origin == "literal":
            return
        weights_only = keyword(node, "weights_only")
        shown = dotted_name(node.func) or "torch.load"
        if weights_only is None:
            if any(arg.star == "**" for arg in node.args) or not torch_below(ctx.path):
                return
            last = node.args[-1].value if node.args else None
            fix = None
            if last is not None:
                fix = self.make_fix(
                    [ctx.insert_after(last, ", weights_only=True")],
                    Applicability.UNSAFE,
                    "Pass `weights_only=True`",
                )
            self.report(
                node,
                f"`{shown}` unpickles {_WHERE[origin]} and the project's torch requirement "
                "is below 2.6, where `weights_only` defaults to `False`: pass "
                "`weights_only=True`",
                fix=fix,
            )
            return
        if not is_false(weights_only.value):
            return
        if self._in_fallback():
            message = (
                f"`{shown}` retries with `weights_only=False` after the safe load failed, "
                f"on {_WHERE[origin]}: allow-list the types with "
                "`torch.serialization.add_safe_globals` instead"
            )
        else:
            message = (
                f"`{shown}(..., weights_only=False)` unpickles {_WHERE[origin]}: use "
                "`weights_only=True` (with `add_safe_globals`) or safetensors"
            )
        self.report(node, message)

    def _in_fallback(self) -> bool:
        ancestors = self.context.ancestors
        for index in range(len(ancestors) - 1, 0, -1):
            handler = ancestors[index]
            if isinstance(handler, cst.ExceptHandler):
                owner = ancestors[index - 1]
                if isinstance(owner, cst.Try):
                    return any(
                        isinstance(item, cst.Call)
                        and self.context.imports.qualified(item.func) in _TORCH_LOAD
                        for item in iter_nodes(owner.body)
                    )
        return False

    def _report_origin(
        self,
        node: cst.Call,
        path: cst.BaseExpression | None,
        flag: str | None = None,
        advice: str = "use safetensors or skops for files you do not control",
        verb: str = "unpickles",
    ) -> None:
        ctx = self.context
        origin = path_origin(ctx, path)
        if origin == "literal":
            return
        how = f" with {flag}" if flag else ""
        self.report(
            node,
            f"`{ctx.code(node.func)}`{how} {verb} {_WHERE[origin]}, which can run code: {advice}",
        )


def _keyword_value(node: cst.Call, name: str) -> cst.BaseExpression | None:
    arg = keyword(node, name)
    return None if arg is None else arg.value
