"""Entity recognition benchmark: texts/s of the gazetteer and of the recognizer with bounded NER.

    python -m tests.bench.entities_bench                       # defaults: 4000 posts, 300 articles
    python -m tests.bench.entities_bench --posts 20000 --articles 1000 --full-ner 20

Texts are generated from Vietnamese sentences naming local places (posts ~150 characters, some typed
without diacritics, with teencode and emoji; articles ~3,000 characters). Rates are per CPU-second of
this one process (steady on a busy machine); 2 cores give at most twice. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from models.entities import EntityRecognizer, NerSettings
from models.gazetteer import load_gazetteer
from monitor.text import fold

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

SENTENCES = [
    "Chiều 12/3, UBND tỉnh Đồng Nai làm việc với các sở ngành về tiến độ dự án sân bay Long Thành.",
    "Ông Nguyễn Văn Hùng, Chủ tịch UBND huyện Long Thành, cho biết công tác giải phóng mặt bằng đã xong.",
    "Người dân ở Đồng Xoài, Bình Phước phản ánh đường sá xuống cấp sau mùa mưa.",
    "Cao tốc Biên Hòa - Vũng Tàu đoạn qua Long Thành dự kiến thông xe trong năm nay.",
    "Dự án đường Vành đai 3 qua Nhơn Trạch đang được đẩy nhanh tiến độ thi công.",
    "Du khách đổ về Vườn quốc gia Cát Tiên và hồ Trị An dịp cuối tuần.",
    "Công an tỉnh Đồng Nai khuyến cáo người dân cảnh giác với các cuộc gọi lừa đảo.",
    "Lễ hội tại Văn miếu Trấn Biên thu hút hàng nghìn lượt khách tham quan.",
    "Bà Trần Thị Mai, Giám đốc Sở Y tế, kiểm tra Bệnh viện Đa khoa Đồng Nai.",
    "Mưa lớn khiến nhiều tuyến đường ở Biên Hòa ngập sâu, giao thông ùn tắc kéo dài.",
    "Nông dân Xuân Lộc, Cẩm Mỹ trúng mùa sầu riêng nhưng giá bán giảm mạnh.",
    "Trên Quốc lộ 51 và Quốc lộ 20 xảy ra nhiều vụ tai nạn giao thông nghiêm trọng.",
]
POSTS = [
    "kẹt xe ở bien hoa wá 😭 ko bik dc j luôn",
    "Núi Bà Rá đẹp xỉu 😍😍 ai đi Phước Long hông",
    "sân bay long thành bao giờ xong vậy mn",
    "Mưa to quá, đường ở Trảng Bom ngập hết rồi 🌧️",
    "QL51 sáng nay kẹt cứng, ai đi làm tránh nha",
    "dong xoai binh phuoc gio thuoc dong nai roi ha",
    "Chợ Long Khánh hôm nay đông vui ghê 😁",
    "Công an Đồng Nai thông báo phân luồng giao thông dịp lễ",
]


def make_posts(count: int, rng: random.Random) -> list[str]:
    texts = []
    for _ in range(count):
        text = " ".join(rng.choices(POSTS, k=3))
        texts.append(fold(text) if rng.random() < 0.3 else text)
    return texts


def make_articles(count: int, rng: random.Random, chars: int = 3000) -> list[str]:
    texts = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < chars:
            parts.append(rng.choice(SENTENCES))
        texts.append(" ".join(parts))
    return texts


def rate(function: Callable[[Sequence[str]], Any], texts: list[str]) -> float:
    """Texts per CPU-second of this process: steadier than wall time on a shared machine."""
    function(texts[:20])  # warm caches
    started = time.process_time()
    function(texts)
    return round(len(texts) / (time.process_time() - started), 1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--full-ner", type=int, default=10, help="articles run through NER in full")
    parser.add_argument("--config-dir", type=Path, default=CONFIGS)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    posts, articles = make_posts(args.posts, rng), make_articles(args.articles, rng)

    started = time.perf_counter()
    gazetteer = load_gazetteer(args.config_dir)
    build_s = time.perf_counter() - started
    settings = NerSettings()
    recognizer = EntityRecognizer(gazetteer, settings)
    started = time.perf_counter()
    recognizer.find_batch(articles[:1])  # loads underthesea and its models
    ner_load_s = time.perf_counter() - started
    unbounded = EntityRecognizer(gazetteer, NerSettings(max_chars=10**9, min_text_chars=0))
    ner_only = articles[: args.full_ner]
    started = time.process_time()
    for text in ner_only:
        unbounded.ner_mentions(text)
    ner_chars_per_s = sum(map(len, ner_only)) / (time.process_time() - started)
    post_ner = EntityRecognizer(gazetteer, NerSettings(min_text_chars=0))

    result = {
        "texts": {
            "posts": len(posts),
            "post_chars": round(sum(map(len, posts)) / len(posts)),
            "articles": len(articles),
            "article_chars": round(sum(map(len, articles)) / len(articles)),
        },
        "load_s": {"gazetteer": round(build_s, 3), "ner_first_use": round(ner_load_s, 2)},
        "ner_settings": settings.model_dump(),
        "posts_per_cpu_s": {
            "gazetteer": rate(gazetteer.find_batch, posts),
            "recognizer_default": rate(recognizer.find_batch, posts),
            "recognizer_ner_on_posts": rate(post_ner.find_batch, posts[:500]),
        },
        "articles_per_cpu_s": {
            "gazetteer": rate(gazetteer.find_batch, articles),
            "recognizer_default": rate(recognizer.find_batch, articles),
            "recognizer_full_ner": rate(unbounded.find_batch, ner_only),
        },
        "ner_chars_per_cpu_s": round(ner_chars_per_s),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
