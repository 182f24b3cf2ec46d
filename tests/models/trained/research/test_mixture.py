"""The mixture of experts: a router over the text weighs one model per dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.trained.modeldir import DataRef, ModelCard, load_model, now_utc, write_model
from models.trained.research.mixture import MIXTURE_FILE, fit_mixture
from monitor.errors import ModelError

# Two "datasets" that look different: lower-cased, tokenised student feedback with a rare neutral, and
# shop reviews without diacritics and only two labels.
FEEDBACK = {
    "positive": ("thầy dạy rất nhiệt tình .", "giảng viên vui tính , dễ hiểu .", "môn học bổ ích ."),
    "negative": ("giáo trình chưa cụ thể .", "phòng học nóng , thiếu quạt .", "thầy giảng quá nhanh ."),
    "neutral": ("lớp học vào sáng thứ hai .", "môn này có hai bài kiểm tra ."),
}
SHOP = {
    "positive": ("hang dep, giao nhanh qua shop oi", "sp xinh xan, ung ho shop", "dong goi ky, rat ung y"),
    "negative": ("hang loi, shop ko tra loi", "giao cham, that vong qua", "ao rach, ko nen mua"),
}
TAILS = ("", " nhé", " luôn", " á", " thật", " lắm")


def _data() -> tuple[list[str], list[str], list[str]]:
    texts, labels, groups = [], [], []
    for group, table in (("feedback", FEEDBACK), ("shop", SHOP)):
        for label, phrases in table.items():
            for phrase in phrases:
                for tail in TAILS:
                    texts.append(phrase + tail)
                    labels.append(label)
                    groups.append(group)
    return texts, labels, groups


def test_the_mixture_weighs_each_expert_by_the_router(tmp_path: Path) -> None:
    texts, labels, groups = _data()
    mixture = fit_mixture(texts, labels, groups, None, 13)
    assert mixture.labels == ("negative", "neutral", "positive")
    assert set(mixture.experts["shop"].labels) == {"negative", "positive"}
    shop_review = ["sp xinh xan, giao nhanh qua"]
    routed = mixture.router.predict_proba(shop_review)[0]
    assert routed[mixture.router.labels.index("shop")] > 0.5
    probabilities = mixture.predict_proba([*shop_review, "lớp học vào sáng thứ hai ."])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert mixture.labels[int(np.argmax(probabilities[0]))] == "positive"
    assert mixture.labels[int(np.argmax(probabilities[1]))] == "neutral"
    # The shop expert has no neutral: that label's probability can come only from the feedback expert.
    feedback_weight = mixture.router.predict_proba(shop_review)[0][mixture.router.labels.index("feedback")]
    assert probabilities[0][1] <= feedback_weight + 1e-9
    assert mixture.predict_proba([]).shape == (0, 3)


def test_a_saved_mixture_is_a_model_directory_and_a_changed_part_is_refused(tmp_path: Path) -> None:
    texts, labels, groups = _data()
    mixture = fit_mixture(texts, labels, groups, None, 13)
    card = ModelCard(
        task="sentiment",
        backend="mixture",
        name="sentiment-research",
        version="1",
        labels=mixture.labels,
        created_at=now_utc(),
        train_data=DataRef(path="synthetic", sha256="0" * 64, rows=len(texts)),
        metrics={},
        params={},
        files={},
    )
    written = write_model(tmp_path / "model", mixture, card)
    assert MIXTURE_FILE in written.files
    _, loaded = load_model(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict_proba(texts[:5]), mixture.predict_proba(texts[:5]))
    (tmp_path / "model/router/classifier.npz").write_bytes(b"changed")
    with pytest.raises(ModelError, match=r"router/classifier\.npz: sha256"):
        load_model(tmp_path / "model")
