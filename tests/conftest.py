"""Shared fixtures: a configuration folder with the bundled sample corpus, and assembled monitors."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.config.settings import load_settings
from monitor.context import Monitor, build_monitor
from monitor.ingestion.crawl import CycleReport, crawl_cycle

if TYPE_CHECKING:
    from tests.browser import Browser

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The operator's own MONITOR_* variables must not leak into the tests' configuration.
for _name in [name for name in os.environ if name.startswith("MONITOR_")]:
    del os.environ[_name]

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_config_dir(target: Path, *, live_sources: bool = False, workers: int | None = 0) -> Path:
    """Copy configs/ to ``target`` (without the live news feeds unless asked) with data in target/var.

    Scoring runs in the test process unless ``workers`` asks for worker processes (None: the default,
    one per core): starting processes for every test would only slow the suite down.
    """
    shutil.copytree(CONFIGS, target)
    if not live_sources:
        (target / "sources" / "news.yaml").unlink()
    settings = (target / "settings.yaml").read_text(encoding="utf-8")
    settings = settings.replace("data_dir: ../var", f"data_dir: {target / 'var'}")
    if workers is not None:
        settings += f"\nworkers: {workers}\n"
    (target / "settings.yaml").write_text(settings, encoding="utf-8")
    return target


def open_monitor(config_dir: Path) -> Monitor:
    return build_monitor(load_settings(config_dir))


def crawl(monitor: Monitor) -> CycleReport:
    return asyncio.run(crawl_cycle(monitor))


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return make_config_dir(tmp_path / "configs")


@pytest.fixture
def monitor(config_dir: Path) -> Iterator[Monitor]:
    instance = open_monitor(config_dir)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Monitor, CycleReport]]:
    """The sample corpus crawled once (read-only for the tests that share it)."""
    instance = open_monitor(make_config_dir(tmp_path_factory.mktemp("sample") / "configs"))
    report = crawl(instance)
    yield instance, report
    instance.close()


@pytest.fixture(scope="session")
def elasticsearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Elasticsearch: $ELASTICSEARCH_URL if set, else the pinned test distribution started here."""
    given = os.environ.get("ELASTICSEARCH_URL")
    if given:
        yield given
        return
    from tests import elasticsearch_server

    home = elasticsearch_server.ensure_distribution()
    server = elasticsearch_server.start(home, tmp_path_factory.mktemp("elasticsearch"))
    try:
        yield server.url
    finally:
        elasticsearch_server.stop(server)


# Screenshots of the console's pages, written by the browser tests to a folder the run names at its end.
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", REPO / "build" / "screenshots"))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """A headless chromium (see tests/browser.py) with a fresh profile; screenshots in :data:`SCREENSHOTS`."""
    from tests.browser import open_browser  # selenium loads only for the tests that drive a browser

    with open_browser(tmp_path / "chromium-profile", SCREENSHOTS) as driven:
        yield driven


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the folder of the screenshots this run wrote (the README points at it)."""
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"Screenshots of the console: {SCREENSHOTS} ({len(shots)} pages)")
