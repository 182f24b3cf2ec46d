from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from models.trained.dataset import DataError, load_labelled
from monitor.errors import ModelError


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(content, encoding="utf-8")
    return path


def test_reads_text_and_label_and_ignores_other_fields(tmp_path: Path) -> None:
    content = (
        '{"id": "a", "text": "Giảng viên nhiệt tình 😍", "label": "positive", "topic": "lecturer"}\n'
        "\n"  # blank lines are skipped
        '{"id": "b", "text": "ko hiểu bài gì hết", "label": "negative"}\n'
        '{"text": "", "label": "neutral"}\n'
    )
    path = _write(tmp_path, content)
    data = load_labelled(path)
    assert data.texts == ("Giảng viên nhiệt tình 😍", "ko hiểu bài gì hết", "")
    assert data.labels == ("positive", "negative", "neutral")
    assert data.label_set == ("negative", "neutral", "positive")
    assert len(data) == 3
    assert data.path == path
    assert data.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"text": "tốt", "label": "positive"}\n{"text": "tệ", "label": \n')
    with pytest.raises(ModelError, match=r"data\.jsonl:2: invalid JSON"):
        load_labelled(path)


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"label": "negative"}', r":2: field 'text' is missing"),
        ('{"text": "tệ quá"}', r":2: field 'label' is missing"),
        ('{"text": 5, "label": "negative"}', r":2: field 'text' must be a string, got int"),
        ('{"text": "tệ", "label": null}', r":2: field 'label' must be a string, got NoneType"),
        ('{"text": "tệ", "label": "  "}', r":2: field 'label' is empty"),
        ('["tệ", "negative"]', r":2: expected a JSON object, got list"),
    ],
)
def test_bad_rows_name_line_and_field(tmp_path: Path, second_line: str, message: str) -> None:
    path = _write(tmp_path, '{"text": "tốt", "label": "positive"}\n' + second_line + "\n")
    with pytest.raises(DataError, match=message):
        load_labelled(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no labelled rows"):
        load_labelled(_write(tmp_path, "\n\n"))


def test_one_label_is_not_enough(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"text": "tốt", "label": "positive"}\n{"text": "hay", "label": "positive"}\n')
    with pytest.raises(DataError, match="at least 2 labels"):
        load_labelled(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere\.jsonl"):
        load_labelled(tmp_path / "nowhere.jsonl")
