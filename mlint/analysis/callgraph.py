"""Same-file call resolution: which ``def`` of this module a call runs, and who calls a ``def``.

Resolves plain calls to module-level functions, ``self.method(...)`` inside a class, and
``name.method(...)`` where ``name`` is assigned an instance of a class of the same file.
Anything else (imports, attributes of unknown objects) stays unresolved: rules that use
this index only ever learn more, never guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from mlint.analysis.blocks import iter_nodes


@dataclass
class FunctionIndex:
    """The module's functions and methods by name, built once per file."""

    functions: dict[str, cst.FunctionDef]
    methods: dict[tuple[str, str], cst.FunctionDef]
    owner: dict[int, cst.ClassDef]  # id(def) -> class it is a method of
    instances: dict[str, str]  # module-wide name -> class of this file it is built from
    async_names: frozenset[str]
    _callers: dict[int, list[tuple[cst.FunctionDef, cst.Call]]] | None = field(default=None)

    @classmethod
    def of(cls, module: cst.Module) -> FunctionIndex:
        functions: dict[str, cst.FunctionDef] = {}
        methods: dict[tuple[str, str], cst.FunctionDef] = {}
        owner: dict[int, cst.ClassDef] = {}
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef):
                functions[statement.name.value] = statement
            elif isinstance(statement, cst.ClassDef):
                for item in statement.body.body:
                    if isinstance(item, cst.FunctionDef):
                        methods[(statement.name.value, item.name.value)] = item
                        owner[id(item)] = statement
        classes = {name for name, _ in methods}
        instances: dict[str, str] = {}
        async_names: set[str] = set()
        for node in iter_nodes(module, into_scopes=True):
            if isinstance(node, cst.FunctionDef) and node.asynchronous is not None:
                async_names.add(node.name.value)
            elif (
                isinstance(node, cst.Assign)
                and isinstance(node.value, cst.Call)
                and isinstance(node.value.func, cst.Name)
                and node.value.func.value in classes
            ):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        instances[target.target.value] = node.value.func.value
        return cls(functions, methods, owner, instances, frozenset(async_names))

    def callee(self, call: cst.Call, caller: cst.FunctionDef | None) -> cst.FunctionDef | None:
        """The ``def`` of this file that ``call`` runs, when it is certain enough."""
        func = call.func
        if isinstance(func, cst.Name):
            return self.functions.get(func.value)
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        receiver, method = func.value.value, func.attr.value
        if receiver == "self" and caller is not None:
            cls = self.owner.get(id(caller))
            return None if cls is None else self.methods.get((cls.name.value, method))
        owner = self.instances.get(receiver)
        return None if owner is None else self.methods.get((owner, method))

    def calls_in(self, function: cst.FunctionDef) -> Iterator[tuple[cst.Call, cst.FunctionDef]]:
        """``(call, callee)`` for each resolved call in ``function``'s own body."""
        for node in iter_nodes(function.body):
            if isinstance(node, cst.Call):
                target = self.callee(node, function)
                if target is not None:
                    yield node, target

    def callers(self, function: cst.FunctionDef) -> list[tuple[cst.FunctionDef, cst.Call]]:
        """``(caller, call)`` for each resolved call of ``function`` from a def of this file."""
        if self._callers is None:
            callers: dict[int, list[tuple[cst.FunctionDef, cst.Call]]] = {}
            for caller in self.all_functions():
                for call, target in self.calls_in(caller):
                    callers.setdefault(id(target), []).append((caller, call))
            self._callers = callers
        return self._callers.get(id(function), [])

    def all_functions(self) -> Iterator[cst.FunctionDef]:
        yield from self.functions.values()
        yield from self.methods.values()


def is_generator(function: cst.FunctionDef) -> bool:
    """Whether calling ``function`` only builds a generator (its body runs later)."""
    return any(isinstance(n, (cst.Yield,)) for n in iter_nodes(function.body))


def has_await(function: cst.FunctionDef) -> bool:
    """Whether the body suspends anywhere (``await``, ``async for``, ``async with``)."""
    for node in iter_nodes(function.body):
        if isinstance(node, cst.Await):
            return True
        if isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None:
            return True
        if isinstance(node, cst.CompFor) and node.asynchronous is not None:
            return True
    return False
