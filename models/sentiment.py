"""Built-in sentiment baseline: a Vietnamese lexicon with negation, intensifiers and emoji.

No training data needed, so a fresh install scores documents. Trained models replace it through
configuration (same ``predict_batch`` interface).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.phrases import PhraseMatcher
from models.resources import load_resource
from models.tokens import word_tokens
from monitor.analysis import ModelRef, Reason, SentimentLabel, SentimentScore

NEGATION_LOOKBACK = 3
# Evidence needed before a text leaves "neutral": one clear word tips it, half a weak one does not.
NEUTRAL_MASS = 0.5


MAX_REASONS = 3


@dataclass(frozen=True)
class _Evidence:
    positive: float
    negative: float
    phrases: dict[str, float]  # phrase -> signed weight (negated phrases carry "không ...")


def _reasons(evidence: _Evidence, label: SentimentLabel) -> tuple[Reason, ...]:
    """The lexicon phrases that pulled toward ``label`` (none for neutral: it is the absence of evidence)."""
    sign = {SentimentLabel.POSITIVE: 1.0, SentimentLabel.NEGATIVE: -1.0}.get(label)
    if sign is None:
        return ()
    toward = sorted(((p, w * sign) for p, w in evidence.phrases.items() if w * sign > 0), key=lambda x: (-x[1], x[0]))
    total = sum(w for _, w in toward)
    return tuple(
        Reason(kind="lexicon", detail=f'"{phrase}" → {label.value}', weight=round(w / total, 3), ref=phrase)
        for phrase, w in toward[:MAX_REASONS]
    )


class LexiconSentiment:
    """Sentiment from weighted lexicon hits; probabilities from the balance of evidence."""

    model = ModelRef(name="builtin-lexicon-sentiment", version="1")

    def __init__(self) -> None:
        data = load_resource("sentiment_vi.yaml")
        polarity: dict[str, float] = {str(k): float(v) for k, v in data["positive"].items()}
        polarity.update({str(k): -float(v) for k, v in data["negative"].items()})
        self._polarity = PhraseMatcher(polarity)
        self._negators = PhraseMatcher(dict.fromkeys(data["negators"], True))
        self._intensifiers = PhraseMatcher({str(k): float(v) for k, v in data["intensifiers"].items()})
        self._positive_emoji = tuple(data["emoji"]["positive"])
        self._negative_emoji = tuple(data["emoji"]["negative"])

    def _evidence(self, text: str) -> _Evidence:
        tokens = word_tokens(text)
        negated_at = {m.end for m in self._negators.find(tokens)}
        boosts = {m.end: m.value for m in self._intensifiers.find(tokens)}
        positive = negative = 0.0
        phrases: dict[str, float] = {}
        for match in self._polarity.find(tokens):
            weight = match.value
            if any(match.start - back in boosts for back in range(NEGATION_LOOKBACK)):
                weight *= max(boosts.get(match.start - back, 1.0) for back in range(NEGATION_LOOKBACK))
            if match.end in boosts:  # "đẹp quá", "tệ lắm": intensifier after the word
                weight *= boosts[match.end]
            phrase = match.phrase
            if any(match.start - back in negated_at for back in range(NEGATION_LOOKBACK)):
                weight = -0.7 * weight  # "không tốt" is negative, but weaker than "tệ"
                phrase = f"không … {phrase}"
            phrases[phrase] = phrases.get(phrase, 0.0) + weight
            if weight > 0:
                positive += weight
            else:
                negative -= weight
        for emoji_set, sign in ((self._positive_emoji, 1.0), (self._negative_emoji, -1.0)):
            for emoji in emoji_set:
                if count := text.count(emoji):
                    phrases[emoji] = phrases.get(emoji, 0.0) + sign * 0.8 * count
        positive += 0.8 * sum(text.count(e) for e in self._positive_emoji)
        negative += 0.8 * sum(text.count(e) for e in self._negative_emoji)
        return _Evidence(positive, negative, phrases)

    def predict(self, text: str) -> SentimentScore:
        evidence = self._evidence(text)
        # Saturate so a long article does not become certain just by being long.
        pos = 3 * (1 - math.exp(-evidence.positive / 3))
        neg = 3 * (1 - math.exp(-evidence.negative / 3))
        total = pos + neg + NEUTRAL_MASS
        probabilities = {
            SentimentLabel.POSITIVE: pos / total,
            SentimentLabel.NEGATIVE: neg / total,
            SentimentLabel.NEUTRAL: NEUTRAL_MASS / total,
        }
        label = max(probabilities, key=lambda k: probabilities[k])
        rounded = {k: round(v, 4) for k, v in probabilities.items()}
        return SentimentScore(label=label, probabilities=rounded, model=self.model, reasons=_reasons(evidence, label))

    def predict_batch(self, texts: Sequence[str]) -> list[SentimentScore]:
        return [self.predict(text) for text in texts]
