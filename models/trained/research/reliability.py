"""The reliability (ReINTEL) recipe: the shared text recipe, self-trained on the unlabelled posts.

ReINTEL has 474 labelled posts and 3,288 unlabelled ones (the official test inputs). Self-training fits
the recipe on the labelled posts, labels the unlabelled posts it is sure about, and fits again on both,
so the vocabulary and weights see ten times more of the domain's wording.

Only the post text is read, at training and at scoring: the service scores texts, and has no like,
comment or share counts for a post when it first sees it. The author (``user_name``) is never read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.config import Task
from models.trained import sklearn_backend
from models.trained.base import TextClassifier
from models.trained.research.build import Fitter, Progress
from models.trained.research.datasets import TaskSpec, read_unlabelled_posts
from models.trained.train import predict_in_batches

CONFIDENCE = 0.9  # an unlabelled post joins training only when the first model is this sure of its label


class SelfTrainingFitter(Fitter):
    """Fit, pseudo-label the unlabelled posts the model is confident about, fit again on both."""

    def __init__(self, posts: Sequence[str], confidence: float = CONFIDENCE) -> None:
        super().__init__()
        self.posts = list(posts)
        self.confidence = confidence
        self.recipe = {
            **self.recipe,
            "self_training": f"{len(self.posts):,} unlabelled posts; those predicted with p >= {confidence} join",
        }

    def fit(self, texts: Sequence[str], labels: Sequence[str], progress: Progress | None, seed: int) -> TextClassifier:
        first = sklearn_backend.fit(texts, labels, seed=seed)
        probabilities = predict_in_batches(first, self.posts)
        sure = probabilities.max(axis=1) >= self.confidence
        pseudo_texts = [post for post, keep in zip(self.posts, sure, strict=True) if keep]
        pseudo_labels = [first.labels[int(i)] for i in np.argmax(probabilities[sure], axis=1)]
        if progress is not None:
            progress(f"  self-training: {len(pseudo_texts):,} of {len(self.posts):,} unlabelled posts join")
        return super().fit([*texts, *pseudo_texts], [*labels, *pseudo_labels], progress, seed)


def fitter_for(spec: TaskSpec, data_dir: Path, progress: Callable[[str], None]) -> Fitter:
    """The task's fitter: self-training where the task has unlabelled posts in the folder, else the recipe."""
    if spec.task is not Task.MISINFORMATION or spec.unlabelled is None:
        return Fitter()
    posts = read_unlabelled_posts(data_dir / spec.unlabelled)
    if not posts:
        progress(f"{spec.task.value}: no unlabelled posts in {data_dir / spec.unlabelled}; no self-training")
        return Fitter()
    return SelfTrainingFitter(posts)
