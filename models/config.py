"""``configs/models.yaml``: which trained model replaces which built-in scorer, and entity settings.

Every trained model is a model directory (see :mod:`models.trained.modeldir`) pinned by its digest, so
the pipeline never scores with a model other than the one the operator evaluated and approved. A task
without an entry keeps its built-in scorer.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.entities import NerSettings
from monitor.config.yamlfile import config_error_from_validation, load_yaml

MODELS_FILE = "models.yaml"


class Task(StrEnum):
    SENTIMENT = "sentiment"
    TOPIC = "topic"
    TOXICITY = "toxicity"
    MISINFORMATION = "misinformation"


class PinnedModel(BaseModel):
    """A model directory and the digest it must have (``monitor models train`` prints it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path = Field(description="Model directory; a relative path is taken from the working directory.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="The model's digest, as printed at training.")


class MisinformationModel(PinnedModel):
    positive_label: str = Field(default="unreliable", description="The label that means misinformation.")
    weight: float = Field(
        default=0.6, gt=0.0, le=1.0, description="How far the classifier alone can raise the score (0..1)."
    )


class TopicModel(PinnedModel):
    min_probability: float = Field(default=0.5, ge=0.0, le=1.0, description="Below this, no generic topic is added.")


class TrainedModels(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sentiment: PinnedModel | None = None
    topic: TopicModel | None = None
    toxicity: PinnedModel | None = None
    misinformation: MisinformationModel | None = None


class EntitySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ner: NerSettings = Field(default_factory=NerSettings)


class Defaults(StrEnum):
    """What scores a task that no trained model is pinned for."""

    SHIPPED = "shipped"  # the models trained on the open corpus, shipped in the package
    LEXICONS = "lexicons"  # the word lists and keyword topics alone (the product before it shipped models)


class ModelsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    defaults: Defaults = Field(default=Defaults.SHIPPED, description="What scores a task with no pinned model.")
    trained: TrainedModels = Field(default_factory=TrainedModels)
    entities: EntitySettings = Field(default_factory=EntitySettings)


def load_models_config(config_dir: Path) -> ModelsConfig:
    """Read ``<config_dir>/models.yaml`` (defaults when absent) over the commands' pins.

    A task pinned in ``models.yaml`` keeps that model; a task pinned only by a command
    (:mod:`models.pins`) takes the command's; errors name the file, line and key.
    """
    from models.pins import read_pins  # noqa: PLC0415 (pins builds on this module's types)

    path = config_dir / MODELS_FILE
    config = ModelsConfig()
    if path.exists():
        document = load_yaml(path)
        try:
            config = ModelsConfig.model_validate(document.data or {})
        except ValidationError as exc:
            raise config_error_from_validation(exc, document) from exc
    pins = read_pins(config_dir)
    by_hand = config.trained.model_dump(exclude_none=True)
    from_pins = {task: getattr(pins, task) for task in pins.model_fields_set if getattr(pins, task) is not None}
    merged = {**from_pins, **{task: getattr(config.trained, task) for task in by_hand}}
    return config.model_copy(update={"trained": TrainedModels(**merged)})
