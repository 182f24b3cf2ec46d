"""Built-in misinformation score: registered claims, source credibility and rumour cues, with reasons.

Misinformation means a checkable claim contradicted by evidence (DESIGN.md). So the strongest signal
is similarity to a claim the office has registered as false, with its official correction. Rumour cues
("nghe nói", "chia sẻ gấp") only raise suspicion and are capped below what a registered claim gives.
Criticism and negative sentiment are not inputs. A post that cites the correction is the opposite of a
repeat and scores low; the operator's credibility rating of the source scales the result. No author
identity or stance is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from models.phrases import PhraseMatcher
from models.resources import load_resource
from models.tokens import word_tokens
from monitor.analysis import MisinfoScore, ModelRef, Reason
from monitor.ingestion.scoring import Claim
from monitor.ingestion.sources import Credibility
from monitor.records import Document
from monitor.text import fold

# Function words that carry no claim content (folded).
_STOPWORDS = frozenset(
    "la cua va cac nhung mot co khong duoc cho o tai da se bi thi ma nay do de voi trong tren tu "
    "nguoi dan ve ra vao lai con cung nhu rat qua roi di den khi thi oi nha".split()
)
# Words that, just before a correction cue, say no correction exists yet ("chưa có thông báo chính thức",
# "đợi thông báo chính thức").
_NEGATORS = frozenset({"chưa", "không", "chẳng", "chả", "chua", "khong", "chang", "đợi", "chờ"})
NEGATION_LOOKBACK = 2
CLAIM_MATCH_MIN = 0.5
# Share of the correction's wording a document must carry to count as relaying it without a denial cue;
# with one ("sai sự thật", "tin giả"), a smaller share is enough.
CORRECTION_MATCH_MIN = 0.6
CORRECTION_WITH_CUE_MIN = 0.25
KEYWORD_SIMILARITY = 0.9
CLAIM_WEIGHT = 0.85
CUE_CAP = 0.65
CREDIBILITY_FACTOR = {
    Credibility.OFFICIAL: 0.2,
    Credibility.ESTABLISHED: 0.5,
    Credibility.UNKNOWN: 1.0,
    Credibility.LOW: 1.25,
}
CORRECTION_FACTOR = 0.2
SHOUTING_WEIGHT = 0.1
ALARM_EMOJI = ("⚠️", "⚠", "🚨", "‼️", "❗")


def _content_words(text: str) -> list[str]:
    return [fold(word) for word in word_tokens(text) if fold(word) not in _STOPWORDS]


def _bigrams(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(pairwise(words))


@dataclass(frozen=True)
class _Wording:
    """The content words of one sentence (a claim or its correction), for overlap measures."""

    words: frozenset[str]
    bigrams: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, text: str) -> _Wording:
        words = _content_words(text)
        return cls(frozenset(words), frozenset(_bigrams(words)))

    def overlap(self, words: set[str], bigrams: set[tuple[str, str]]) -> float:
        """Share of the sentence's content found in the document, in [0, 1]."""
        unigram = len(self.words & words) / len(self.words) if self.words else 0.0
        bigram = len(self.bigrams & bigrams) / len(self.bigrams) if self.bigrams else unigram
        return (unigram + bigram) / 2


@dataclass(frozen=True)
class _ClaimIndex:
    claim: Claim
    wording: _Wording
    correction: _Wording
    keywords: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, claim: Claim) -> _ClaimIndex:
        keywords = tuple(tuple(_content_words(k)) for k in claim.keywords if _content_words(k))
        return cls(claim, _Wording.of(claim.text), _Wording.of(claim.correction), keywords)

    def similarity(self, words: set[str], bigrams: set[tuple[str, str]], folded_text: str) -> float:
        """How much of the claim the document repeats, in [0, 1]."""
        # Keywords are alternative phrasings of the claim: any one of them is strong evidence.
        keyword_hit = KEYWORD_SIMILARITY if any(" ".join(k) in folded_text for k in self.keywords) else 0.0
        return max(self.wording.overlap(words, bigrams), keyword_hit)

    def relays_correction(
        self, document: Document, words: set[str], bigrams: set[tuple[str, str]], *, similarity: float, cue: bool
    ) -> bool:
        """Whether the document relays this claim's official correction: it links to the statement, repeats
        most of its wording, or denies the claim (a correction cue) while naming it or the statement."""
        url = self.claim.correction_url
        if url and (url in document.text or url == document.url):
            return True
        overlap = self.correction.overlap(words, bigrams)
        if overlap >= CORRECTION_MATCH_MIN:
            return True
        return cue and (similarity >= CLAIM_MATCH_MIN or overlap >= CORRECTION_WITH_CUE_MIN)


class CueMisinformation:
    """Scores documents; built from the claim registry and the source credibility list."""

    model = ModelRef(name="builtin-claims-cues-misinformation", version="1")

    def __init__(self, claims: Sequence[Claim], credibility: Mapping[str, Credibility]) -> None:
        data = load_resource("misinfo_cues_vi.yaml")
        self._claims: list[_ClaimIndex] = []
        self.use_claims(claims)
        self._credibility = dict(credibility)
        self._cues = PhraseMatcher(
            {
                str(phrase): (kind, float(weight))
                for kind in ("unattributed", "urgency", "sensational")
                for phrase, weight in data[kind].items()
            }
        )
        self._corrections = PhraseMatcher({str(phrase): float(w) for phrase, w in data["correction"].items()})

    def use_claims(self, claims: Sequence[Claim]) -> None:
        """Match against ``claims`` from now on (the registry changed: a case registered a claim)."""
        self._claims = [_ClaimIndex.of(claim) for claim in claims]

    def score(self, document: Document) -> MisinfoScore:
        content = document.content
        tokens = word_tokens(content)
        reasons: list[Reason] = []

        correction = next((m for m in self._corrections.find(tokens) if not self._negated(tokens, m.start)), None)
        claim_component = 0.0
        claim_ids: list[str] = []
        relayed: list[str] = []  # claims whose official correction the document relays
        if self._claims:
            words = [word for word in fold(" ".join(tokens)).split() if word not in _STOPWORDS]
            folded_text = " ".join(words)
            word_set, bigram_set = set(words), _bigrams(words)
            for index in self._claims:
                similarity = index.similarity(word_set, bigram_set, folded_text)
                if similarity >= CLAIM_MATCH_MIN:
                    weight = CLAIM_WEIGHT * min(1.0, similarity / 0.8)
                    claim_ids.append(index.claim.id)
                    reasons.append(
                        Reason(
                            kind="claim_match",
                            ref=index.claim.id,
                            weight=round(weight, 3),
                            detail=f"repeats the registered false claim '{index.claim.text}' "
                            f"(similarity {similarity:.2f})",
                        )
                    )
                    claim_component = max(claim_component, weight)
                if index.relays_correction(
                    document, word_set, bigram_set, similarity=similarity, cue=correction is not None
                ):
                    relayed.append(index.claim.id)

        remaining = 1.0
        for match in self._cues.find(tokens):
            kind, weight = match.value
            remaining *= 1 - weight
            reasons.append(
                Reason(
                    kind=f"cue:{kind}", ref=match.phrase, weight=weight, detail=f"rumour cue '{match.phrase}' ({kind})"
                )
            )
        if self._shouting(content):
            remaining *= 1 - SHOUTING_WEIGHT
            reasons.append(
                Reason(
                    kind="cue:style",
                    ref="alarm",
                    weight=SHOUTING_WEIGHT,
                    detail="alarm styling (capitals, '!!!' or warning emoji)",
                )
            )
        cue_component = min(CUE_CAP, 1 - remaining)

        score = 1 - (1 - claim_component) * (1 - cue_component)
        if correction is not None or relayed:
            # Recorded even when nothing else scored: a reply citing a denial relays the correction of
            # whatever claim its thread is about (the claim registry links it through the parent).
            score *= CORRECTION_FACTOR
            cited = f"'{correction.phrase}'" if correction is not None else f"the correction of '{relayed[0]}'"
            reasons.append(
                Reason(
                    kind="cites_correction",
                    ref=correction.phrase if correction is not None else relayed[0],
                    weight=1 - CORRECTION_FACTOR,
                    detail=f"cites a denial or correction ({cited}): lowers the score",
                )
            )
        credibility = self._credibility.get(document.source_id, Credibility.UNKNOWN)
        factor = CREDIBILITY_FACTOR[credibility]
        if factor != 1.0 and score > 0:
            score *= factor
            reasons.append(
                Reason(
                    kind="source_credibility",
                    ref=document.source_id,
                    weight=round(min(1.0, abs(1 - factor)), 3),
                    detail=f"source '{document.source_id}' is rated {credibility.value} "
                    f"by the operator (score x{factor})",
                )
            )
        return MisinfoScore(
            score=round(min(1.0, score), 4),
            reasons=tuple(reasons),
            model=self.model,
            claim_ids=tuple(claim_id for claim_id in claim_ids if claim_id not in relayed),
            corrected_claim_ids=tuple(relayed),
        )

    @staticmethod
    def _negated(tokens: list[str], start: int) -> bool:
        """'chưa có thông báo chính thức' denies that a correction exists: it is not a citation."""
        before = tokens[max(0, start - NEGATION_LOOKBACK) : start]
        return any(word in _NEGATORS for word in before)

    @staticmethod
    def _shouting(text: str) -> bool:
        letters = [ch for ch in text if ch.isalpha()]
        capitals = sum(ch.isupper() for ch in letters)
        many_capitals = len(letters) >= 20 and capitals / len(letters) > 0.5
        return many_capitals or "!!!" in text or any(e in text for e in ALARM_EMOJI)

    def score_batch(self, documents: Sequence[Document]) -> list[MisinfoScore]:
        return [self.score(document) for document in documents]
