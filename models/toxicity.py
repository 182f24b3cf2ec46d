"""Built-in toxicity baseline: lists of offensive and hateful expressions."""

from __future__ import annotations

from collections.abc import Sequence

from models.phrases import PhraseMatcher
from models.resources import load_resource
from models.tokens import word_tokens
from monitor.analysis import ModelRef, ToxicityLabel, ToxicityScore


class LexiconToxicity:
    model = ModelRef(name="builtin-lexicon-toxicity", version="1")

    def __init__(self) -> None:
        data = load_resource("toxicity_vi.yaml")
        phrases = dict.fromkeys(data["offensive"], ToxicityLabel.OFFENSIVE)
        phrases.update(dict.fromkeys(data["hate"], ToxicityLabel.HATE))
        self._matcher = PhraseMatcher(phrases)

    def predict(self, text: str) -> ToxicityScore:
        found = {match.value for match in self._matcher.find(word_tokens(text, expand_teencode=False))}
        if ToxicityLabel.HATE in found:
            probabilities = {ToxicityLabel.CLEAN: 0.1, ToxicityLabel.OFFENSIVE: 0.2, ToxicityLabel.HATE: 0.7}
        elif ToxicityLabel.OFFENSIVE in found:
            probabilities = {ToxicityLabel.CLEAN: 0.25, ToxicityLabel.OFFENSIVE: 0.7, ToxicityLabel.HATE: 0.05}
        else:
            probabilities = {ToxicityLabel.CLEAN: 0.9, ToxicityLabel.OFFENSIVE: 0.08, ToxicityLabel.HATE: 0.02}
        label = max(probabilities, key=lambda k: probabilities[k])
        return ToxicityScore(label=label, probabilities=probabilities, model=self.model)

    def predict_batch(self, texts: Sequence[str]) -> list[ToxicityScore]:
        return [self.predict(text) for text in texts]
