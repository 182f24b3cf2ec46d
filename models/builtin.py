"""The built-in analyzer: lexicon sentiment, keyword topics, lexicon toxicity, claims-and-cues misinformation.

Everything here works offline from word lists and the operator's configuration; it is the default a
fresh install scores with, until trained models are configured.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.langid import LanguageIdentifier
from models.misinfo import CueMisinformation
from models.sentiment import LexiconSentiment
from models.topics import KeywordTopics, load_taxonomy
from models.toxicity import LexiconToxicity
from monitor.analysis import Analysis
from monitor.records import Document
from monitor.scoring import AnalysisContext


class BuiltinAnalyzer:
    def __init__(self, context: AnalysisContext) -> None:
        self.languages = LanguageIdentifier()
        self.sentiment = LexiconSentiment()
        self.topics = KeywordTopics(load_taxonomy(context.config_dir))
        self.toxicity = LexiconToxicity()
        self.misinformation = CueMisinformation(context.claims, context.source_credibility)

    def identify_languages(self, texts: Sequence[str]) -> list[str]:
        return self.languages.identify_batch(texts)

    def analyze(self, documents: Sequence[Document]) -> list[Analysis]:
        contents = [doc.content for doc in documents]
        sentiments = self.sentiment.predict_batch(contents)
        topics = self.topics.predict_batch([(doc.title, doc.text) for doc in documents])
        toxicity = self.toxicity.predict_batch(contents)
        misinformation = self.misinformation.score_batch(documents)
        return [
            Analysis(sentiment=s, topics=t, toxicity=x, misinformation=m)
            for s, t, x, m in zip(sentiments, topics, toxicity, misinformation, strict=True)
        ]
