"""Story clustering: syndicated copies and lightly edited reposts of one text grouped into one story.

Each document is reduced to a set of shingles of its accent-folded words (:func:`monitor.text.tokens`, so
``Đồng Nai`` and ``Dong Nai`` are the same): three-word shingles, or single words for very short posts.
Identical word sequences are exact duplicates. Otherwise a MinHash signature estimates the Jaccard
similarity of two shingle sets, and locality-sensitive hashing (LSH) over bands of the signature finds
the few stored documents worth comparing, so assigning a document costs a handful of indexed lookups
however many documents are stored.

A repost usually copies one paragraph of an article, and a paragraph is a small part of the article's
shingles, so long documents are also indexed paragraph by paragraph ("passages"). A document matches a
stored one when the whole of one is similar to the whole or to a passage of the other. Passages are never
compared with passages: two different reports sharing one boilerplate paragraph stay two stories.

Stories never merge and a document never moves: a story's id is the doc_id of its first member, and
assigning a doc_id again returns what it got the first time.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from monitor.db import Database, Transaction
from monitor.errors import StoreError
from monitor.records import Document, utc_now
from monitor.text import uncached_tokens

U64Array = npt.NDArray[np.uint64]
U32Array = npt.NDArray[np.uint32]

# Parameters. Two texts of Jaccard similarity s share at least one of b bands of r rows, and so are compared at
# all, with probability 1 - (1 - s**r)**b. For 32 x 4 that is 5% at s=0.2, 23% at 0.3, 56% at 0.4, 87% at 0.5,
# 99% at 0.6 and 99.98% at 0.7: the curve turns at (1/32)**(1/4) = 0.42, just below the default threshold
# of 0.5 that confirms a match. Copies measure well above it: a syndicated copy with its own lead and footers
# and one changed sentence 0.7-0.85, a repost against the paragraph it copies 0.8-0.95. Different reports on
# the same topic (same place names, same phrases) stay under 0.15 even when they share a paragraph word for
# word (see tests/monitor/ingestion/test_stories.py). 16 x 8 (turning at 0.71) would miss the looser copies; 64 x 2
# (0.13) would compare every article with every other on its topic. With 128 values the estimate's standard
# error is sqrt(s(1 - s) / 128) = 0.044 at s=0.5, small beside those margins.
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
DEFAULT_THRESHOLD = 0.5
# One changed word removes three three-word shingles, so below about ten words no edit at all would keep a
# text above 0.5; posts shorter than SHORT_TEXT_WORDS are compared as sets of words instead. Word sets of
# short posts overlap easily ("Biên Hòa ngập rồi" / "Biên Hòa mưa rồi" = 0.6), so they need SHORT_THRESHOLD:
# one word added to or changed in a 7-word post still passes.
SHINGLE_WORDS = 3
SHORT_TEXT_WORDS = 8
SHORT_THRESHOLD = 0.75
# Fewer words than this ("ok", "😢", "đúng rồi") say nothing about being a copy: such a post is its own story.
MIN_WORDS = 3
# Lines are joined into passages of at least MIN_PASSAGE_WORDS (a title or a "(Theo Báo Đồng Nai)" footer
# joins its neighbour); texts with two or more passages index up to MAX_PASSAGES of them, in their first
# PASSAGE_BANDS bands only. That halves the rows (and pages written per commit) an article adds, while a copied
# paragraph, at 0.8-0.95 against its passage, is still found 99.98% of the time at 0.8 and 98.8% at 0.7.
MIN_PASSAGE_WORDS = 20
MAX_PASSAGES = 24
PASSAGE_BANDS = 16
MAX_CANDIDATES = 100  # stored signatures compared per lookup, those sharing the most bands first
# Changing anything above but the thresholds changes what is stored: an index built otherwise refuses to open.
SCHEME = (
    f"minhash-blake2b-splitmix-u32-v1 perm={NUM_PERM} bands={BANDS}x{ROWS} shingle={SHINGLE_WORDS} "
    f"short<{SHORT_TEXT_WORDS} min={MIN_WORDS} passage>={MIN_PASSAGE_WORDS} passages={MAX_PASSAGES}x{PASSAGE_BANDS}"
)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS story_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS story_stories (
        story_id TEXT PRIMARY KEY, first_doc_id TEXT NOT NULL, created_ts INTEGER NOT NULL, members INTEGER NOT NULL
    )""",
    # content_hash and signature are NULL for texts too short to match anything.
    """CREATE TABLE IF NOT EXISTS story_members (
        member INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL UNIQUE,
        story_id TEXT NOT NULL REFERENCES story_stories (story_id),
        content_hash BLOB,
        signature BLOB,
        exact INTEGER NOT NULL,
        similarity REAL,
        matched_doc_id TEXT,
        published_ts INTEGER NOT NULL,
        assigned_ts INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS story_members_story ON story_members (story_id, member)",
    "CREATE INDEX IF NOT EXISTS story_members_content ON story_members (content_hash)",
    """CREATE TABLE IF NOT EXISTS story_passages (
        member INTEGER NOT NULL REFERENCES story_members (member), passage INTEGER NOT NULL,
        signature BLOB NOT NULL, PRIMARY KEY (member, passage)
    ) WITHOUT ROWID""",
    # Passage 0 is the whole text. Each band's hash is salted with the band's number, so one column suffices.
    """CREATE TABLE IF NOT EXISTS story_bands (
        band_hash INTEGER NOT NULL, member INTEGER NOT NULL, passage INTEGER NOT NULL,
        PRIMARY KEY (band_hash, member, passage)
    ) WITHOUT ROWID""",
)

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_P1, _P2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_MAX = np.iinfo(np.uint64).max
_CHUNK = 2048  # shingles hashed at once: bounds memory at 2048 x 128 x 8 bytes per temporary


def _mix64(z: U64Array) -> U64Array:
    """SplitMix64's finalizer: a fixed 64-bit bijection mixing every input bit into every output bit.

    numpy integer arrays wrap around silently: exactly the arithmetic modulo 2**64 this needs.
    """
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


# Fixed seeds rather than a random generator, so signatures are the same in every process and numpy version.
_SEEDS = _mix64(np.arange(1, NUM_PERM + 1, dtype=np.uint64) * _P1)
_BAND_SALTS = _mix64(np.arange(1, BANDS + 1, dtype=np.uint64) * _P2)


@lru_cache(maxsize=65_536)  # the same few thousand words recur in every text
def _word_hash(word: str) -> int:
    # blake2b, not hash(): Python salts str hashes per process, and stored signatures must outlive it.
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _minhashes(shingles: U64Array, labels: npt.NDArray[np.intp], count: int) -> U32Array:
    """MinHash signatures of ``count`` sets at once: row i is the signature of the shingles labelled i.

    Rows with the same label come in runs (a passage's shingles are consecutive), so each chunk reduces to
    one minimum per run; an unused label keeps all maxima. Only the high 32 bits of each minimum are kept:
    that halves what is stored, and two different minima agree there with probability 2**-32.
    """
    signatures = np.full((count, NUM_PERM), _MAX, dtype=np.uint64)
    for start in range(0, len(shingles), _CHUNK):
        block = _mix64(shingles[start : start + _CHUNK, None] ^ _SEEDS[None, :])
        chunk_labels = labels[start : start + _CHUNK]
        runs = np.flatnonzero(np.r_[True, chunk_labels[1:] != chunk_labels[:-1]])
        np.minimum.at(signatures, chunk_labels[runs], np.minimum.reduceat(block, runs, axis=0))
    return (signatures >> np.uint64(32)).astype(np.uint32)


def _band_hashes(signatures: U32Array) -> npt.NDArray[np.int64]:
    """One 64-bit hash per band of ROWS values of each signature (k x NUM_PERM -> k x BANDS), signed for SQLite."""
    rows = signatures.astype(np.uint64).reshape(-1, BANDS, ROWS)
    hashed = np.broadcast_to(_BAND_SALTS, rows.shape[:2])
    for row in range(ROWS):
        hashed = _mix64(hashed ^ rows[:, :, row])
    return hashed.view(np.int64)


def _passage_ranges(line_lengths: Iterable[int]) -> list[tuple[int, int]]:
    """Word ranges of passages: lines joined until each has MIN_PASSAGE_WORDS, a short tail joining the last."""
    ranges: list[tuple[int, int]] = []
    start = end = 0
    for length in line_lengths:
        end += length
        if end - start >= MIN_PASSAGE_WORDS:
            ranges.append((start, end))
            start = end
    if end > start:
        if ranges:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the index keeps of a text: its exact-content hash, MinHash signatures and band hashes."""

    content_hash: bytes | None  # None (and no signatures) when the text is too short to match anything
    signatures: U32Array  # the whole text, then its passages when it has two or more: (1 + passages) x NUM_PERM
    bands: npt.NDArray[np.int64]  # (1 + passages) x BANDS
    short: bool = False  # compared as a set of words, against the short-text threshold

    @property
    def signature(self) -> U32Array | None:
        """The whole text's signature, or None if the text is too short to match anything."""
        return self.signatures[0] if len(self.signatures) else None

    @property
    def passages(self) -> U32Array:
        """The passages' signatures (no rows unless the text has two or more passages)."""
        return self.signatures[1:]


def fingerprint(text: str) -> Fingerprint:
    """Compute the :class:`Fingerprint` of ``text`` (its lines are joined into passages)."""
    # The folded tokens of each line, as :func:`monitor.text.tokens` gives them, but computed directly: the
    # cached path also normalizes and tokenizes each line with its accents, which nothing here reads.
    lines = [line_tokens for line in text.splitlines() if (line_tokens := uncached_tokens(line))]
    words = [word for line_tokens in lines for word in line_tokens]
    if len(words) < MIN_WORDS:
        empty = np.empty((0, NUM_PERM), dtype=np.uint32)
        return Fingerprint(None, empty, _band_hashes(empty))
    content_hash = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).digest()
    hashes = np.fromiter((_word_hash(word) for word in words), dtype=np.uint64, count=len(words))
    short = len(words) < SHORT_TEXT_WORDS
    if short:
        shingles, ranges = _mix64(hashes), [(0, len(words))]
    else:  # shingle i covers words i..i+2; distinct odd multipliers keep the hash order-sensitive
        shingles = _mix64(hashes[:-2] * _P1 + hashes[1:-1] * _P2 + hashes[2:])
        ranges = _passage_ranges(len(line_tokens) for line_tokens in lines)
    if len(ranges) < 2:
        signatures = _minhashes(shingles, np.zeros(len(shingles), dtype=np.intp), 1)
    else:  # label each shingle with its passage, or len(ranges) when it spans two; the whole is the minimum of all
        labels = np.full(len(shingles), len(ranges), dtype=np.intp)
        for number, (start, end) in enumerate(ranges):
            labels[start : end - 2] = number
        parts = _minhashes(shingles, labels, len(ranges) + 1)
        signatures = np.vstack([parts.min(axis=0), parts[: min(len(ranges), MAX_PASSAGES)]])
    return Fingerprint(content_hash, signatures, _band_hashes(signatures), short)


def text_similarity(first: str, second: str) -> float:
    """Estimated Jaccard similarity of two whole texts as the index sees them (0.0 if either is too short)."""
    a, b = fingerprint(first).signature, fingerprint(second).signature
    return 0.0 if a is None or b is None else float(np.mean(a == b))


class StoryAssignment(BaseModel):
    """The story a document belongs to, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    story_id: str
    exact_duplicate: bool = False
    similarity: float | None = None  # estimated Jaccard similarity to matched_doc_id; 1.0 for exact duplicates
    matched_doc_id: str | None = None  # None: the document started this story

    @property
    def new_story(self) -> bool:
        """True when the document is the first member of its story."""
        return self.matched_doc_id is None


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class StoryIndex:
    """Near-duplicate detection and story clustering, kept in the embedded SQLite database."""

    def __init__(
        self, db: Database, *, threshold: float = DEFAULT_THRESHOLD, short_threshold: float = SHORT_THRESHOLD
    ) -> None:
        """Open the index in ``db``, creating its tables on first use.

        Args:
            db: The shared database.
            threshold: Estimated Jaccard similarity from which a document joins the story of the stored
                document it matches best.
            short_threshold: The same for posts shorter than SHORT_TEXT_WORDS words (never below ``threshold``).

        Raises:
            ValueError: A threshold is outside (0, 1].
            StoreError: The tables cannot be created, or were built with another signature scheme.
        """
        if not (0.0 < threshold <= 1.0 and 0.0 < short_threshold <= 1.0):
            raise ValueError(f"thresholds must be in (0, 1], got {threshold} and {short_threshold}")
        self.db = db
        self.threshold = threshold
        self.short_threshold = max(threshold, short_threshold)
        db.apply_schema(SCHEMA)
        try:
            with Transaction(db) as conn:
                conn.execute("INSERT OR IGNORE INTO story_settings (key, value) VALUES ('scheme', ?)", (SCHEME,))
                stored = conn.execute("SELECT value FROM story_settings WHERE key = 'scheme'").fetchone()["value"]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the story index in {db.path}: {exc}") from exc
        if stored != SCHEME:
            raise StoreError(
                f"the story index in {db.path} was built with '{stored}', not '{SCHEME}'; rebuild it", retryable=False
            )

    def assign(
        self, documents: Sequence[Document], fingerprints: Mapping[str, Fingerprint] | None = None
    ) -> dict[str, StoryAssignment]:
        """Put each document into a story, creating stories as needed.

        Documents are taken oldest first (by ``published_at``, then ``doc_id``), so a batch gives the same
        result in any order and its earliest copy founds the story; later ones in the batch can match it.
        A doc_id assigned before keeps its assignment even if its text has changed since.

        Args:
            documents: The documents, in any order; a repeated doc_id counts once.
            fingerprints: Fingerprints already computed (by a worker process), by doc_id; the others are
                computed here.

        Returns:
            The assignment of every doc_id in ``documents``.

        Raises:
            StoreError: SQLite failed; nothing of this batch was stored.
        """
        ordered = sorted(documents, key=lambda doc: (doc.published_at, doc.doc_id))
        try:
            known = self._assignments(self.db.connection(), [doc.doc_id for doc in ordered])
            # Hashing happens before the write lock is taken; a doc assigned meanwhile wastes only this.
            computed: dict[str, Fingerprint] = dict(fingerprints or {})
            for doc in ordered:
                if doc.doc_id not in known and doc.doc_id not in computed:
                    computed[doc.doc_id] = fingerprint(doc.content)
            now = int(utc_now().timestamp())
            result: dict[str, StoryAssignment] = {}
            with Transaction(self.db) as conn:
                for doc in ordered:
                    if doc.doc_id in result:
                        continue
                    found = known.get(doc.doc_id) or self._assignments(conn, [doc.doc_id]).get(doc.doc_id)
                    result[doc.doc_id] = found or self._add(conn, doc, computed[doc.doc_id], now)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot assign {len(documents)} documents to stories in {self.db.path}: {exc}") from exc
        return {doc.doc_id: result[doc.doc_id] for doc in documents}

    def story_of(self, doc_id: str) -> str | None:
        """The story of ``doc_id``, or None if it was never assigned."""
        row = self._query("SELECT story_id FROM story_members WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else str(row["story_id"])

    def members(self, story_id: str) -> list[str]:
        """The doc_ids of a story in the order they joined it (empty for an unknown story)."""
        rows = self._query("SELECT doc_id FROM story_members WHERE story_id = ? ORDER BY member", (story_id,))
        return [str(row["doc_id"]) for row in rows]

    def size(self, story_id: str) -> int:
        """How many documents a story has (0 for an unknown story)."""
        row = self._query("SELECT members FROM story_stories WHERE story_id = ?", (story_id,)).fetchone()
        return 0 if row is None else int(row["members"])

    def _query(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self.db.connection().execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"story query failed on {self.db.path}: {exc}") from exc

    @staticmethod
    def _assignments(conn: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, StoryAssignment]:
        found: dict[str, StoryAssignment] = {}
        unique = list(dict.fromkeys(doc_ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = conn.execute(
                "SELECT doc_id, story_id, exact, similarity, matched_doc_id FROM story_members "
                f"WHERE doc_id IN ({_marks(chunk)})",
                chunk,
            )
            for row in rows:
                found[row["doc_id"]] = StoryAssignment(
                    story_id=row["story_id"],
                    exact_duplicate=bool(row["exact"]),
                    similarity=row["similarity"],
                    matched_doc_id=row["matched_doc_id"],
                )
        return found

    def _add(self, conn: sqlite3.Connection, doc: Document, fp: Fingerprint, now: int) -> StoryAssignment:
        assignment = self._match(conn, fp) or StoryAssignment(story_id=doc.doc_id)
        if assignment.new_story:
            conn.execute(
                "INSERT INTO story_stories (story_id, first_doc_id, created_ts, members) VALUES (?, ?, ?, 1)",
                (doc.doc_id, doc.doc_id, now),
            )
        else:
            conn.execute("UPDATE story_stories SET members = members + 1 WHERE story_id = ?", (assignment.story_id,))
        signature = None if fp.signature is None else fp.signature.astype("<u4").tobytes()
        member = conn.execute(
            """INSERT INTO story_members (doc_id, story_id, content_hash, signature, exact, similarity,
               matched_doc_id, published_ts, assigned_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                doc.doc_id,
                assignment.story_id,
                fp.content_hash,
                signature,
                int(assignment.exact_duplicate),
                assignment.similarity,
                assignment.matched_doc_id,
                int(doc.published_at.timestamp()),
                now,
            ),
        ).lastrowid
        # An exact duplicate's signatures equal its original's, already indexed: bands would add rows, not reach.
        if fp.signature is not None and not assignment.exact_duplicate:
            conn.executemany(
                "INSERT INTO story_passages (member, passage, signature) VALUES (?, ?, ?)",
                [(member, number, sig.astype("<u4").tobytes()) for number, sig in enumerate(fp.passages, start=1)],
            )
            bands = [(band, member, 0) for band in fp.bands[0].tolist()]
            for number, passage_bands in enumerate(fp.bands[1:, :PASSAGE_BANDS].tolist(), start=1):
                bands.extend((band, member, number) for band in passage_bands)
            conn.executemany("INSERT OR IGNORE INTO story_bands (band_hash, member, passage) VALUES (?, ?, ?)", bands)
        return assignment

    def _match(self, conn: sqlite3.Connection, fp: Fingerprint) -> StoryAssignment | None:
        """The best stored match: an exact duplicate, else the most similar candidate at or above the threshold."""
        if fp.content_hash is None:
            return None
        row = conn.execute(
            "SELECT doc_id, story_id FROM story_members WHERE content_hash = ? ORDER BY member LIMIT 1",
            (fp.content_hash,),
        ).fetchone()
        if row is not None:
            return StoryAssignment(
                story_id=row["story_id"], exact_duplicate=True, similarity=1.0, matched_doc_id=row["doc_id"]
            )
        threshold = self.short_threshold if fp.short else self.threshold
        passing = [(similarity, member) for similarity, member in self._candidates(conn, fp) if similarity >= threshold]
        if not passing:
            return None
        similarity, member = max(passing, key=lambda candidate: (candidate[0], -candidate[1]))
        row = conn.execute("SELECT doc_id, story_id FROM story_members WHERE member = ?", (member,)).fetchone()
        return StoryAssignment(story_id=row["story_id"], similarity=similarity, matched_doc_id=row["doc_id"])

    @staticmethod
    def _candidates(conn: sqlite3.Connection, fp: Fingerprint) -> list[tuple[float, int]]:
        """(similarity, member) for the stored documents sharing a band with ``fp``, most shared bands first.

        The whole text is looked up among stored wholes and passages, its passages among stored wholes only.
        """
        whole = fp.bands[0].tolist()
        every = [*whole, *fp.bands[1:, :PASSAGE_BANDS].ravel().tolist()]
        hits = conn.execute(
            f"""SELECT member, passage, count(*) AS hits FROM story_bands
                WHERE band_hash IN ({_marks(every)}) AND (passage = 0 OR band_hash IN ({_marks(whole)}))
                GROUP BY member, passage ORDER BY hits DESC, member, passage LIMIT ?""",
            [*every, *whole, MAX_CANDIDATES],
        ).fetchall()
        if not hits:
            return []
        members = sorted({row["member"] for row in hits})
        marks = _marks(members)
        rows = conn.execute(
            f"""SELECT member, 0 AS passage, signature FROM story_members WHERE member IN ({marks})
                UNION ALL SELECT member, passage, signature FROM story_passages WHERE member IN ({marks})""",
            [*members, *members],
        )
        stored = {(row["member"], row["passage"]): row["signature"] for row in rows}
        keys = [(row["member"], row["passage"]) for row in hits]
        matrix = np.stack([np.frombuffer(stored[key], dtype="<u4") for key in keys])
        # candidates x (whole + passages): a stored whole may match the new whole or any new passage,
        # a stored passage only the new whole.
        agree = (matrix[:, None, :] == fp.signatures[None, :, :]).mean(axis=2)
        is_whole = np.array([passage == 0 for _, passage in keys])
        similarities = np.where(is_whole, agree.max(axis=1), agree[:, 0])
        return [(float(similarity), member) for (member, _), similarity in zip(keys, similarities, strict=True)]
