"""Helpers shared by the security rules ML701-ML703: literals bound to names, argument lookup."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.rule import FileContext


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain or implicitly concatenated string literal."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def function_of(context: FileContext) -> cst.FunctionDef | None:
    node = context.enclosing(cst.FunctionDef)
    return node if isinstance(node, cst.FunctionDef) else None


def bindings(scope: cst.CSTNode, name: str) -> list[cst.BaseExpression | None]:
    """Values bound to ``name`` in a scope (``None`` for a binding whose value is unknown)."""
    out: list[cst.BaseExpression | None] = []
    for item in iter_nodes(scope):
        if isinstance(item, cst.Assign):
            for target in item.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    out.append(item.value)
                elif any(
                    isinstance(n, cst.Name) and n.value == name for n in iter_nodes(target.target)
                ) and not isinstance(target.target, (cst.Attribute, cst.Subscript)):
                    out.append(None)  # a, b = ...
        elif isinstance(item, (cst.AnnAssign, cst.AugAssign)) and (
            isinstance(item.target, cst.Name) and item.target.value == name
        ):
            out.append(item.value if isinstance(item, cst.AnnAssign) else None)
        elif isinstance(item, (cst.For, cst.CompFor)) and any(
            isinstance(n, cst.Name) and n.value == name for n in iter_nodes(item.target)
        ):
            out.append(None)
        elif isinstance(item, cst.NamedExpr) and isinstance(item.target, cst.Name):
            if item.target.value == name:
                out.append(item.value)
        elif (
            isinstance(item, cst.WithItem)
            and item.asname is not None
            and any(isinstance(n, cst.Name) and n.value == name for n in iter_nodes(item.asname))
        ):
            out.append(None)
    return out


def parameter(function: cst.FunctionDef, name: str) -> cst.Param | None:
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def resolve_literal(
    context: FileContext, node: cst.BaseExpression | None, depth: int = 0
) -> cst.BaseExpression | None:
    """Follow a name to the one literal it is bound to (function, then module, then a default).

    Also reads ``d.get("key", <literal>)`` and ``getattr(o, "key", <literal>)`` as their
    default. ``None`` when the value is not a single known expression.
    """
    if node is None or depth > 4:
        return None
    if isinstance(node, cst.Call):
        func = node.func
        is_get = isinstance(func, cst.Attribute) and func.attr.value == "get"
        is_getattr = isinstance(func, cst.Name) and func.value == "getattr"
        if (is_get and len(node.args) == 2) or (is_getattr and len(node.args) == 3):
            return resolve_literal(context, node.args[-1].value, depth + 1)
        return node
    if not isinstance(node, cst.Name) or node.value in ("True", "False", "None"):
        return node
    function = function_of(context)
    if function is not None:
        found = bindings(function.body, node.value)
        param = parameter(function, node.value)
        if param is not None:
            if found or param.default is None:
                return None
            return resolve_literal(context, param.default, depth + 1)
        if found:
            return resolve_literal(context, found[0], depth + 1) if len(found) == 1 else None
    found = bindings(context.module, node.value)
    if len(found) == 1:
        return resolve_literal(context, found[0], depth + 1)
    return None


# Calls whose result is a file (or bytes) fetched from elsewhere, by the last part of the name.
DOWNLOADERS = frozenset(
    {
        "hf_hub_download",
        "cached_download",
        "cached_path",
        "urlretrieve",
        "download_url_to_file",
        "get_file",
        "download",
        "urlopen",
    }
)
_HTTP_GETS = frozenset({"requests.get", "requests.post", "httpx.get", "httpx.post"})
_PATH_BUILDERS = frozenset(
    {
        "os.path.join",
        "os.path.abspath",
        "os.path.expanduser",
        "os.path.dirname",
        "os.path.realpath",
        "pathlib.Path",
        "pathlib.PurePath",
        "str",
        "Path",
        "io.BytesIO",
        "open",
    }
)
_PATH_ATTRIBUTES = frozenset(
    {"parent", "parents", "resolve", "absolute", "joinpath", "with_suffix"}
)
_RANK = {"literal": 0, "variable": 1, "downloaded": 2}


def _worst(origins: list[str]) -> str:
    return max(origins, key=_RANK.__getitem__) if origins else "literal"


def path_origin(context: FileContext, node: cst.BaseExpression | None, depth: int = 0) -> str:
    """Where a loaded file comes from: ``"literal"`` (in the repo), ``"downloaded"``, ``"variable"``."""
    if node is None or depth > 6:
        return "variable"
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer)):
        return "literal"
    if isinstance(node, cst.FormattedString):
        parts = [
            path_origin(context, p.expression, depth + 1)
            for p in node.parts
            if isinstance(p, cst.FormattedStringExpression)
        ]
        return _worst(parts)
    if isinstance(node, cst.BinaryOperation):
        return _worst(
            [
                path_origin(context, node.left, depth + 1),
                path_origin(context, node.right, depth + 1),
            ]
        )
    if isinstance(node, cst.Name):
        return _name_origin(context, node, depth)
    if isinstance(node, cst.Attribute):
        if node.attr.value in _PATH_ATTRIBUTES:
            return path_origin(context, node.value, depth + 1)
        if node.attr.value == "content" and isinstance(node.value, cst.Call):
            name = context.imports.qualified(node.value.func) or ""
            if name in _HTTP_GETS:
                return "downloaded"
        return "variable"
    if isinstance(node, cst.Await):
        return path_origin(context, node.expression, depth + 1)
    if isinstance(node, cst.Call):
        return _call_origin(context, node, depth)
    return "variable"


def _call_origin(context: FileContext, node: cst.Call, depth: int) -> str:
    func = node.func
    name = context.imports.qualified(func) or ""
    last = name.rpartition(".")[2]
    if last in DOWNLOADERS:
        return "downloaded"
    if isinstance(func, cst.Attribute) and func.attr.value == "read":
        # `await upload.read()`: the body of a request
        if path_origin(context, func.value, depth + 1) == "downloaded":
            return "downloaded"
        return "variable"
    if name in _PATH_BUILDERS or (
        isinstance(func, cst.Attribute) and func.attr.value in _PATH_ATTRIBUTES
    ):
        parts = [path_origin(context, a.value, depth + 1) for a in node.args]
        if isinstance(func, cst.Attribute) and name not in _PATH_BUILDERS:
            parts.append(path_origin(context, func.value, depth + 1))
        return _worst(parts)
    return "variable"


def _name_origin(context: FileContext, node: cst.Name, depth: int) -> str:
    if node.value == "__file__":
        return "literal"
    function = function_of(context)
    scopes: list[cst.CSTNode] = []
    if function is not None:
        param = parameter(function, node.value)
        if param is not None:
            annotation = param.annotation
            if annotation is not None and "UploadFile" in context.render(annotation.annotation):
                return "downloaded"
            if not bindings(function.body, node.value):
                return "variable"
        scopes.append(function.body)
    scopes.append(context.module)
    for scope in scopes:
        found = bindings(scope, node.value)
        if found:
            return _worst(
                [
                    "variable" if value is None else path_origin(context, value, depth + 1)
                    for value in found
                ]
            )
    return "variable"
