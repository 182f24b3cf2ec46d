"""The open labelled corpus of the office's domain (``models/data/corpus/*.jsonl``, CC BY 4.0).

Each line is one short text written for the project, labelled as ``docs/annotation-guide.md`` says::

    {"id": "b01-001", "text": "...", "sentiment": "negative", "topics": ["health"],
     "toxicity": "clean", "genre": "fb_comment", "diacritics": true, "notes": "..."}

This module reads the files, validates every field against the label sets (errors name the file and
line), refuses duplicate ids and duplicate texts (compared accent-insensitively, so an unaccented copy of
an accented item is a duplicate too: it would leak between training and test folds), and counts the
labels for the datasheet::

    python -m models.corpus check                # validate every file
    python -m models.corpus stats                # the counts table
    python -m models.corpus stats --write        # ... written into DATASHEET.md between its markers
    python -m models.corpus leakage              # how well surface cues alone predict the sentiment
    python -m models.corpus export sentiment --out train.jsonl   # {"text", "label"} for `monitor models train`
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TypeVar

from monitor.analysis import SentimentLabel, ToxicityLabel
from monitor.errors import ConfigError
from monitor.text import folded_words

#: The topic ids of the shipped ``configs/topics.yaml`` (a test keeps the two in step). Fixed here rather
#: than read from the operator's configuration: the corpus is labelled once, with this taxonomy.
TOPICS: tuple[str, ...] = (
    "investment_economy",
    "tourism",
    "culture",
    "infrastructure_transport",
    "land_planning",
    "environment_disasters",
    "security_order",
    "health",
    "education",
    "administration",
    "agriculture",
    "sports_entertainment",
)

FIELDS = ("id", "text", "sentiment", "topics", "toxicity", "genre", "diacritics", "notes")
REQUIRED = frozenset(FIELDS) - {"notes"}
STATS_BEGIN = "<!-- corpus-stats:begin (python -m models.corpus stats --write) -->"
STATS_END = "<!-- corpus-stats:end -->"
MAX_WORDS = 120


class Genre(StrEnum):
    """Where a text would have been published; decides its register, not its labels."""

    HEADLINE = "headline"
    LEAD = "lead"
    FB_COMMENT = "fb_comment"
    FB_PAGE_POST = "fb_page_post"
    FORUM = "forum"
    TELEGRAM = "telegram"
    YOUTUBE_COMMENT = "youtube_comment"
    ANNOUNCEMENT = "announcement"


_E = TypeVar("_E", bound=StrEnum)


class CorpusError(ConfigError):
    """A corpus file or line is invalid; the message names the file, the line and the field."""


@dataclass(frozen=True)
class CorpusItem:
    """One labelled text and where it was read from."""

    id: str
    text: str
    sentiment: SentimentLabel
    topics: tuple[str, ...]
    toxicity: ToxicityLabel
    genre: Genre
    diacritics: bool
    notes: str
    path: str
    line: int


def default_dir() -> Path:
    """The corpus folder shipped inside the ``models`` package."""
    return Path(str(resources.files("models").joinpath("data", "corpus")))


def has_diacritics(text: str) -> bool:
    """True when ``text`` carries any Vietnamese mark (a combining accent or đ/Đ)."""
    if "đ" in text or "Đ" in text:
        return True
    decomposed = unicodedata.normalize("NFD", text)
    return any(unicodedata.combining(ch) for ch in decomposed)


def _choice(enum: type[_E], value: object, field: str, path: str, line: int) -> _E:
    allowed = [member.value for member in enum]
    if not isinstance(value, str) or value not in allowed:
        raise CorpusError(
            f"'{value}' is not a {field} (allowed: {', '.join(allowed)})", path=path, key=field, line=line
        )
    return enum(value)


def _text(raw: dict[str, object], path: str, line: int) -> str:
    text = raw["text"]
    if not isinstance(text, str) or not text.strip():
        raise CorpusError("must be a non-empty string", path=path, key="text", line=line)
    if text != unicodedata.normalize("NFC", text) or text != text.strip():
        raise CorpusError("must be NFC with no leading or trailing space", path=path, key="text", line=line)
    if len(text.split()) > MAX_WORDS:
        raise CorpusError(f"has more than {MAX_WORDS} words: items are short texts", path=path, key="text", line=line)
    return text


def _topics(raw: dict[str, object], path: str, line: int) -> tuple[str, ...]:
    topics = raw["topics"]
    if not isinstance(topics, list) or not all(isinstance(topic, str) for topic in topics):
        raise CorpusError("must be a list of topic ids (may be empty)", path=path, key="topics", line=line)
    unknown = [topic for topic in topics if topic not in TOPICS]
    if unknown:
        raise CorpusError(
            f"unknown topic id(s) {', '.join(unknown)} (allowed: {', '.join(TOPICS)})",
            path=path,
            key="topics",
            line=line,
        )
    if len(set(topics)) != len(topics):
        raise CorpusError("lists a topic twice", path=path, key="topics", line=line)
    return tuple(topics)


def parse_item(raw: object, path: str, line: int) -> CorpusItem:
    """Validate one decoded JSON line and return it as a :class:`CorpusItem`.

    Raises:
        CorpusError: a field is missing, unknown, or holds a value outside its label set.
    """
    if not isinstance(raw, dict):
        raise CorpusError("each line must be a JSON object", path=path, line=line)
    missing = sorted(REQUIRED - raw.keys())
    if missing:
        raise CorpusError(f"missing field(s): {', '.join(missing)}", path=path, line=line)
    extra = sorted(raw.keys() - set(FIELDS))
    if extra:
        raise CorpusError(f"unknown field(s): {', '.join(extra)} (known: {', '.join(FIELDS)})", path=path, line=line)
    item_id = raw["id"]
    if not isinstance(item_id, str) or not item_id or item_id != item_id.strip():
        raise CorpusError("must be a non-empty string without spaces around it", path=path, key="id", line=line)
    text = _text(raw, path, line)
    diacritics = raw["diacritics"]
    if not isinstance(diacritics, bool):
        raise CorpusError("must be true or false", path=path, key="diacritics", line=line)
    if diacritics != has_diacritics(text):
        said = "true" if diacritics else "false"
        raise CorpusError(f"says {said} but the text disagrees", path=path, key="diacritics", line=line)
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        raise CorpusError("must be a string", path=path, key="notes", line=line)
    return CorpusItem(
        id=item_id,
        text=text,
        sentiment=_choice(SentimentLabel, raw["sentiment"], "sentiment", path, line),
        topics=_topics(raw, path, line),
        toxicity=_choice(ToxicityLabel, raw["toxicity"], "toxicity", path, line),
        genre=_choice(Genre, raw["genre"], "genre", path, line),
        diacritics=diacritics,
        notes=notes,
        path=path,
        line=line,
    )


def read_file(path: Path) -> list[CorpusItem]:
    """Every item of one JSONL file, validated; blank lines are not allowed (they hide truncation)."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"not valid JSON: {exc.msg}", path=str(path), line=number) from None
            items.append(parse_item(raw, str(path), number))
    return items


def normalized_text(text: str) -> str:
    """What two texts are compared by for duplicates: folded words (case, accents and punctuation ignored);
    a text with no word at all (an emoji-only reply) is compared as written."""
    return folded_words(text) or text


def check_unique(items: Iterable[CorpusItem]) -> None:
    """Refuse a repeated id or a repeated normalized text; the message names both places."""
    ids: dict[str, CorpusItem] = {}
    texts: dict[str, CorpusItem] = {}
    for item in items:
        first = ids.setdefault(item.id, item)
        if first is not item:
            raise CorpusError(
                f"id '{item.id}' already used at {first.path}:{first.line}", path=item.path, line=item.line
            )
        first = texts.setdefault(normalized_text(item.text), item)
        if first is not item:
            raise CorpusError(
                f"same text as '{first.id}' at {first.path}:{first.line}", path=item.path, key="text", line=item.line
            )


def load_corpus(directory: Path | None = None) -> list[CorpusItem]:
    """All items of ``directory`` (default: the shipped corpus), file by file in name order, validated.

    Raises:
        CorpusError: the folder has no JSONL file, or any line is invalid or duplicated.
    """
    folder = directory or default_dir()
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise CorpusError("no *.jsonl corpus files", path=str(folder))
    items = [item for path in files for item in read_file(path)]
    check_unique(items)
    return items


def _table(title: str, counts: Counter[str], order: Sequence[str]) -> list[str]:
    rows = [f"| {title} | items |", "|---|---:|"]
    rows += [f"| {key} | {counts[key]} |" for key in order]
    return [*rows, ""]


def render_stats(items: Sequence[CorpusItem]) -> str:
    """The counts the datasheet declares, as Markdown tables (deterministic: a test compares them)."""
    sentiment = Counter(item.sentiment.value for item in items)
    toxicity = Counter(item.toxicity.value for item in items)
    genre = Counter(item.genre.value for item in items)
    topics = Counter(topic for item in items for topic in item.topics)
    topics["(no topic)"] = sum(1 for item in items if not item.topics)
    diacritics = Counter("with diacritics" if item.diacritics else "without diacritics" for item in items)
    lines = [f"Items: {len(items)}", ""]
    lines += _table("sentiment", sentiment, [label.value for label in SentimentLabel])
    lines += _table("toxicity", toxicity, [label.value for label in ToxicityLabel])
    lines += _table("topic (an item may have several)", topics, [*TOPICS, "(no topic)"])
    lines += _table("genre", genre, [g.value for g in Genre])
    lines += _table("diacritics", diacritics, ["with diacritics", "without diacritics"])
    by_topic = ["| topic | negative | neutral | positive |", "|---|---:|---:|---:|"]
    for topic in TOPICS:
        row = Counter(item.sentiment.value for item in items if topic in item.topics)
        by_topic.append(f"| {topic} | {row['negative']} | {row['neutral']} | {row['positive']} |")
    lines += [*by_topic, ""]
    return "\n".join(lines).rstrip() + "\n"


def stats_block(text: str, path: str) -> str:
    """The part of a datasheet between the stats markers."""
    start, end = text.find(STATS_BEGIN), text.find(STATS_END)
    if start < 0 or end < start:
        raise CorpusError(f"no stats block (markers '{STATS_BEGIN}' ... '{STATS_END}')", path=path)
    return text[start + len(STATS_BEGIN) : end].strip("\n") + "\n"


def write_stats(datasheet: Path, items: Sequence[CorpusItem]) -> None:
    """Replace the datasheet's stats block with the current counts."""
    text = datasheet.read_text(encoding="utf-8")
    stats_block(text, str(datasheet))  # raises when the markers are missing
    start = text.find(STATS_BEGIN) + len(STATS_BEGIN)
    end = text.find(STATS_END)
    datasheet.write_text(text[:start] + "\n" + render_stats(items) + text[end:], encoding="utf-8")


_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50]")
_SHARE = ("chia sẻ", "chia se", "share")
_CAPS = re.compile(r"[A-ZĐÂÊÔƠƯĂ]{4,}")


def cue_features(item: CorpusItem) -> list[float]:
    """Surface cues only, none of the words' meaning: emoji, ``?``, ``!``, capitals, diacritics, length,
    share markers, ``:`` and the genre. A writer's rule is that these must not give the label away."""
    text = item.text
    cues = [
        bool(_EMOJI.search(text)),
        "?" in text,
        "!" in text,
        bool(_CAPS.search(text)),
        item.diacritics,
        min(len(text.split()), 80) / 80,
        any(marker in text.lower() for marker in _SHARE),
        ":" in text,
    ]
    return [float(cue) for cue in cues] + [float(item.genre is genre) for genre in Genre]


def cue_leakage(items: Sequence[CorpusItem], seed: int = 0) -> float:
    """Macro-F1 of a logistic regression that sees only :func:`cue_features`, in 5-fold cross-validation.

    Chance is about 0.33; the higher above it, the more the surface gives the sentiment away.
    """
    import numpy as np  # noqa: PLC0415 (scikit-learn is heavy; only this check needs it)
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.metrics import f1_score  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.model_selection import StratifiedKFold, cross_val_predict  # type: ignore[import-untyped]  # noqa: PLC0415

    features = np.array([cue_features(item) for item in items])
    labels = np.array([item.sentiment.value for item in items])
    model = LogisticRegression(max_iter=1000, class_weight="balanced")
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    predicted = cross_val_predict(model, features, labels, cv=folds)
    return float(f1_score(labels, predicted, average="macro"))


def export_task(items: Sequence[CorpusItem], task: str) -> list[dict[str, str]]:
    """Rows ``{"text", "label"}`` for ``monitor models train``: one per item (sentiment, toxicity) or per
    item and topic (topic; an item with no topic is left out)."""
    if task == "sentiment":
        return [{"text": item.text, "label": item.sentiment.value} for item in items]
    if task == "toxicity":
        return [{"text": item.text, "label": item.toxicity.value} for item in items]
    if task == "topic":
        return [{"text": item.text, "label": topic} for item in items for topic in item.topics]
    raise CorpusError(f"unknown task '{task}' (known: sentiment, toxicity, topic)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.corpus check|stats|export``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="corpus folder (default: the shipped one)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="validate every file")
    stats = commands.add_parser("stats", help="print the counts table")
    stats.add_argument("--write", action="store_true", help="write it into DATASHEET.md")
    commands.add_parser("leakage", help="macro-F1 of a sentiment classifier that sees only surface cues")
    export = commands.add_parser("export", help="write {text, label} JSONL for monitor models train")
    export.add_argument("task", choices=("sentiment", "toxicity", "topic"))
    export.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        items = load_corpus(args.dir)
        if args.command == "check":
            print(f"{len(items)} items valid")
        elif args.command == "leakage":
            print(f"surface cues alone: sentiment macro-F1 {cue_leakage(items):.3f} (chance about 0.33)")
        elif args.command == "stats":
            if args.write:
                write_stats((args.dir or default_dir()) / "DATASHEET.md", items)
            else:
                print(render_stats(items), end="")
        else:
            rows = export_task(items, args.task)
            args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
            print(f"wrote {len(rows)} rows to {args.out}")
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
