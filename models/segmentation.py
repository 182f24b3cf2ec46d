"""Sentence splitting and word segmentation with underthesea's offline CRF models.

underthesea's package ``__init__`` also imports its optional deep-learning pipelines (classification,
sentiment, translation...), which pull in torch and transformers: ~520 MB and ~2.5 s in every process
that only wants the CRF word segmenter (~25 MB). :func:`underthesea_module` imports the package with
those optional pipelines hidden, which underthesea itself tolerates (they become ``None``, as when their
dependencies are not installed). Nothing here downloads anything: the CRF models ship in the package.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

from monitor.errors import ModelError

# Submodules underthesea imports at start-up only to offer optional deep-learning functions.
_OPTIONAL_PIPELINES = (
    "underthesea.pipeline.classification",
    "underthesea.pipeline.sentiment",
    "underthesea.pipeline.lang_detect",
    "underthesea.pipeline.dependency_parse",
    "underthesea.pipeline.translate",
    "underthesea.agent",
    "underthesea.address",
)
_import_lock = threading.Lock()


def underthesea_module() -> ModuleType:
    """The ``underthesea`` package, imported without its torch-based optional pipelines."""
    with _import_lock:
        loaded = sys.modules.get("underthesea")
        if loaded is not None:
            return loaded
        hidden = [name for name in _OPTIONAL_PIPELINES if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # makes "import name" raise ImportError
        try:
            import underthesea  # noqa: F401, PLC0415  (deferred: only processes that segment pay for it)
        except ImportError as exc:
            raise ModelError(f"underthesea is not installed; word segmentation is unavailable: {exc}") from exc
        finally:
            for name in hidden:
                if sys.modules.get(name) is None:
                    del sys.modules[name]
        module = sys.modules["underthesea"]
        # underthesea publishes its word-segmentation model in a global before loading it: a second thread
        # segmenting meanwhile would find it half-built. Loading it here, under the lock, closes that gap.
        module.word_tokenize("Đồng Nai")
        return module


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (underthesea's sentence splitter; a line break always ends one)."""
    split = underthesea_module().sent_tokenize
    return [sentence for line in text.splitlines() if line.strip() for sentence in split(line)]


def words(text: str) -> list[str]:
    """Vietnamese words of ``text``: syllables joined into words ("Long Thành", "tiến độ")."""
    segmented: list[str] = underthesea_module().word_tokenize(text)
    return segmented
