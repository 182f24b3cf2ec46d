"""The topic taxonomy, ``configs/topics.yaml``: topic ids with a label and the keywords that signal them.

One reading of the file for everyone: the keyword scorer (``models``) matches the keywords, the metrics
and reports print the labels.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.config.yamlfile import config_error_from_validation, load_yaml

TOPICS_FILE = "topics.yaml"


class TopicDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    keywords: list[str] = Field(min_length=1)


class Taxonomy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: dict[str, TopicDefinition] = Field(min_length=1)

    @property
    def labels(self) -> dict[str, str]:
        """Topic id → its label (what reports print)."""
        return {topic_id: definition.label for topic_id, definition in self.topics.items()}


def load_taxonomy(config_dir: Path) -> Taxonomy:
    """Read ``<config_dir>/topics.yaml``; errors name the file, line and key.

    Raises:
        ConfigError: the file is missing, is not YAML, or does not match :class:`Taxonomy`.
    """
    document = load_yaml(config_dir / TOPICS_FILE)
    try:
        return Taxonomy.model_validate(document.data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document) from exc
