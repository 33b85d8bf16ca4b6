"""ML604: a model loaded or built inside a request handler or ``Dataset.__getitem__``."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import is_module_constructor
from mlint.analysis.origin import iter_name_nodes
from mlint.rule import Rule, register
from mlint.rules.training._shared import assigned_value
from mlint.walker import children

_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "delete", "patch", "route", "api_route", "websocket", "head", "options"}
)
_REQUEST_TYPES = frozenset(
    {
        "fastapi.Request",
        "fastapi.WebSocket",
        "starlette.requests.Request",
        "starlette.websockets.WebSocket",
        "flask.Request",
    }
)
_LOADERS = frozenset(
    {
        "transformers.pipeline",
        "torch.load",
        "torch.jit.load",
        "joblib.load",
        "sentence_transformers.SentenceTransformer",
        "whisper.load_model",
        "spacy.load",
        "timm.create_model",
        "ultralytics.YOLO",
        "onnxruntime.InferenceSession",
        "tensorflow.keras.models.load_model",
        "keras.models.load_model",
        "keras.saving.load_model",
        "fasttext.load_model",
        "open_clip.create_model_and_transforms",
    }
)
_CACHE_TEST_WORDS = ("None", "hasattr", "not ", " in ", "getattr")


@register
class HeavyObjectPerRequest(Rule):
    """## What it does
    Checks for a model loaded or built inside a web request handler (a FastAPI, Flask or
    Starlette route, or an `async def` taking a `Request`/`WebSocket`) or inside
    `Dataset.__getitem__`: `X.from_pretrained(...)`, `transformers.pipeline(...)`,
    `torch.load`, `joblib.load`, `SentenceTransformer(...)`, `whisper.load_model`, an
    `nn.Module` constructor, ... whose arguments do not depend on the request (or the
    item index).

    ## Why is this bad?
    Loading weights reads hundreds of megabytes from disk or the network and allocates
    them again, on every request or for every sample: latency goes from milliseconds to
    seconds, memory churns, and under concurrency several copies of the model live at
    once. In a `Dataset` it runs once per sample in every worker.

    ## Example
    ```python
    @app.post("/predict")
    def predict(req: Item):
        clf = pipeline("sentiment-analysis")
        return clf(req.text)
    ```

    ## Use instead
    ```python
    clf = pipeline("sentiment-analysis")

    @app.post("/predict")
    def predict(req: Item):
        return clf(req.text)
    ```

    ## Fix safety
    No fix: where the object should live (module level, a lifespan handler, a cached
    helper, `__init__`) is a design choice. Loads whose arguments depend on the request
    (a model chosen by the client), loads inside loops (one per fold or ensemble
    member), lazy caches (`if model is None: model = ...`, assignments to a `global`,
    to `self.x` or into a dict), and per-item data reads in `__getitem__`
    (`torch.load(self.files[idx])`) are not reported.
    """

    code = "ML604"
    name = "heavy-object-per-request"
    message = "Model loaded on every request: load it once and reuse it"
    triggers = (
        "from_pretrained",
        "pipeline(",
        ".load(",
        "load_model",
        "SentenceTransformer",
        "InferenceSession",
        "create_model",
        "YOLO(",
        "__getitem__",
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        kind = self._handler_kind(node)
        if kind is None:
            return
        dependent = _request_dependent(node)
        cached = _cached_names(node)
        for item in _calls_outside_loops(node):
            call, guarded, target = item
            label = self._heavy(call)
            if label is None or guarded:
                continue
            if target is not None and (not isinstance(target, cst.Name) or target.value in cached):
                continue
            if any(n.value in dependent for n in iter_name_nodes(call.func)) or any(
                n.value in dependent for arg in call.args for n in iter_name_nodes(arg.value)
            ):
                continue
            where = "every item" if kind == "item" else "every request"
            self.report(
                call,
                f"`{label}` runs on {where}: create it once "
                + ("in `__init__`" if kind == "item" else "at startup")
                + " and reuse it",
            )

    def _handler_kind(self, node: cst.FunctionDef) -> str | None:
        ctx = self.context
        if node.name.value == "__getitem__":
            ancestors = ctx.ancestors
            if (
                len(ancestors) >= 2
                and isinstance(ancestors[-2], cst.ClassDef)
                and ctx.classes.is_map_dataset(ancestors[-2])
            ):
                return "item"
            return None
        for decorator in node.decorators:
            value = decorator.decorator
            if (
                isinstance(value, cst.Call)
                and isinstance(value.func, cst.Attribute)
                and value.func.attr.value in _ROUTE_METHODS
                and value.args
                and isinstance(value.args[0].value, cst.SimpleString)
                and value.args[0].value.value.strip("'\"rbf").startswith("/")
            ):
                return "request"
        if node.asynchronous is not None:
            for param in node.params.params:
                annotation = param.annotation
                if annotation is not None and (
                    ctx.imports.qualified(annotation.annotation) in _REQUEST_TYPES
                ):
                    return "request"
        return None

    def _heavy(self, call: cst.Call) -> str | None:
        ctx = self.context
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained":
            return f"{dotted_name(func) or 'from_pretrained'}(...)"
        resolved = ctx.imports.resolve(func)
        if resolved is not None and resolved.certain and resolved.name in _LOADERS:
            return f"{ctx.code(func)}(...)"
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            return None  # `build(...).eval()`: the inner call is the one reported
        if is_module_constructor(call, ctx.imports, ctx.classes):
            return f"{ctx.code(func)}(...)"
        return None


def _request_dependent(function: cst.FunctionDef) -> set[str]:
    """Parameters (but ``self``) and every name assigned from something that reads one."""
    params = function.params
    dependent = {
        p.name.value
        for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        if p.name.value not in ("self", "cls")
    }
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            dependent.add(star.name.value)
    assignments: list[tuple[set[str], set[str]]] = []
    for node in iter_nodes(function.body):
        targets: list[cst.BaseExpression] = []
        value: cst.CSTNode | None = None
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets, value = assigned_value(node)
        elif isinstance(node, cst.AugAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, cst.For):
            targets, value = [node.target], node.iter
        elif (
            isinstance(node, cst.WithItem)
            and node.asname is not None
            and isinstance(node.asname.name, cst.BaseExpression)
        ):
            targets, value = [node.asname.name], node.item
        if value is None:
            continue
        bound = {n.value for t in targets for n in iter_name_nodes(t)}
        assignments.append((bound, {n.value for n in iter_name_nodes(value)}))
    changed = True
    while changed:
        changed = False
        for bound, read in assignments:
            if read & dependent and not bound <= dependent:
                dependent |= bound
                changed = True
    return dependent


def _cached_names(function: cst.FunctionDef) -> set[str]:
    names: set[str] = set()
    for node in iter_nodes(function.body):
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            names.update(item.name.value for item in node.names)
    return names


def _calls_outside_loops(
    function: cst.FunctionDef,
) -> list[tuple[cst.Call, bool, cst.BaseExpression | None]]:
    """``(call, guarded, assignment target)`` for calls of the body outside loops.

    ``guarded`` is True under an `if` that tests for a cache (`is None`, `hasattr`,
    `not`, `in`); ``target`` is the single target when the call is a statement's value.
    """
    out: list[tuple[cst.Call, bool, cst.BaseExpression | None]] = []

    def walk(node: cst.CSTNode, guarded: bool, target: cst.BaseExpression | None) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)):
            return
        if isinstance(node, (cst.ListComp, cst.DictComp, cst.SetComp, cst.GeneratorExp)):
            return
        if isinstance(node, cst.If):
            test = cst.Module([]).code_for_node(node.test)
            inner = guarded or any(word in f" {test} " for word in _CACHE_TEST_WORDS)
            walk(node.body, inner, None)
            if node.orelse is not None:
                walk(node.orelse, inner, None)
            return
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets, value = assigned_value(node)
            if value is not None:
                only = targets[0] if len(targets) == 1 else cst.Name("_")
                walk(value, guarded, only)
                return
        if isinstance(node, cst.Call):
            out.append((node, guarded, target))
        for child in children(node):
            walk(child, guarded, target)

    for statement in function.body.body:
        walk(statement, False, None)
    return out
