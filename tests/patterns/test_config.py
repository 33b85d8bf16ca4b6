"""Typed config: unknown keys with a hint, ranges, coercion, file loading, JSON Schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from mlint.patterns.config import (
    ConfigError,
    PlainTrainConfig,
    StrictModel,
    TrainConfig,
    load_config,
    parse_config,
    tool_schema,
)

VALID: dict[str, Any] = {"model_name": "resnet18", "batch_size": 64, "learning_rate": 0.001}

FILES = {
    "yaml": "model_name: resnet18\nbatch_size: '64'\nlearning_rate: 1.0e-3\n"
    "data:\n  path: /data/train\n  num_workers: 4\n",
    "toml": 'model_name = "resnet18"\nbatch_size = "64"\nlearning_rate = 1e-3\n'
    '[data]\npath = "/data/train"\nnum_workers = 4\n',
    "json": json.dumps(
        {
            "model_name": "resnet18",
            "batch_size": "64",
            "learning_rate": 1e-3,
            "data": {"path": "/data/train", "num_workers": 4},
        }
    ),
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_misspelled_key_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(ValidationError) as caught:
        TrainConfig(**VALID, learnin_rate=0.01)  # type: ignore[call-arg]
    message = str(caught.value)
    assert "'learnin_rate'" in message
    assert "did you mean 'learning_rate'?" in message


def test_string_numbers_are_coerced() -> None:
    config = TrainConfig(**{**VALID, "batch_size": "64", "learning_rate": "1e-3"})
    assert config.batch_size == 64 and isinstance(config.batch_size, int)
    assert config.learning_rate == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("key", "value"),
    [("batch_size", 0), ("batch_size", -8), ("learning_rate", 0), ("learning_rate", 1.5)],
)
def test_out_of_range_values_are_rejected_naming_the_key(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"train.yaml: invalid TrainConfig:\n  key '{key}': "):
        parse_config({**VALID, key: value}, source="train.yaml")


def test_config_is_frozen() -> None:
    config = TrainConfig(**VALID)
    with pytest.raises(ValidationError):
        config.batch_size = 1  # type: ignore[misc]


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_yaml_toml_and_json_load_to_the_same_config(tmp_path: Path, fmt: str) -> None:
    config = load_config(write(tmp_path, f"train.{fmt}", FILES[fmt]))
    assert config.batch_size == 64
    assert config.data is not None and config.data.num_workers == 4
    assert config.data.path == Path("/data/train")


def test_file_errors_name_the_file_and_the_nested_key(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", FILES["yaml"].replace("num_workers: 4", "num_wrkers: 4"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "key 'data': unknown key 'num_wrkers' (did you mean 'num_workers'?)" in str(caught.value)

    path = write(
        tmp_path, "bad.json", FILES["json"].replace('"num_workers": 4', '"num_workers": -1')
    )
    with pytest.raises(ConfigError, match=r"bad.json: .*\n  key 'data.num_workers': "):
        load_config(path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.json", "{", r"broken.json: cannot parse"),
        ("broken.toml", "a = ", r"broken.toml: cannot parse"),
        ("broken.yaml", "a: [", r"broken.yaml: cannot parse"),
        ("list.yaml", "- 1\n", r"list.yaml: expected a mapping at the top level, got list"),
        ("train.ini", "[x]", r"train.ini: unsupported config format '.ini'"),
    ],
)
def test_unreadable_files_raise_config_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, name, text))


def test_missing_pyyaml_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ConfigError, match="pip install pyyaml"):
        load_config(write(tmp_path, "train.yaml", FILES["yaml"]))


def test_json_schema_validates_a_tool_call() -> None:
    tool = tool_schema(TrainConfig, name="start_training")
    assert tool["function"]["name"] == "start_training"
    assert tool["function"]["description"].startswith("Hyper-parameters")
    schema = tool["function"]["parameters"]
    jsonschema.Draft202012Validator.check_schema(schema)
    # What an LLM would send as the tool call's arguments.
    arguments = json.loads(
        '{"model_name": "vit_b_16", "batch_size": 32, "learning_rate": 0.0003,'
        ' "data": {"path": "/data/imagenet", "num_workers": 8}}'
    )
    jsonschema.validate(arguments, schema)
    assert TrainConfig.model_validate(arguments).batch_size == 32
    for bad in (
        {**arguments, "learnin_rate": 0.1},
        {**arguments, "batch_size": 0},
        {**arguments, "learning_rate": 1},
        {k: v for k, v in arguments.items() if k != "model_name"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_tool_schema_of_an_undocumented_model_uses_its_name() -> None:
    class Search(StrictModel):
        query: str

    assert tool_schema(Search)["function"]["description"] == "Search"
    schema = tool_schema(Search)["function"]["parameters"]
    assert schema["additionalProperties"] is False


def test_plain_dataclass_has_the_same_contract() -> None:
    config = PlainTrainConfig.from_mapping({**VALID, "batch_size": "64"})
    assert config.batch_size == 64 and isinstance(config.batch_size, int)
    with pytest.raises(
        ConfigError, match=r"unknown key 'learnin_rate' \(did you mean 'learning_rate'\?\)"
    ):
        PlainTrainConfig.from_mapping({**VALID, "learnin_rate": 0.1}, source="train.json")
    with pytest.raises(ConfigError, match=r"key 'batch_size': must be > 0"):
        PlainTrainConfig.from_mapping({**VALID, "batch_size": 0})
    with pytest.raises(ConfigError, match=r"key 'batch_size': expected int"):
        PlainTrainConfig.from_mapping({**VALID, "batch_size": 6.5})
    with pytest.raises(ConfigError, match=r"missing required key\(s\): 'model_name'"):
        PlainTrainConfig.from_mapping({"batch_size": 1, "learning_rate": 0.1})
