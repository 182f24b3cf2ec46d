"""Where ``monitor`` finds source types and analyzers without importing the packages that define them.

Plugins fill a :class:`Registry` explicitly (see :mod:`monitor.ingestion.plugins`); nothing registers itself as a
side effect of being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import ConfigError
from monitor.ingestion.scoring import AnalysisContext, Analyzer
from monitor.ingestion.sources import Source, SourceSpec

SourceFactory = Callable[[SourceSpec], Source]
FeedDiscoverer = Callable[[str, str], list[tuple[str, str]]]  # (page html, page url) → [(feed url, title)]
AnalyzerFactory = Callable[[AnalysisContext], Analyzer]
# Adds subcommands to the ``monitor`` command line: receives argparse's subparsers object.
CommandInstaller = Callable[[Any], None]


@dataclass(frozen=True)
class SourceType:
    spec_class: type[SourceSpec]
    factory: SourceFactory


@dataclass
class Registry:
    source_types: dict[str, SourceType] = field(default_factory=dict)
    analyzers: dict[str, AnalyzerFactory] = field(default_factory=dict)
    feed_discoverer: FeedDiscoverer | None = None
    command_installers: list[CommandInstaller] = field(default_factory=list)

    def add_source_type(self, name: str, spec_class: type[SourceSpec], factory: SourceFactory) -> None:
        if name in self.source_types:
            raise ConfigError(f"source type '{name}' is registered twice")
        self.source_types[name] = SourceType(spec_class, factory)

    def add_analyzer(self, name: str, factory: AnalyzerFactory) -> None:
        if name in self.analyzers:
            raise ConfigError(f"analyzer '{name}' is registered twice")
        self.analyzers[name] = factory

    def add_commands(self, installer: CommandInstaller) -> None:
        self.command_installers.append(installer)

    def source_type(self, name: str) -> SourceType:
        try:
            return self.source_types[name]
        except KeyError:
            known = ", ".join(sorted(self.source_types)) or "none registered"
            raise ConfigError(f"unknown source type '{name}' (known: {known})") from None

    def analyzer(self, name: str) -> AnalyzerFactory:
        try:
            return self.analyzers[name]
        except KeyError:
            known = ", ".join(sorted(self.analyzers)) or "none registered"
            raise ConfigError(f"unknown analyzer '{name}' (known: {known})") from None
