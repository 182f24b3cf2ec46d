"""Trained models replace built-in scorers through configs/models.yaml, pinned by digest; the CLI trains
and evaluates them and exports officers' corrections."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.store.base import SearchRequest
from tests.conftest import crawl, make_config_dir, open_monitor

POSITIVE = [
    "Dịch vụ rất tốt, nhân viên nhiệt tình 👍",
    "sản phẩm đẹp, giao hàng nhanh, rất hài lòng",
    "Cảnh hồ Trị An tuyệt vời quá",
    "tuyet voi, se ung ho lan sau",
    "Công viên mới sạch đẹp, người dân rất vui",
    "hàng chất lượng, đáng tiền lắm ❤️",
    "phục vụ chu đáo, món ăn ngon",
    "dep qua, thich lam luon",
]
NEGATIVE = [
    "Dịch vụ quá tệ, nhân viên thái độ 😡",
    "ko đc như quảng cáo, thất vọng wá",
    "đường ngập sâu, kẹt xe kinh khủng",
    "te qua, khong bao gio quay lai",
    "rác thải bốc mùi, người dân rất bức xúc",
    "hàng lỗi, giao chậm, chán lắm",
    "thu tuc rom ra, cho doi ca ngay",
    "giá cao mà chất lượng kém",
]
NEUTRAL = [
    "Ngày mai có họp phụ huynh lúc 8 giờ",
    "UBND phường thông báo lịch tiếp dân tuần sau",
    "Xe buýt tuyến 5 đổi lộ trình từ thứ Hai",
    "thong bao lich cat dien khu vuc Tan Phong",
    "Trường mở đăng ký học kỳ mới từ hôm nay",
    "Chợ Biên Hòa mở cửa lúc 5 giờ sáng",
]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "label": label}, ensure_ascii=False) + "\n" for t, label in rows))
    return path


def _sentiment_data(folder: Path) -> Path:
    rows = [(t, "positive") for t in POSITIVE] + [(t, "negative") for t in NEGATIVE] + [(t, "neutral") for t in NEUTRAL]
    return _write(folder / "sentiment.jsonl", rows * 3)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """A sentiment model trained once through the CLI: (model directory, digest, training data).

    Module-scoped, so stdout is captured by hand (capsys is per test).
    """
    folder = tmp_path_factory.mktemp("trained")
    data = _sentiment_data(folder)
    out = folder / "sentiment-model"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        assert main(["models", "train", "sentiment", "--data", str(data), "--out", str(out)]) == 0
    printed = stdout.getvalue()
    digest = printed.split("sha256: ")[1].split()[0]
    assert "cross-validated macro-F1" in stderr.getvalue()
    return out, digest, data


def test_train_prints_the_pin_and_evaluate_prints_one_json_object(
    trained: tuple[Path, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out, digest, data = trained
    assert len(digest) == 64
    card = json.loads((out / "model.json").read_text())
    assert card["task"] == "sentiment"
    assert card["labels"] == ["negative", "neutral", "positive"]
    code, stdout, _ = _run(capsys, "models", "evaluate", str(out), "--data", str(data))
    assert code == 0
    metrics = json.loads(stdout)
    assert {"accuracy", "macro_f1", "weighted_f1", "per_class"} <= set(metrics)
    assert metrics["accuracy"] > 0.9  # its own training data
    assert set(metrics["per_class"]) == {"negative", "neutral", "positive"}


def test_builtin_scorers_are_evaluated_the_same_way(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _sentiment_data(tmp_path)
    code, stdout, _ = _run(capsys, "models", "evaluate", "builtin:sentiment", "--data", str(data))
    assert code == 0
    assert json.loads(stdout)["model"] == "builtin:sentiment"
    misinfo = _write(
        tmp_path / "misinfo.jsonl",
        [("Nghe nói nước máy nhiễm độc, share gấp!!!", "unreliable"), ("UBND tỉnh thông báo lịch họp", "reliable")] * 5,
    )
    code, stdout, _ = _run(capsys, "models", "evaluate", "builtin:misinfo", "--data", str(misinfo))
    result = json.loads(stdout)
    assert result["positive_label"] == "unreliable"
    assert result["roc_auc"] == 1.0
    code, _, err = _run(capsys, "models", "evaluate", "builtin:weather", "--data", str(misinfo))
    assert code == 1
    assert "unknown built-in scorer 'builtin:weather'" in err


def test_pipeline_scores_with_the_pinned_model(tmp_path: Path, trained: tuple[Path, str, Path]) -> None:
    out, digest, _ = trained
    config = make_config_dir(tmp_path / "configs")
    (config / "models.yaml").write_text(f"trained:\n  sentiment:\n    path: {out}\n    sha256: {digest}\n")
    monitor = open_monitor(config)
    try:
        crawl(monitor)
        page = monitor.store.search(SearchRequest(limit=5))
        models = {item.analysis.sentiment.model.name for item in page.items}
        assert models == {"sentiment-sklearn"}
        assert all(item.analysis.sentiment.model.version.endswith(digest[:12]) for item in page.items)
    finally:
        monitor.close()


def test_a_model_that_does_not_match_its_pin_stops_the_start(tmp_path: Path, trained: tuple[Path, str, Path]) -> None:
    out, digest, _ = trained
    config = make_config_dir(tmp_path / "configs")
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    (config / "models.yaml").write_text(f"trained:\n  sentiment:\n    path: {out}\n    sha256: {wrong}\n")
    with pytest.raises(ConfigError) as caught:
        open_monitor(config)
    assert "models.yaml" in str(caught.value)
    assert "trained.sentiment" in str(caught.value)
    (config / "models.yaml").write_text(f"trained:\n  toxicity:\n    path: {out}\n    sha256: {digest}\n")
    with pytest.raises(ConfigError, match="trained for 'sentiment', not 'toxicity'"):
        open_monitor(config)


def test_export_feedback_writes_training_jsonl(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monitor = open_monitor(config_dir)
    try:
        crawl(monitor)
        item = monitor.store.search(SearchRequest(limit=1)).items[0]
        monitor.feedback.add(item.doc_id, "sentiment", "negative", by="officer key (test)")
    finally:
        monitor.close()
    out = tmp_path / "feedback.jsonl"
    code, _, err = _run(
        capsys, "--config-dir", str(config_dir), "models", "export-feedback", "sentiment", "--out", str(out)
    )
    assert code == 0
    [line] = out.read_text(encoding="utf-8").splitlines()
    row = json.loads(line)
    assert row["id"] == item.doc_id
    assert row["label"] == "negative"
    assert row["text"] == item.document.content
    assert "1 sentiment corrections exported" in err
