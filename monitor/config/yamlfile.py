"""Reading YAML configuration with errors that name the file, the line and the key.

PyYAML's composed node tree keeps line numbers; we keep it beside the plain data so a pydantic
validation error at ``sources[2].url`` can be reported as ``configs/sources/news.yaml:14``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.errors import ConfigError


@dataclass(frozen=True)
class YamlDocument:
    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, location: Sequence[str | int]) -> int | None:
        """1-based line of the value at ``location`` (keys and list indexes), or of its nearest parent."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in location:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        child = value_node
                        line = key_node.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line


def load_yaml(path: Path) -> YamlDocument:
    """Parse one YAML file; syntax errors become :class:`ConfigError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("file not found", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", path=str(path)) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(f"invalid YAML: {exc.problem}", path=str(path), line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=str(path)) from exc
    return YamlDocument(path=path, data=data, root=root)


def dotted(location: Sequence[str | int]) -> str:
    """``("sources", 2, "url")`` → ``sources[2].url``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def config_error_from_validation(
    exc: ValidationError, document: YamlDocument, prefix: Sequence[str | int] = ()
) -> ConfigError:
    """Turn pydantic errors into one ConfigError naming file, line, key and what was expected.

    The first error leads (``file:line, key 'k': ...``); further errors follow so one run shows
    everything that is wrong.
    """
    found: list[tuple[int | None, str, str]] = []
    for error in exc.errors():
        location = (*prefix, *(part for part in error["loc"] if not _is_union_tag(part)))
        detail = error["msg"]
        if error["type"] == "extra_forbidden":
            detail = "unknown key (check the spelling; unknown keys are rejected)"
        elif "input" in error and error["type"] != "missing" and not isinstance(error["input"], dict):
            detail = f"{detail} (got {error['input']!r})"
        found.append((document.line_of(location), dotted(location), detail))
    line, key, detail = found[0]
    others = [
        f"line {other_line}, key '{other_key}': {other_detail}" for other_line, other_key, other_detail in found[1:]
    ]
    message = detail + (f"; also {'; '.join(others)}" if others else "")
    return ConfigError(message, path=str(document.path), key=key or None, line=line)


def _is_union_tag(part: str | int) -> bool:
    # Discriminated unions add the tag value ("rss", "watch"...) to error locations; it is not a key.
    return isinstance(part, str) and part.startswith("__tag__")
