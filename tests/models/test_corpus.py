"""The open labelled corpus (models/data/corpus): valid, unique, in step with the taxonomy and its datasheet."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from models.corpus import (
    TOPICS,
    CorpusError,
    CorpusItem,
    Genre,
    cue_leakage,
    default_dir,
    export_task,
    load_corpus,
    main,
    render_stats,
    stats_block,
)
from monitor.analysis import SentimentLabel, ToxicityLabel

ROOT = Path(__file__).resolve().parents[2]
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50]")
SHARE_MARKERS = ("chia sẻ", "chia se", "share")


@pytest.fixture(scope="module")
def corpus() -> list[CorpusItem]:
    return load_corpus()


def _sentiments(items: list[CorpusItem]) -> set[SentimentLabel]:
    return {item.sentiment for item in items}


def test_shipped_corpus_is_valid_and_unique(corpus: list[CorpusItem]) -> None:
    assert len(corpus) >= 3000  # a floor: a lost or truncated file fails here
    assert len({item.id for item in corpus}) == len(corpus)


def test_topic_ids_are_those_of_the_shipped_taxonomy() -> None:
    config = yaml.safe_load((ROOT / "configs" / "topics.yaml").read_text(encoding="utf-8"))
    assert set(TOPICS) == set(config["topics"])


def test_every_label_and_genre_occurs(corpus: list[CorpusItem]) -> None:
    assert {item.sentiment for item in corpus} == set(SentimentLabel)
    assert {item.toxicity for item in corpus} == set(ToxicityLabel)
    assert {item.genre for item in corpus} == set(Genre)
    assert {topic for item in corpus for topic in item.topics} == set(TOPICS)


def test_about_a_third_is_typed_without_diacritics(corpus: list[CorpusItem]) -> None:
    share = sum(not item.diacritics for item in corpus) / len(corpus)
    assert 0.25 <= share <= 0.45


def test_no_surface_cue_gives_the_sentiment_away(corpus: list[CorpusItem]) -> None:
    """The guide's writer rules: emoji, share markers, missing diacritics, every genre and topic carry
    every sentiment, so a model cannot learn the label from them."""
    groups: dict[str, list[CorpusItem]] = {
        "emoji": [item for item in corpus if EMOJI.search(item.text)],
        "share marker": [item for item in corpus if any(m in item.text.lower() for m in SHARE_MARKERS)],
        "no diacritics": [item for item in corpus if not item.diacritics],
        "announcement": [item for item in corpus if item.genre is Genre.ANNOUNCEMENT],
    }
    groups |= {f"genre {genre}": [item for item in corpus if item.genre is genre] for genre in Genre}
    groups |= {f"topic {topic}": [item for item in corpus if topic in item.topics] for topic in TOPICS}
    lacking = {name: sorted(set(SentimentLabel) - _sentiments(items)) for name, items in groups.items()}
    assert {name: missing for name, missing in lacking.items() if missing} == {}


def test_emoji_do_not_lean_to_one_sentiment(corpus: list[CorpusItem]) -> None:
    """The pilot's worst leak: emoji meant positive. No label may hold half of the items with emoji."""
    with_emoji = Counter(item.sentiment for item in corpus if EMOJI.search(item.text))
    assert max(with_emoji.values()) / sum(with_emoji.values()) < 0.5, with_emoji


def test_surface_cues_alone_predict_sentiment_poorly(corpus: list[CorpusItem]) -> None:
    """A classifier that sees only emoji, punctuation, capitals, diacritics, length, share markers and
    the genre must stay far from a real model (chance is about 0.33); the pilot's corpus leaked here."""
    assert cue_leakage(corpus) < 0.5


def test_cue_leakage_detects_a_leaky_corpus(corpus: list[CorpusItem]) -> None:
    leaky = [
        replace(item, text=item.text + (" 😍" if item.sentiment is SentimentLabel.POSITIVE else "")) for item in corpus
    ]
    assert cue_leakage(leaky) > cue_leakage(corpus) + 0.1


def test_datasheet_counts_match_the_files(corpus: list[CorpusItem]) -> None:
    path = default_dir() / "DATASHEET.md"
    assert stats_block(path.read_text(encoding="utf-8"), str(path)) == render_stats(corpus)


def test_package_data_ships_every_corpus_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["models"]
    files = [path.relative_to(ROOT / "models").as_posix() for path in default_dir().iterdir()]
    assert "data/corpus/LICENSE" in files
    assert [name for name in files if not any(fnmatch.fnmatch(name, p) for p in patterns)] == []


def _line(**changes: object) -> str:
    item: dict[str, object] = {
        "id": "t-001",
        "text": "Nước máy phường Tam Hiệp vẫn đạt chuẩn, tin đồn là sai.",
        "sentiment": "neutral",
        "topics": ["health"],
        "toxicity": "clean",
        "genre": "announcement",
        "diacritics": True,
    }
    item.update(changes)
    return json.dumps(item, ensure_ascii=False)


def _write(folder: Path, name: str, *lines: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"topics": ["health", "weather"]}, r"key 'topics': unknown topic id\(s\) weather"),
        ({"sentiment": "angry"}, r"key 'sentiment': 'angry' is not a sentiment"),
        ({"toxicity": "rude"}, r"key 'toxicity': 'rude' is not a toxicity"),
        ({"genre": "tiktok"}, r"key 'genre': 'tiktok' is not a genre"),
        ({"diacritics": False}, r"key 'diacritics': says false but the text disagrees"),
        ({"text": "nuoc may van dat chuan", "diacritics": True}, r"says true but the text disagrees"),
        ({"label": "neutral"}, r"unknown field\(s\): label"),
    ],
)
def test_an_invalid_field_is_named_with_its_file_and_line(tmp_path: Path, bad: dict[str, object], message: str) -> None:
    path = _write(
        tmp_path / "c", "batch01.jsonl", _line(), _line(**{"id": "t-002", "text": "Đường Đồng Khởi thông xe.", **bad})
    )
    with pytest.raises(CorpusError, match=re.escape(f"{path}:2") + ".*" + message):
        load_corpus(tmp_path / "c")


def test_a_broken_json_line_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "c", "batch01.jsonl", _line(), '{"id": "t-002", "text": ')
    with pytest.raises(CorpusError, match=re.escape(f"{path}:2") + ": not valid JSON"):
        load_corpus(tmp_path / "c")


def test_an_unaccented_copy_of_an_item_in_another_file_is_a_duplicate(tmp_path: Path) -> None:
    first = _write(tmp_path / "c", "batch01.jsonl", _line())
    copy = _line(id="t-009", text="Nuoc may phuong Tam Hiep van dat chuan - tin don la sai!", diacritics=False)
    second = _write(tmp_path / "c", "batch02.jsonl", copy)
    with pytest.raises(
        CorpusError, match=re.escape(f"{second}:1") + f".*same text as 't-001' at {re.escape(str(first))}:1"
    ):
        load_corpus(tmp_path / "c")


def test_emoji_only_replies_are_compared_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    _write(
        folder,
        "batch01.jsonl",
        _line(id="t-1", text="👍", diacritics=False),
        _line(id="t-2", text="😡😡", diacritics=False),
    )
    assert [item.text for item in load_corpus(folder)] == ["👍", "😡😡"]
    _write(folder, "batch02.jsonl", _line(id="t-3", text="👍", diacritics=False))
    with pytest.raises(CorpusError, match="same text as 't-1'"):
        load_corpus(folder)


def test_a_repeated_id_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "c", "batch01.jsonl", _line(), _line(text="Cầu Hóa An phân luồng từ đêm nay."))
    with pytest.raises(CorpusError, match="id 't-001' already used"):
        load_corpus(tmp_path / "c")


def test_stats_write_keeps_the_datasheet_in_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "c"
    _write(
        folder, "batch01.jsonl", _line(), _line(id="t-002", text="Kẹt xe kinh khủng ở QL51 😤", sentiment="negative")
    )
    start, end = "<!-- corpus-stats:begin (python -m models.corpus stats --write) -->", "<!-- corpus-stats:end -->"
    (folder / "DATASHEET.md").write_text(f"# Sheet\n\n{start}\nold\n{end}\n", encoding="utf-8")
    assert main(["--dir", str(folder), "stats", "--write"]) == 0
    sheet = (folder / "DATASHEET.md").read_text(encoding="utf-8")
    assert stats_block(sheet, "DATASHEET.md") == render_stats(load_corpus(folder))
    assert "| negative | 1 |" in sheet
    assert "| neutral | 1 |" in sheet
    assert main(["--dir", str(tmp_path / "missing"), "check"]) == 1
    assert "no *.jsonl corpus files" in capsys.readouterr().err


def test_export_writes_training_rows(corpus: list[CorpusItem]) -> None:
    sentiment = export_task(corpus, "sentiment")
    assert len(sentiment) == len(corpus)
    assert Counter(row["label"] for row in sentiment) == Counter(item.sentiment.value for item in corpus)
    topic = export_task(corpus, "topic")
    assert len(topic) == sum(len(item.topics) for item in corpus)
    assert {row["label"] for row in topic} == set(TOPICS)
