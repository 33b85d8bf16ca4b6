"""Which settings govern which file: those of its closest configuration file, as in ruff.

One run may cross several projects (a monorepo, a pre-commit batch): ``a/pyproject.toml``
governs the files under ``a/`` and ``a/sub/pyproject.toml`` those under ``a/sub/``, in
any argument order. A file under no configuration gets the run's root settings (found
from the current directory). ``--config FILE`` and ``--isolated`` give every file the
same settings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlint.files import Scope, config_in
from mlint.types import LintSettings, Settings


class SettingsTree:
    def __init__(self, root: Settings, load: Callable[[Path], Settings] | None) -> None:
        """``load(config_path)`` resolves one configuration file; ``None``: ``root`` for all."""
        self.root = root
        self._load = load
        self._by_directory: dict[Path, Settings] = {}
        self._by_config: dict[Path, Settings] = {}
        self._scopes: dict[int, Scope] = {}
        if root.config_path is not None:
            self._by_config[Path(root.config_path).resolve()] = root

    def for_directory(self, directory: Path) -> Settings:
        """The settings of the closest configuration file at or above ``directory``."""
        if self._load is None:
            return self.root
        found = self._by_directory.get(directory)
        if found is None:
            resolved = directory.resolve()
            config = config_in(resolved)
            if config is not None:
                key = config.resolve()
                found = self._by_config.get(key)
                if found is None:
                    found = self._by_config[key] = self._load(config)
            elif resolved.parent != resolved:
                found = self.for_directory(resolved.parent)
            else:
                found = self.root
            self._by_directory[directory] = found
        return found

    def for_file(self, path: str) -> Settings:
        return self.for_directory(Path(path).absolute().parent)

    def lint_for(self, path: str) -> LintSettings:
        return self.for_file(path).lint

    def scope_for(self, directory: Path) -> Scope:
        """What excludes the entries of ``directory`` (for ``files.discover``)."""
        settings = self.for_directory(directory)
        scope = self._scopes.get(id(settings))
        if scope is None:
            scope = self._scopes[id(settings)] = Scope(
                settings.project_root,
                (*settings.exclude, *settings.extend_exclude),
                settings.respect_gitignore,
                settings.force_exclude,
            )
        return scope
