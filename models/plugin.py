"""Registers the NLP package's analyzers with the monitor (entry point ``monitor.plugins``)."""

from __future__ import annotations

from models.builtin import BuiltinAnalyzer
from models.cli import add_commands
from monitor.ingestion.registry import Registry
from monitor.ingestion.scoring import AnalysisContext, Analyzer


def _builtin(context: AnalysisContext) -> Analyzer:
    return BuiltinAnalyzer(context)


def register(registry: Registry) -> None:
    registry.add_analyzer("builtin", _builtin)
    registry.add_commands(add_commands)
