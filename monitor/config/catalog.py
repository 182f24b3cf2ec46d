"""Lists of typed specs from a folder of YAML files: ``configs/sources/*.yaml``, ``configs/rules/*.yaml``.

Each file holds a mapping with one list (``sources:`` or ``rules:``); each entry has a ``type`` that picks
its spec class, and unknown keys are rejected. Errors name the file, the line and the key path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from monitor.config.yamlfile import config_error_from_validation, load_yaml
from monitor.errors import ConfigError

SpecT = TypeVar("SpecT", bound=BaseModel)


def load_spec_folder(folder: Path, list_key: str, spec_class_for: Callable[[str], type[SpecT]]) -> list[SpecT]:
    """Load every ``*.yaml``/``*.yml`` file in ``folder`` (sorted by name); ids must be unique."""
    if not folder.is_dir():
        return []
    specs: list[SpecT] = []
    seen: dict[str, str] = {}
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    for path in files:
        for spec in load_spec_file(path, list_key, spec_class_for):
            spec_id = str(getattr(spec, "id", ""))
            if spec_id in seen:
                raise ConfigError(
                    f"duplicate id '{spec_id}' (first defined in {seen[spec_id]})",
                    path=str(path),
                    key=f"{list_key}[id={spec_id}]",
                )
            seen[spec_id] = str(path)
            specs.append(spec)
    return specs


def load_spec_file(path: Path, list_key: str, spec_class_for: Callable[[str], type[SpecT]]) -> list[SpecT]:
    """Load one file holding ``{list_key: [ {type: ..., ...}, ... ]}``."""
    document = load_yaml(path)
    data = document.data
    if data is None:
        return []
    if not isinstance(data, dict) or list_key not in data:
        raise ConfigError(
            f"expected a mapping with a '{list_key}:' list at the top level", path=str(path), line=document.line_of(())
        )
    unknown = sorted(str(key) for key in data if key != list_key)
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {unknown}; only '{list_key}' is allowed",
            path=str(path),
            key=unknown[0],
            line=document.line_of((unknown[0],)),
        )
    entries = data[list_key] or []
    if not isinstance(entries, list):
        raise ConfigError("expected a list", path=str(path), key=list_key, line=document.line_of((list_key,)))
    specs: list[SpecT] = []
    for index, entry in enumerate(entries):
        location = (list_key, index)
        if not isinstance(entry, dict):
            raise ConfigError(
                "expected a mapping with a 'type' key",
                path=str(path),
                key=f"{list_key}[{index}]",
                line=document.line_of(location),
            )
        type_name = entry.get("type")
        if not isinstance(type_name, str):
            raise ConfigError(
                "missing 'type' (a string naming the kind of entry)",
                path=str(path),
                key=f"{list_key}[{index}].type",
                line=document.line_of(location),
            )
        try:
            spec_class = spec_class_for(type_name)
        except ConfigError as exc:
            raise ConfigError(
                exc.message, path=str(path), key=f"{list_key}[{index}].type", line=document.line_of((*location, "type"))
            ) from exc
        try:
            specs.append(spec_class.model_validate(entry))
        except ValidationError as exc:
            raise config_error_from_validation(exc, document, prefix=location) from exc
    return specs


def type_name(spec_class: type[BaseModel]) -> str:
    """The ``type`` a spec class answers to: the default of its ``type`` literal field."""
    return str(spec_class.model_fields["type"].default)


def types_by_name(spec_classes: Iterable[type[SpecT]]) -> dict[str, type[SpecT]]:
    """``type`` → spec class, for the extension tables (rule types, channel types)."""
    return {type_name(spec_class): spec_class for spec_class in spec_classes}


def spec_class_of(table: Mapping[str, type[SpecT]], kind: str, name: str) -> type[SpecT]:
    """The spec class registered as ``name``, or a ConfigError listing the known ``kind`` types."""
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {kind} type '{name}' (known: {', '.join(sorted(table)) or 'none'})") from None
