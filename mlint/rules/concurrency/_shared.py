"""Helpers shared by several rules of this pillar."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.analysis.origin import import_edit, module_local_name
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
        "file",
        "f",
        "fp",
    }
)


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


def _sequencing(call: cst.Call, context: FileContext) -> bool:
    """Whether awaiting ``call`` orders work on purpose (sleep, lock, queue, stream, lifecycle)."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _SEQUENCING_METHODS:
        return True
    if context.imports.qualified(func) in _SEQUENCING_CALLS:
        return True
    receiver = _receiver(call, context)
    return receiver is not None and _is_stateful(receiver)


def _asyncio_name(context: FileContext) -> tuple[str, list[Edit]]:
    """The local name of ``asyncio`` and the edit importing it when the file does not."""
    local = module_local_name(context.imports, "asyncio")
    if local is not None:
        return local, []
    return "asyncio", [import_edit(context, "import asyncio")]


def _whole_lines(context: FileContext, node: cst.CSTNode) -> Edit:
    """An edit deleting the lines ``node`` occupies, indentation and newline included."""
    start, end = context.span(node)
    source = context.source
    line_start = source.rfind("\n", 0, start) + 1
    newline = source.find("\n", end)
    return Edit(line_start, len(source) if newline == -1 else newline + 1, "")
