"""Built-in toxicity baseline: lists of offensive and hateful expressions."""

from __future__ import annotations

from collections.abc import Sequence

from models.phrases import PhraseMatcher
from models.resources import load_resource
from models.tokens import word_tokens
from monitor.analysis import ModelRef, Reason, ToxicityLabel, ToxicityScore

MAX_REASONS = 3


class LexiconToxicity:
    model = ModelRef(name="builtin-lexicon-toxicity", version="1")

    def __init__(self) -> None:
        data = load_resource("toxicity_vi.yaml")
        phrases = dict.fromkeys(data["offensive"], ToxicityLabel.OFFENSIVE)
        phrases.update(dict.fromkeys(data["hate"], ToxicityLabel.HATE))
        self._matcher = PhraseMatcher(phrases)

    def predict(self, text: str) -> ToxicityScore:
        matches = list(self._matcher.find(word_tokens(text, expand_teencode=False)))
        found = {match.value for match in matches}
        if ToxicityLabel.HATE in found:
            probabilities = {ToxicityLabel.CLEAN: 0.1, ToxicityLabel.OFFENSIVE: 0.2, ToxicityLabel.HATE: 0.7}
        elif ToxicityLabel.OFFENSIVE in found:
            probabilities = {ToxicityLabel.CLEAN: 0.25, ToxicityLabel.OFFENSIVE: 0.7, ToxicityLabel.HATE: 0.05}
        else:
            probabilities = {ToxicityLabel.CLEAN: 0.9, ToxicityLabel.OFFENSIVE: 0.08, ToxicityLabel.HATE: 0.02}
        label = max(probabilities, key=lambda k: probabilities[k])
        phrases = sorted({match.phrase for match in matches if match.value is label})[:MAX_REASONS]
        reasons = tuple(
            Reason(kind="lexicon", detail=f'"{p}" → {label.value}', weight=round(1 / len(phrases), 3), ref=p)
            for p in phrases
        )
        return ToxicityScore(label=label, probabilities=probabilities, model=self.model, reasons=reasons)

    def predict_batch(self, texts: Sequence[str]) -> list[ToxicityScore]:
        return [self.predict(text) for text in texts]
