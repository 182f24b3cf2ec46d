"""Loading the installed plugins (``crawlers``, ``models`` and third-party ones) into a registry.

Plugins are declared as ``monitor.plugins`` entry points whose target is a ``register(registry)``
function, so ``monitor`` never imports them at module level and nothing happens on import.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from monitor.errors import ConfigError
from monitor.ingestion.registry import Registry

ENTRY_POINT_GROUP = "monitor.plugins"


def load_plugins(registry: Registry | None = None) -> Registry:
    """Call every installed plugin's ``register`` on ``registry`` (a new one by default)."""
    target = registry if registry is not None else Registry()
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    if not found:
        raise ConfigError(
            "no monitor plugins are installed; install the project (pip install -e .) so its "
            f"'{ENTRY_POINT_GROUP}' entry points exist"
        )
    for entry_point in found:
        try:
            register = entry_point.load()
        except ImportError as exc:
            raise ConfigError(f"plugin '{entry_point.name}' ({entry_point.value}) cannot be imported: {exc}") from exc
        register(target)
    return target
