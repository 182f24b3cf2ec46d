"""``monitor models train-research``: one command trains, writes and pins every research model from a
folder laid out like ../shared/data, and the service then scores with them.

The folder is synthetic (written here, a few dozen Vietnamese rows per dataset): the real research data
is not redistributable and not in CI.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from models.config import load_models_config
from models.pins import PINS_FILE
from models.trained.modeldir import load_model, model_digest
from monitor.cli import main
from monitor.store.base import SearchRequest
from tests.conftest import crawl, make_config_dir, open_monitor

POSITIVE = ("giảng viên nhiệt tình, dạy rất dễ hiểu", "sản phẩm tốt, giao hàng nhanh", "hang dep, rat hai long")
NEGATIVE = ("giáo trình chưa cụ thể, khó theo", "máy nóng, pin tụt nhanh, thất vọng", "hang te, giao cham qua")
NEUTRAL = ("lớp học vào sáng thứ hai", "máy có hai màu đen và trắng", "thong bao lich hoc tuan sau")
TAILS = ("", " nhé", " ạ", " luôn", " thật sự", " 🙂")

CLEAN = ("video hay quá, cảm ơn bạn", "coi cười xỉu", "chúc mừng đội tuyển", "nghe bài này chill ghê")
OFFENSIVE = ("thằng này ngu vl", "nói như đb", "đồ óc chó", "câm mồm đi mày")
HATE = ("bọn mọi rợ đó cút về nước", "lũ người đó nên bị đuổi hết", "tụi nó là giống hạ đẳng")

RELIABLE = ("Bộ Y tế thông báo thêm ca khỏi bệnh", "UBND tỉnh họp báo về tình hình dịch", "Sở GD công bố lịch thi")
UNRELIABLE = (
    "CHIA SẺ GẤP!!! nước máy nhiễm độc",
    "nghe nói uống tỏi là khỏi bệnh, share ngay",
    "tin nóng: sắp phong tỏa toàn thành phố!!!",
)


def _rows(groups: Mapping[str, tuple[str, ...]], tails: tuple[str, ...] = TAILS) -> list[dict[str, str]]:
    return [
        {"text": text + tail, "label": label} for label, texts in groups.items() for text in texts for tail in tails
    ]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"r{i}", **row}, ensure_ascii=False) for i, row in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def research_folder(root: Path) -> Path:
    """Sentiment (UIT-VSFC with a dev file, VLSP 2016, no AIVIVN), toxicity and ReINTEL; no VNTC, so the
    topic task is skipped."""
    sentiment = {"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}
    _write(root / "sentiment/uit-vsfc/train.jsonl", _rows(sentiment))
    _write(root / "sentiment/uit-vsfc/dev.jsonl", _rows(sentiment, ("", " á")))
    _write(root / "sentiment/vlsp2016/train.jsonl", _rows(sentiment, TAILS[::-1]))
    toxicity = {"clean": CLEAN, "offensive": OFFENSIVE, "hate": HATE}
    _write(root / "toxicity/uit-vihsd/train.jsonl", _rows(toxicity))
    _write(root / "toxicity/uit-vihsd/dev.jsonl", _rows(toxicity, ("", " !!")))
    reliability = _rows({"reliable": RELIABLE, "unreliable": UNRELIABLE})
    for row, likes in zip(reliability, range(len(reliability)), strict=True):
        row.update(num_like=str(likes), num_comment="", num_share="1.1K")
    _write(root / "misinfo/reintel/train.jsonl", reliability)
    return root


def _train(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["models", "train-research", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(config dir, models dir, progress output) of one run of the command on the synthetic folder."""
    root = tmp_path_factory.mktemp("research")
    data = research_folder(root / "data")
    config = make_config_dir(root / "configs")
    code, stdout, stderr = _train("--data-dir", str(data), "--out", str(root / "models"), "--config-dir", str(config))
    assert code == 0, stderr
    assert "Trained sentiment, toxicity, misinformation" in stdout
    return config, root / "models", stderr


def test_each_task_gets_a_model_with_per_dataset_metrics(trained: tuple[Path, Path, str]) -> None:
    _, models, progress = trained
    assert sorted(p.name for p in models.iterdir()) == ["misinformation", "sentiment", "toxicity"]
    sentiment, _ = load_model(models / "sentiment")
    assert sentiment.name == "sentiment-research"
    assert sentiment.backend == "mixture"  # two datasets: an expert each and a router
    assert {"experts/uit-vsfc/classifier.npz", "router/classifier.npz", "mixture.json"} <= set(sentiment.files)
    assert sentiment.labels == ("negative", "neutral", "positive")
    by_dataset = sentiment.metrics["by_dataset"]
    assert set(by_dataset) == {"uit-vsfc", "vlsp2016"}
    assert by_dataset["uit-vsfc"]["source"] == "dev file"
    assert by_dataset["uit-vsfc"]["n"] == 18
    assert by_dataset["vlsp2016"]["source"] == "5-fold cross-validation on the training file"
    assert by_dataset["vlsp2016"]["n"] == 54
    assert sentiment.params["datasets"]["uit-vsfc"]["dev"]["rows"] == 18
    assert sentiment.metrics["macro_f1"] > 0.8
    misinformation, classifier = load_model(models / "misinformation")
    assert misinformation.backend == "sklearn"  # one dataset: the recipe itself
    assert misinformation.metrics["by_dataset"]["reintel"]["roc_auc"] > 0.8
    assert classifier.labels == ("reliable", "unreliable")
    assert "sentiment: skipping aivivn2019" in progress
    assert "sentiment: training on uit-vsfc, vlsp2016" in progress
    assert "uit-vsfc: accuracy" in progress


def test_the_models_are_pinned_and_the_config_returns_them(trained: tuple[Path, Path, str]) -> None:
    config, models, _ = trained
    pins = yaml.safe_load((config / PINS_FILE).read_text(encoding="utf-8"))["trained"]
    assert set(pins) == {"sentiment", "toxicity", "misinformation"}
    merged = load_models_config(config).trained
    for task in ("sentiment", "toxicity", "misinformation"):
        pinned = getattr(merged, task)
        assert pinned is not None
        assert pinned.path == (models / task).resolve()
        assert pinned.sha256 == model_digest(models / task)
    assert merged.misinformation is not None
    assert merged.misinformation.positive_label == "unreliable"
    assert merged.topic is None


def test_the_service_scores_with_the_pinned_models(trained: tuple[Path, Path, str]) -> None:
    config, _, _ = trained
    monitor = open_monitor(config)
    try:
        crawl(monitor)
        items = monitor.store.search(SearchRequest(limit=5)).items
        assert items
        assert {item.analysis.sentiment.model.name for item in items} == {"sentiment-research"}
        assert all(item.analysis.toxicity.model.name == "toxicity-research" for item in items)
    finally:
        monitor.close()


def test_a_missing_task_folder_is_skipped_with_a_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write(data / "toxicity/uit-vihsd/train.jsonl", _rows({"clean": CLEAN, "offensive": OFFENSIVE, "hate": HATE}))
    code, stdout, stderr = _train("--data-dir", str(data), "--out", str(tmp_path / "models"), "--no-pin")
    assert code == 0
    assert "sentiment: skipped, none of its datasets is in" in stderr
    assert "topic: skipped" in stderr
    assert "toxicity: wrote" in stderr
    assert "not pinned" in stdout
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["toxicity"]


def test_a_malformed_row_names_its_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    train = _write(data / "toxicity/uit-vihsd/train.jsonl", _rows({"clean": CLEAN, "offensive": OFFENSIVE}))
    lines = train.read_text(encoding="utf-8").splitlines()
    lines[6] = '{"id": "r6", "text": "coi cười xỉu"}'
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, stderr = _train("--data-dir", str(data), "--out", str(tmp_path / "models"), "--no-pin")
    assert code == 1
    assert f"{train}:7: field 'label' is missing" in stderr


def test_a_label_foreign_to_the_task_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    train = _write(data / "toxicity/uit-vihsd/train.jsonl", _rows({"clean": CLEAN, "toxic": OFFENSIVE}))
    code, _, stderr = _train("--data-dir", str(data), "--out", str(tmp_path / "models"), "--no-pin")
    assert code == 1
    assert f"{train}: labels ['toxic'] are not among this task's labels" in stderr


def test_a_folder_without_any_dataset_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, stderr = _train("--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "models"), "--no-pin")
    assert code == 1
    assert "no research dataset found for any task" in stderr


def test_a_hand_pin_in_models_yaml_wins_and_the_command_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write(data / "toxicity/uit-vihsd/train.jsonl", _rows({"clean": CLEAN, "offensive": OFFENSIVE, "hate": HATE}))
    config = make_config_dir(tmp_path / "configs")
    (config / "models.yaml").write_text(f"trained:\n  toxicity:\n    path: /srv/models/toxic\n    sha256: {'a' * 64}\n")
    code, _, stderr = _train("--data-dir", str(data), "--out", str(tmp_path / "models"), "--config-dir", str(config))
    assert code == 0
    assert "toxicity: note: " in stderr
    assert "pins /srv/models/toxic for toxicity, and it wins over the model just trained" in stderr
    pinned = load_models_config(config).trained.toxicity
    assert pinned is not None
    assert pinned.path == Path("/srv/models/toxic")
