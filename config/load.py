"""Reading the configuration: `config/default.toml` with a user's file laid over it.

The loader is generic over the dataclasses of `schema`: a TOML table becomes
the dataclass of its field, a value must have the field's type (an integer
is accepted where a float is expected; a `Literal` names its choices), and a
key that no dataclass knows is an error naming it.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .schema import Config, ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parent / "default.toml"


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The tables of the TOML file `path`; ConfigError names the file and the reason."""
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def load_config(path: str | os.PathLike[str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> Config:
    """The configuration: the default file, then `path` laid over it, then
    `overrides` ({"server.port": 0, "sources": {...}}: dotted keys, a whole
    table replaced where the value is a mapping). `sources` is replaced as a
    whole by a user's file or an override, never merged: a file that names
    its streams serves exactly those."""
    values = read_toml(DEFAULT_CONFIG)
    if path is not None:
        user = read_toml(path)
        try:
            values = _lay_over(values, user, "", replace=("sources",))
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None
    for dotted, value in (overrides or {}).items():
        *tables, key = dotted.split(".")
        table = values
        for name in tables:
            table = table.setdefault(name, {})
        table[key] = value
    return build(Config, values, "")


def build(cls: type, values: Mapping[str, Any], where: str) -> Any:
    """The dataclass `cls` from the mapping `values` (`where`: the dotted table name)."""
    hints = typing.get_type_hints(cls)
    names = [field.name for field in dataclasses.fields(cls)]
    for key in values:
        if key not in names:
            raise ConfigError(f"{_key(where, key)}: unknown key (known: {', '.join(names)})")
    arguments = {}
    for name in names:
        key = _key(where, name)
        if name not in values:
            raise ConfigError(f"{key}: missing")
        arguments[name] = _convert(hints[name], values[name], key)
    try:
        return cls(**arguments)
    except ConfigError:
        raise
    except ValueError as error:  # a settings class of the models, whose messages start with the field's name
        raise ConfigError(_key(where, str(error))) from None


def _convert(kind: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a table, got {value!r}")
        return build(kind, value, key)
    origin = typing.get_origin(kind)
    if origin is typing.Literal:
        choices = typing.get_args(kind)
        if value not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return value
    if origin is tuple:
        item_kind, ellipsis = typing.get_args(kind)
        assert ellipsis is Ellipsis  # the schema has only homogeneous tuples
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return tuple(_convert(item_kind, item, f"{key}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a table, got {value!r}")
        _, item_kind = typing.get_args(kind)
        return {name: _convert(item_kind, item, _key(key, name)) for name, item in value.items()}
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if kind in (str, bool):
        if not isinstance(value, kind):
            raise ConfigError(f"{key}: expected {'true or false' if kind is bool else 'a string'}, got {value!r}")
        return value
    raise TypeError(f"{key}: the loader has no rule for {kind!r}")  # a schema bug, not a user error


# Tables whose keys are names the user chooses (skill labels): a user's file
# may add keys to them besides changing the default ones.
OPEN_TABLES = ("openset.gates.skills",)


def _lay_over(base: Mapping[str, Any], user: Mapping[str, Any], where: str,
              replace: tuple[str, ...] = ()) -> dict[str, Any]:
    merged = dict(base)
    for key, value in user.items():
        if key not in base and where in OPEN_TABLES:
            merged[key] = value
            continue
        if key not in base:
            raise ConfigError(f"{_key(where, key)}: unknown key (known: {', '.join(base)})")
        if isinstance(base[key], Mapping) and key not in replace:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{_key(where, key)}: expected a table, got {value!r}")
            merged[key] = _lay_over(base[key], value, _key(where, key))
        else:
            merged[key] = value
    return merged


def _key(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
