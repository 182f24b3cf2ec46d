"""ReINTEL's metadata measurement: counts as ReINTEL writes them, and a stack that uses them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from models.trained.dataset import DataError
from models.trained.research.metadata import count_features, cross_validate, main, parse_count, read_rows

POST = "CHIA SẺ GẤP!!! nước máy nhiễm độc, tuyệt đối không dùng"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("6", 6.0), ("1.1K", 1100.0), ("2,345", 2345.0), ("", None), (None, None), ("n/a", None), (12, 12.0)],
)
def test_counts_are_read_as_reintel_writes_them(raw: object, expected: float | None) -> None:
    assert parse_count(raw) == expected


def test_a_missing_count_is_flagged_not_zero() -> None:
    assert count_features({"num_like": "0", "num_share": "1.1K"}) == [
        0.0,
        -1.0,
        pytest.approx(7.0040, abs=1e-3),
        0,
        1,
        0,
    ]


def _rows() -> list[dict[str, str]]:
    # One text under both labels: only the share count tells them apart.
    rows = []
    for i in range(60):
        unreliable = i % 4 == 0
        text = POST
        rows.append(
            {
                "text": text,
                "label": "unreliable" if unreliable else "reliable",
                "num_share": str(500 + i if unreliable else i % 7),
            }
        )
    return rows


def test_the_counts_stack_finds_what_the_text_cannot() -> None:
    result = cross_validate(_rows())
    assert result["text"] == 0.5
    assert result["text + shape + counts"] > 0.95


def test_the_command_prints_json_and_a_bad_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "misinfo/reintel/train.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in _rows()) + "\n", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--data-dir", str(tmp_path)]) == 0
    assert set(json.loads(out.getvalue())["roc_auc"]) == {"text", "text + shape", "text + shape + counts"}
    path.write_text(path.read_text(encoding="utf-8") + '{"text": "thiếu nhãn"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=f"{path}:61: expected an object"):
        read_rows(path)
