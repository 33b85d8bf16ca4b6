"""Helpers shared by several rules of this pillar."""

from __future__ import annotations

from typing import cast

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.analysis.imports_placement import import_edit
from mlint.analysis.origin import module_local_name, names_bound
from mlint.rule import FileContext
from mlint.types import Edit

# Awaiting these is sequencing on purpose: rate limits, locks, queues, streams, lifecycles.
_SEQUENCING_CALLS = frozenset(
    {
        "asyncio.sleep",
        "anyio.sleep",
        "trio.sleep",
        "asyncio.wait",
        "asyncio.wait_for",
        "asyncio.gather",
        "asyncio.shield",
    }
)

_SEQUENCING_METHODS = frozenset(
    {
        "sleep",
        "acquire",
        "release",
        "wait",
        "wait_for",
        "join",
        "put",
        "get_nowait",
        "read",
        "readline",
        "readexactly",
        "readuntil",
        "write",
        "drain",
        "send",
        "recv",
        "receive",
        "send_text",
        "send_json",
        "send_bytes",
        "receive_text",
        "receive_json",
        "receive_bytes",
        "close",
        "aclose",
        "commit",
        "rollback",
        "flush",
        "start",
        "stop",
        "shutdown",
        "connect",
        "disconnect",
        "cancel",
    }
)

# Words of a receiver's name that mean one stateful object: calls on it must not overlap.
_STATEFUL_WORDS = frozenset(
    {
        "session",
        "conn",
        "connection",
        "cursor",
        "cur",
        "db",
        "database",
        "tx",
        "txn",
        "transaction",
        "lock",
        "sem",
        "semaphore",
        "queue",
        "q",
        "stream",
        "reader",
        "writer",
        "ws",
        "websocket",
        "socket",
        "sock",
        "channel",
        "page",
        "browser",
        "pipe",
        "pipeline",
        "file",
        "f",
        "fp",
    }
)


_MODEL_RECEIVERS = frozenset({"pipe", "pipeline", "llm", "encoder", "embedder"})


def model_receiver(receiver: str | None) -> bool:
    """Whether a receiver's name says it is a model (`model`, `self.text_model`, `pipe`)."""
    last = (receiver or "").rpartition(".")[2].lower()
    return bool(last) and (last.endswith("model") or last.split("_")[-1] in _MODEL_RECEIVERS)


def in_async_function(context: FileContext) -> bool:
    """Whether the innermost function around the current node is an ``async def``."""
    function = context.enclosing(cst.FunctionDef, cst.Lambda)
    return isinstance(function, cst.FunctionDef) and function.asynchronous is not None


def _is_stateful(receiver: str) -> bool:
    last = receiver.rpartition(".")[2].lower().strip("_")
    return any(word in _STATEFUL_WORDS for word in last.split("_"))


def _receiver(call: cst.Call, context: FileContext) -> str | None:
    """The dotted receiver of a method call, ``None`` for plain and module-level functions."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    receiver = dotted_name(func.value)
    if receiver is None:
        return "<expression>"
    if receiver.partition(".")[0] in context.imports.names:
        return None  # `asyncio.to_thread(...)`, `client_module.fetch(...)`
    return receiver


# Verbs that append to an ordered sink: `push_event`, `publish_message`, `emit`.
_ORDERED_VERBS = frozenset({"push", "publish", "emit", "send", "append", "write", "put"})


def _sequencing(call: cst.Call, context: FileContext) -> bool:
    """Whether awaiting ``call`` orders work on purpose (sleep, lock, queue, stream, lifecycle)."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _SEQUENCING_METHODS:
        return True
    if isinstance(func, (cst.Attribute, cst.Name)):
        verb = (func.attr if isinstance(func, cst.Attribute) else func).value.lstrip("_")
        if verb.split("_")[0] in _ORDERED_VERBS:
            return True
    if context.imports.qualified(func) in _SEQUENCING_CALLS:
        return True
    receiver = _receiver(call, context)
    return receiver is not None and _is_stateful(receiver)


def _asyncio_name(context: FileContext) -> tuple[str, list[Edit]] | None:
    """The local name of ``asyncio`` and the edit importing it when the file does not.

    ``None`` when that name is bound to something else anywhere in the file (a variable,
    a parameter, another import): an inserted ``asyncio.`` would not reach the module.
    """
    local = module_local_name(context.imports, "asyncio")
    name = local or "asyncio"
    if _rebinds_name(context, name):
        return None
    if local is not None:
        return local, []
    return "asyncio", [import_edit(context, "import asyncio")]


def _rebinds_name(context: FileContext, name: str) -> bool:
    """Whether ``name`` is bound other than by ``import asyncio`` anywhere in the file."""
    if context.imports.names.get(name, "asyncio") != "asyncio":
        return True
    for node in iter_nodes(context.module, into_scopes=True):
        bound: frozenset[str] = frozenset()
        if isinstance(node, (cst.Param, cst.FunctionDef, cst.ClassDef)):
            bound = frozenset({node.name.value})
        elif isinstance(
            node,
            (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr),
        ):
            bound = names_bound(node.target)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            bound = names_bound(cast(cst.BaseExpression, node.asname.name))
        elif isinstance(node, cst.ExceptHandler) and node.name is not None:
            bound = names_bound(cast(cst.BaseExpression, node.name.name))
        if name in bound:
            return True
    return False


def _whole_lines(context: FileContext, node: cst.CSTNode) -> Edit:
    """An edit deleting the lines ``node`` occupies, indentation and newline included."""
    start, end = context.span(node)
    source = context.source
    line_start = source.rfind("\n", 0, start) + 1
    newline = source.find("\n", end)
    return Edit(line_start, len(source) if newline == -1 else newline + 1, "")
