"""The project's analyzer: built-in scorers, replaced task by task by trained models, plus entities.

Without configuration everything works offline from word lists and the operator's files: lexicon
sentiment, keyword topics, lexicon toxicity, claims-and-cues misinformation, and the gazetteer with
bounded NER. ``configs/models.yaml`` swaps in trained models (pinned by digest) for any of the four
tasks; the misinformation classifier adds to the claims and cues rather than replacing them, since a
registered false claim must always count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from models.config import MODELS_FILE, Defaults, ModelsConfig, load_models_config
from models.entities import EntityRecognizer
from models.langid import LanguageIdentifier
from models.markup import extract_markup
from models.misinfo import CueMisinformation
from models.sentiment import LexiconSentiment
from models.topics import KeywordTopics
from models.toxicity import LexiconToxicity
from monitor.analysis import Analysis, EntityMention, MisinfoScore, ModelRef, SentimentScore, ToxicityScore
from monitor.config.topics import load_taxonomy
from monitor.ingestion.scoring import AnalysisContext, Claim
from monitor.records import Document

if TYPE_CHECKING:
    from models.taxonomy_topics import TaxonomyTopics
    from models.trained_scorers import TrainedMisinformation, TrainedTopic

S = TypeVar("S")


class Scorer(Protocol[S]):
    """A scorer of one task over a batch of texts (a lexicon, a shipped or a pinned model)."""

    @property
    def model(self) -> ModelRef: ...

    def predict_batch(self, texts: Sequence[str]) -> list[S]: ...


class BuiltinAnalyzer:
    def __init__(self, context: AnalysisContext, config: ModelsConfig | None = None) -> None:
        settings = config if config is not None else load_models_config(context.config_dir)
        models_file = context.config_dir / MODELS_FILE
        trained = settings.trained
        self.languages = LanguageIdentifier()
        keywords = KeywordTopics(load_taxonomy(context.config_dir))
        self.sentiment: Scorer[SentimentScore] = LexiconSentiment()
        self.topics: KeywordTopics | TaxonomyTopics = keywords
        self.news_topic: TrainedTopic | None = None
        self.toxicity: Scorer[ToxicityScore] = LexiconToxicity()
        self.misinformation = CueMisinformation(context.claims, context.source_credibility)
        self.misinformation_classifier: TrainedMisinformation | None = None
        if settings.defaults is Defaults.SHIPPED:
            # Imported only when used: numpy and the model files are a cost the lexicons do not need.
            from models.shipped.defaults import shipped_scorers  # noqa: PLC0415

            shipped = shipped_scorers(keywords)
            self.sentiment = shipped.sentiment or self.sentiment
            self.topics = shipped.topics or self.topics
            self.toxicity = shipped.toxicity or self.toxicity
        if trained.sentiment or trained.topic or trained.toxicity or trained.misinformation:
            from models import trained_scorers  # noqa: PLC0415

            if trained.sentiment:
                self.sentiment = trained_scorers.pinned_sentiment(trained.sentiment, models_file)
            if trained.topic:
                self.news_topic = trained_scorers.TrainedTopic.from_pin(trained.topic, models_file)
            if trained.toxicity:
                self.toxicity = trained_scorers.pinned_toxicity(trained.toxicity, models_file)
            if trained.misinformation:
                self.misinformation_classifier = trained_scorers.TrainedMisinformation(
                    trained.misinformation, models_file
                )
        self.entities = EntityRecognizer.from_config_dir(context.config_dir, settings.entities.ner)

    def use_claims(self, claims: Sequence[Claim]) -> None:
        self.misinformation.use_claims(claims)

    def identify_languages(self, texts: Sequence[str]) -> list[str]:
        return self.languages.identify_batch(texts)

    def analyze(self, documents: Sequence[Document]) -> list[Analysis]:
        contents = [doc.content for doc in documents]
        sentiments: list[SentimentScore] = self.sentiment.predict_batch(contents)
        topics = self.topics.predict_batch([(doc.title, doc.text) for doc in documents])
        if self.news_topic is not None:
            topics = [
                result if extra is None else result.model_copy(update={"topics": (*result.topics, extra)})
                for result, extra in zip(topics, self.news_topic.predict_batch(contents), strict=True)
            ]
        toxicity: list[ToxicityScore] = self.toxicity.predict_batch(contents)
        misinformation = self._misinformation(documents, contents)
        entities = self.entities.find_batch(contents)
        return [
            Analysis(
                sentiment=s,
                topics=t,
                toxicity=x,
                misinformation=m,
                entities=e,
                watchlist_hits=_watchlist_hits(e),
                markup=extract_markup(content),
            )
            for s, t, x, m, e, content in zip(
                sentiments, topics, toxicity, misinformation, entities, contents, strict=True
            )
        ]

    def _misinformation(self, documents: Sequence[Document], contents: list[str]) -> list[MisinfoScore]:
        scores = self.misinformation.score_batch(documents)
        classifier = self.misinformation_classifier
        if classifier is None:
            return scores
        combined = []
        for score, probability in zip(scores, classifier.predict_batch(contents), strict=True):
            reason = classifier.reason(probability)
            combined.append(
                score.model_copy(
                    update={
                        "score": round(1 - (1 - score.score) * (1 - reason.weight), 4),
                        "reasons": (*score.reasons, reason),
                        "model": ModelRef(
                            name=f"{score.model.name}+{classifier.model.name}",
                            version=f"{score.model.version}+{classifier.model.version}",
                        ),
                    }
                )
            )
        return combined


def _watchlist_hits(entities: tuple[EntityMention, ...]) -> tuple[str, ...]:
    """The gazetteer entries a document mentions, in order of first mention."""
    return tuple(dict.fromkeys(entity.ref for entity in entities if entity.ref is not None))
