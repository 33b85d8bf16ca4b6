"""Pillar 4, typed configuration: validate once at the edge, then pass typed objects.

Rules ML401-ML404 point here. ``TrainConfig`` (pydantic) rejects unknown keys with a
"did you mean" hint, checks ranges, coerces ``"64"`` to ``64`` and exports a JSON
Schema for LLM tool calling; ``load_config`` reads YAML, TOML or JSON and names the
file and key in every error; ``PlainTrainConfig`` is the same contract as a frozen
dataclass, for code that wants no pydantic.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import sys
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "ConfigError",
    "DataConfig",
    "PlainTrainConfig",
    "StrictModel",
    "TrainConfig",
    "load_config",
    "parse_config",
    "read_config_file",
    "tool_schema",
]

ModelT = TypeVar("ModelT", bound=BaseModel)
StrPath = str | os.PathLike[str]


class ConfigError(ValueError):
    """A configuration could not be read or validated; the message names file and keys."""


def _unknown_keys_message(unknown: Iterable[str], known: Iterable[str]) -> str:
    known = list(known)
    parts = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"unknown key {key!r}{hint}")
    return "; ".join(parts)


class StrictModel(BaseModel):
    """A frozen pydantic base that forbids unknown keys and suggests the closest known one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        known = {name for name in cls.model_fields} | {
            field.alias for field in cls.model_fields.values() if field.alias
        }
        unknown = [key for key in data if key not in known]
        if unknown:
            raise PydanticCustomError(
                "unknown_key",
                "{message}",
                {
                    "message": _unknown_keys_message(unknown, sorted(known)),
                    "keys": unknown,
                },
            )
        return data


class DataConfig(StrictModel):
    """Where the training data lives and how it is loaded."""

    path: Path = Field(description="Directory or file with the training data.")
    num_workers: Annotated[int, Field(ge=0, le=64)] = 2
    shuffle: bool = True


class TrainConfig(StrictModel):
    """Hyper-parameters of a training run; validated once, immutable afterwards."""

    model_name: str = Field(min_length=1, description="Model identifier, e.g. 'resnet18'.")
    batch_size: Annotated[int, Field(gt=0, description="Samples per step.")]
    learning_rate: Annotated[float, Field(gt=0, lt=1, description="Optimizer step size.")]
    epochs: Annotated[int, Field(gt=0)] = 10
    weight_decay: Annotated[float, Field(ge=0)] = 0.0
    optimizer: Literal["adamw", "sgd"] = "adamw"
    seed: int = 0
    data: DataConfig | None = None


def _format_errors(error: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid {error.title}:"]
    for detail in error.errors(include_url=False):
        key = ".".join(str(part) for part in detail["loc"])
        where = f"key {key!r}: " if key else ""
        lines.append(f"  {where}{detail['msg']}")
    return "\n".join(lines)


@overload
def parse_config(data: Mapping[str, Any], *, source: str = ...) -> TrainConfig: ...
@overload
def parse_config(data: Mapping[str, Any], model: type[ModelT], *, source: str = ...) -> ModelT: ...
def parse_config(
    data: Mapping[str, Any],
    model: type[BaseModel] = TrainConfig,
    *,
    source: str = "<config>",
) -> BaseModel:
    """Validate a mapping into ``model``; raise ``ConfigError`` naming ``source`` and each key."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_errors(error, source)) from error


def read_config_file(path: StrPath) -> dict[str, Any]:
    """Read a YAML (.yaml/.yml), TOML (.toml) or JSON (.json) file into a dict."""
    path = Path(path)
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    try:
        if suffix in {".yaml", ".yml"}:
            data = _load_yaml(text)
        elif suffix == ".toml":
            data = _load_toml(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(
                f"{path}: unsupported config format {suffix!r} (use .yaml, .toml or .json)"
            )
    except ConfigError:
        raise
    except ValueError as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise ConfigError(f"{path}: cannot parse: {error}") from error
    except Exception as error:
        if type(error).__module__.startswith("yaml"):
            raise ConfigError(f"{path}: cannot parse: {error}") from error
        raise
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _load_yaml(text: str) -> Any:
    try:
        import yaml
    except ImportError as error:
        raise ConfigError("reading YAML config needs PyYAML: pip install pyyaml") from error
    return yaml.safe_load(text)


def _load_toml(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        try:
            import tomli as tomllib
        except ImportError as error:
            raise ConfigError("reading TOML config on Python < 3.11 needs tomli") from error
    return tomllib.loads(text)


@overload
def load_config(path: StrPath) -> TrainConfig: ...
@overload
def load_config(path: StrPath, model: type[ModelT]) -> ModelT: ...
def load_config(path: StrPath, model: type[BaseModel] = TrainConfig) -> BaseModel:
    """Read and validate a config file; every error names the file and the offending key."""
    return parse_config(read_config_file(path), model, source=os.fspath(path))


def tool_schema(
    model: type[BaseModel] = TrainConfig,
    *,
    name: str = "train",
    description: str | None = None,
) -> dict[str, Any]:
    """The model as a function-calling tool (OpenAI/Anthropic style) with its JSON Schema.

    ``additionalProperties: false`` comes from ``extra="forbid"``, so a tool call with an
    invented argument fails validation too.
    """
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description or _first_line(model.__doc__) or model.__name__,
            "parameters": model.model_json_schema(),
        },
    }


def _first_line(text: str | None) -> str:
    return (text or "").strip().partition("\n")[0]


@dataclasses.dataclass(frozen=True)
class PlainTrainConfig:
    """``TrainConfig`` as a frozen dataclass: the same checks, no pydantic."""

    model_name: str
    batch_size: int
    learning_rate: float
    epochs: int = 10
    weight_decay: float = 0.0
    optimizer: str = "adamw"
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not self.model_name:
            problems.append("key 'model_name': must not be empty")
        if self.batch_size <= 0:
            problems.append(f"key 'batch_size': must be > 0, got {self.batch_size}")
        if not 0 < self.learning_rate < 1:
            problems.append(f"key 'learning_rate': must be in (0, 1), got {self.learning_rate}")
        if self.epochs <= 0:
            problems.append(f"key 'epochs': must be > 0, got {self.epochs}")
        if self.weight_decay < 0:
            problems.append(f"key 'weight_decay': must be >= 0, got {self.weight_decay}")
        if self.optimizer not in {"adamw", "sgd"}:
            problems.append(f"key 'optimizer': must be 'adamw' or 'sgd', got {self.optimizer!r}")
        if problems:
            raise ConfigError("; ".join(problems))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<config>") -> PlainTrainConfig:
        """Build from a mapping: reject unknown keys (with a hint), coerce ``"64"`` to ``64``."""
        fields = {field.name: field for field in dataclasses.fields(cls)}
        unknown = [key for key in data if key not in fields]
        if unknown:
            raise ConfigError(f"{source}: {_unknown_keys_message(unknown, fields)}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for key, value in data.items():
            target = hints[key]
            try:
                values[key] = _coerce(value, target)
            except (TypeError, ValueError) as error:
                raise ConfigError(
                    f"{source}: key {key!r}: expected {target.__name__}, got {value!r}"
                ) from error
        missing = [
            name
            for name, field in fields.items()
            if name not in values
            and field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ConfigError(f"{source}: missing required key(s): {', '.join(map(repr, missing))}")
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from error


def _coerce(value: Any, target: type) -> Any:
    """Lax coercion like pydantic's: ``"64"`` -> 64, ``"1e-3"`` -> 0.001; no lossy float -> int."""
    if isinstance(value, bool) and target is not bool:
        raise TypeError("bool is not a number")
    if target is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("fractional value")
        return int(value)
    if target is float:
        return float(value)
    if target is str and not isinstance(value, str):
        raise TypeError("not a string")
    return value
