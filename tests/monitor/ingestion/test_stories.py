"""Story clustering on the real SQLite store, with hand-written (fictional) Vietnamese news and posts.

Similarities the index estimates for these fixtures (128 values, so multiples of 1/128): the syndicated
copies 0.82 (the copy with a changed sentence) and 0.80 (the copy with its own title, lead and footers)
against the original, 0.70 with each other; the Facebook repost 0.92 against the paragraph it copies but
only 0.23 against the whole article (why passages are indexed); a short post and its repost with a comment
line 0.84; the other reports on the same topic 0.00-0.13 against the article and its copies (the highest for
the report that repeats its advisory paragraph word for word) and 0.00-0.02 against each other.

Throughput, measured by hand on the 2-core development machine (not asserted here), one core, fresh index:
about 4,000 posts of ~150 characters and 475 articles of ~3,000 characters per second when assigned in
batches of 100; about 1,700 and 270 per second one document per call (each call commits once).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.db import Database
from monitor.errors import StoreError
from monitor.ingestion.stories import DEFAULT_THRESHOLD, StoryIndex, fingerprint, text_similarity
from monitor.records import Document, Platform, doc_id_for_post, doc_id_for_url
from monitor.text import tokens

# One news article (fictional, like every text here), paragraphs separated by blank lines as feeds deliver them.
TITLE = "Mưa lớn kéo dài, nhiều tuyến đường ở Biên Hòa ngập sâu"
P1 = (
    "Chiều 14/10, một trận mưa lớn kéo dài gần ba giờ đã khiến nhiều tuyến đường tại thành phố Biên Hòa, "
    "tỉnh Đồng Nai ngập sâu từ 40 đến 70 cm. Các tuyến đường Phạm Văn Thuận, Đồng Khởi và Nguyễn Ái Quốc "
    "bị ngập nặng nhất, nhiều xe máy chết máy giữa dòng nước."
)
P2 = (
    "Tại khu vực ngã tư Tân Phong, nước chảy xiết tràn vào hàng chục ngôi nhà và cửa hàng ven đường. "
    "Người dân phải dùng bao cát chặn cửa, kê cao đồ đạc và chuyển tài sản lên tầng hai. Bà Nguyễn Thị Lan, "
    "một tiểu thương ở phường Tân Phong, cho biết nước lên rất nhanh, chỉ khoảng hai mươi phút đã ngập "
    "đến đầu gối."
)
P3 = (
    "Theo Ban Chỉ huy phòng chống thiên tai thành phố, lượng mưa đo được tại trạm Biên Hòa đạt 112 mm, cao "
    "nhất từ đầu mùa mưa năm nay. Hệ thống cống thoát nước ở nhiều khu vực đang được thi công nên khả năng "
    "tiêu thoát nước còn hạn chế."
)
P3_CHANGED = (
    "Theo Ban Chỉ huy phòng chống thiên tai thành phố, lượng mưa đo được tại trạm Biên Hòa đạt 112 mm, cao "
    "nhất từ đầu mùa mưa năm nay. Nguyên nhân chính là mưa quá lớn trong thời gian ngắn, trong khi nhiều "
    "tuyến cống trên địa bàn vẫn đang thi công dở dang."
)
P4 = (
    "Ngay trong đêm, lực lượng chức năng đã huy động hơn 50 cán bộ, chiến sĩ cùng xe chuyên dụng hỗ trợ "
    "người dân, phân luồng giao thông và khơi thông các miệng cống bị rác bít lại. Đến 21 giờ cùng ngày, "
    "nước ở phần lớn các tuyến đường đã rút."
)
P5 = (
    "Ủy ban nhân dân thành phố Biên Hòa đề nghị người dân thường xuyên theo dõi thông tin dự báo thời tiết, "
    "hạn chế ra đường khi có mưa lớn và không cố vượt qua những đoạn đường ngập sâu, nước chảy xiết."
)
# Báo Đồng Nai's original, and two syndicated copies: one with its own lead, footer and one sentence changed,
# one with its own title, an added lead sentence and a block of "Xem thêm" links.
ORIGINAL = "\n\n".join([P1, P2, P3, P4, P5, "Xem thêm: Biên Hòa khởi công dự án chống ngập đường Đồng Khởi"])
SYNDICATED_B = "\n\n".join(["(ĐN) – " + P1, P2, P3_CHANGED, P4, P5, "(Theo Báo Đồng Nai)"])
TITLE_C = "Biên Hòa: mưa như trút nước, phố thành sông"
SYNDICATED_C = "\n".join(
    [
        "Cơn mưa chiều qua khiến người dân Biên Hòa một phen vất vả.",
        P1,
        P2,
        P3,
        P4,
        P5,
        "Xem thêm: Dự báo thời tiết Đồng Nai 10 ngày tới",
        "Xem thêm: Cảnh báo sạt lở dọc sông Đồng Nai mùa mưa lũ",
        "Tin liên quan: Nhiều trường học ở Biên Hòa cho học sinh nghỉ vì ngập",
    ]
)
# A Facebook repost of one paragraph with a comment line, and the same post typed without diacritics.
REPOST = P2 + "\nMọi người chia sẻ nhé 😢"
REPOST_UNACCENTED = (
    "Tai khu vuc nga tu Tan Phong, nuoc chay xiet tran vao hang chuc ngoi nha va cua hang ven duong. "
    "Nguoi dan phai dung bao cat chan cua, ke cao do dac va chuyen tai san len tang hai. Ba Nguyen Thi Lan, "
    "mot tieu thuong o phuong Tan Phong, cho biet nuoc len rat nhanh, chi khoang hai muoi phut da ngap "
    "den dau goi.\nMoi nguoi chia se nhe 😢"
)
# Different reports on the same topic, which must stay separate stories. The first ends with the advisory
# paragraph of the article almost word for word, as official advice is repeated from report to report.
FLOOD_TRI_AN_TITLE = "Hồ Trị An tăng lưu lượng xả, nhiều hộ dân ven sông Đồng Nai bị ngập"
FLOOD_TRI_AN = "\n\n".join(
    [
        "Từ 6 giờ sáng 16/10, Công ty Thủy điện Trị An tăng lưu lượng xả qua tràn lên 1.800 m3/giây do mực "
        "nước hồ dâng cao sau nhiều ngày mưa lớn ở thượng nguồn. Nước sông Đồng Nai lên nhanh khiến hơn 200 "
        "hộ dân ở các xã Hiếu Liêm, Tân Bình và Bình Lợi, huyện Vĩnh Cửu bị ngập.",
        "Nhiều diện tích vườn bưởi, chôm chôm ven sông chìm trong nước. Ông Trần Văn Hùng ở xã Bình Lợi cho "
        "biết gia đình ông đã kịp thu hoạch một phần trái cây nhưng hơn nửa vườn vẫn ngập sâu gần một mét.",
        "Huyện Vĩnh Cửu đã di dời 45 hộ ở vùng trũng đến nơi an toàn, bố trí lực lượng trực tại các bến đò "
        "và cấm phương tiện nhỏ lưu thông trên sông khi thủy điện đang xả lũ. Chính quyền địa phương cũng "
        "chuẩn bị lương thực, nước uống cho các hộ phải sơ tán.",
        "Ban Chỉ huy phòng chống thiên tai tỉnh Đồng Nai đề nghị người dân thường xuyên theo dõi thông tin "
        "dự báo thời tiết, hạn chế ra đường khi có mưa lớn và không cố vượt qua những đoạn đường ngập sâu, "
        "nước chảy xiết.",
    ]
)
FLOOD_RICE_TITLE = "Mưa lớn làm ngập úng hàng trăm hecta lúa ở Tân Phú"
FLOOD_RICE = "\n\n".join(
    [
        "Mưa lớn liên tục trong ba ngày qua đã làm khoảng 350 hecta lúa hè thu sắp thu hoạch ở huyện Tân Phú, "
        "tỉnh Đồng Nai bị ngập úng. Thiệt hại nặng nhất tại các xã Phú Thanh, Phú Xuân và Trà Cổ, nơi nhiều "
        "cánh đồng chìm trong nước từ 30 đến 50 cm.",
        "Nông dân đang tranh thủ thuê máy gặt để cứu lúa, nhưng giá thuê tăng gấp rưỡi vì ruộng lầy. Anh Lê "
        "Văn Tâm ở xã Phú Xuân nói nếu nước không rút trong hai ngày tới, lúa sẽ nảy mầm và gần như mất trắng.",
        "Phòng Nông nghiệp huyện Tân Phú đã cử cán bộ xuống từng cánh đồng thống kê thiệt hại, hướng dẫn bà con "
        "khơi thông kênh mương và đề xuất tỉnh hỗ trợ giống cho vụ sau. Trạm bơm Phú Thanh cũng được vận hành "
        "hết công suất để tiêu nước.",
    ]
)
TOURISM_TITLE = "Khu du lịch thác Giang Điền đón hàng nghìn lượt khách dịp cuối tuần"
TOURISM = "\n\n".join(
    [
        "Dịp cuối tuần qua, khu du lịch thác Giang Điền ở huyện Trảng Bom, tỉnh Đồng Nai đón hơn 6.000 lượt "
        "khách, phần lớn là các gia đình và nhóm sinh viên từ Thành phố Hồ Chí Minh. Du khách đến tắm thác, "
        "cắm trại và tham gia các trò chơi vận động dưới tán rừng.",
        "Ban quản lý khu du lịch cho biết năm nay đơn vị mở thêm khu ẩm thực đồng quê, tuyến xe đạp quanh hồ "
        "và các buổi biểu diễn nhạc cụ dân tộc vào tối thứ bảy. Giá vé vẫn giữ nguyên so với năm ngoái.",
        "Sở Văn hóa, Thể thao và Du lịch Đồng Nai đang phối hợp với các huyện xây dựng tour kết nối thác "
        "Giang Điền với vườn quốc gia Cát Tiên và núi Chứa Chan nhằm giữ chân du khách lâu hơn.",
    ]
)
# A short social post and its repost with a comment line.
SOCIAL = (
    "Đường Phạm Văn Thuận đoạn gần chợ Biên Hòa nước ngập tới yên xe, ai đi làm về thì tránh ra nhé, "
    "xe chết máy nằm la liệt, có mấy bạn học sinh phải dắt bộ cả cây số."
)
SOCIAL_REPOST = SOCIAL + "\nMọi người chia sẻ nhé 😢"

BASE = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)  # 10:00 in Đồng Nai


def news(outlet: str, slug: str, text: str, *, title: str = "", minutes: int = 0) -> Document:
    url = f"https://{outlet}.example/{slug}.html"
    published = BASE + timedelta(minutes=minutes)
    return Document(
        doc_id=doc_id_for_url(url),
        source_id=outlet,
        platform=Platform.NEWS,
        url=url,
        title=title,
        text=text,
        lang="vi",
        published_at=published,
        fetched_at=published + timedelta(minutes=5),
    )


def post(post_id: str, text: str, *, minutes: int = 0) -> Document:
    published = BASE + timedelta(minutes=minutes)
    return Document(
        doc_id=doc_id_for_post(Platform.FACEBOOK, post_id),
        source_id="sample-social",
        platform=Platform.FACEBOOK,
        url=f"https://facebook.example/posts/{post_id}",
        text=text,
        lang="vi",
        author="Người dùng Facebook",
        published_at=published,
        fetched_at=published + timedelta(minutes=1),
    )


ARTICLE = news("baodongnai", "mua-lon-bien-hoa", ORIGINAL, title=TITLE, minutes=0)
COPY_B = news("tintuc-dongnai", "bien-hoa-ngap-sau", SYNDICATED_B, title=TITLE, minutes=30)
COPY_C = news("nguoidongnai", "pho-thanh-song", SYNDICATED_C, title=TITLE_C, minutes=60)
FB_REPOST = post("9001", REPOST, minutes=120)
FB_UNACCENTED = post("9002", REPOST_UNACCENTED, minutes=150)
OTHER_FLOOD = news("baodongnai", "ho-tri-an-xa-lu", FLOOD_TRI_AN, title=FLOOD_TRI_AN_TITLE, minutes=200)
RICE_FLOOD = news("nongnghiep-dongnai", "lua-ngap-tan-phu", FLOOD_RICE, title=FLOOD_RICE_TITLE, minutes=240)
TOURIST = news("dulich-dongnai", "thac-giang-dien", TOURISM, title=TOURISM_TITLE, minutes=300)
CORPUS = [ARTICLE, COPY_B, COPY_C, FB_REPOST, FB_UNACCENTED, OTHER_FLOOD, RICE_FLOOD, TOURIST]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "x.sqlite3")
    yield database
    database.close()


@pytest.fixture
def index(db: Database) -> StoryIndex:
    return StoryIndex(db)


def test_fixtures_are_what_they_claim() -> None:
    assert 150 <= len(tokens(ORIGINAL)) <= 300
    assert tokens(REPOST_UNACCENTED) == tokens(REPOST)  # the same post typed without diacritics
    assert "Mọi người chia sẻ nhé 😢" in REPOST


def test_syndicated_copies_join_the_original_story(index: StoryIndex) -> None:
    result = index.assign([COPY_C, ARTICLE, COPY_B])

    story = ARTICLE.doc_id
    assert result[ARTICLE.doc_id].new_story
    assert result[ARTICLE.doc_id].story_id == story
    for copy in (COPY_B, COPY_C):
        assigned = result[copy.doc_id]
        assert assigned.story_id == story
        assert not assigned.exact_duplicate
        assert assigned.similarity is not None
        assert assigned.similarity >= 0.65
        assert assigned.matched_doc_id is not None
    assert index.members(story) == [ARTICLE.doc_id, COPY_B.doc_id, COPY_C.doc_id]
    assert index.size(story) == 3


def test_copies_score_far_above_the_threshold_and_other_reports_far_below() -> None:
    article = ARTICLE.content
    for copy in (COPY_B, COPY_C):
        assert text_similarity(article, copy.content) >= DEFAULT_THRESHOLD + 0.15
    for first, second in itertools.combinations([ARTICLE, OTHER_FLOOD, RICE_FLOOD, TOURIST], 2):
        assert text_similarity(first.content, second.content) <= 0.2, (first.url, second.url)


def test_facebook_repost_of_a_paragraph_joins_the_article_story(index: StoryIndex) -> None:
    index.assign([ARTICLE])
    result = index.assign([FB_REPOST, FB_UNACCENTED])

    repost = result[FB_REPOST.doc_id]
    assert repost.story_id == ARTICLE.doc_id
    assert repost.matched_doc_id == ARTICLE.doc_id
    assert repost.similarity is not None
    assert repost.similarity >= 0.8  # against the paragraph it copies; the whole article is only ~0.23
    assert text_similarity(ARTICLE.content, FB_REPOST.content) < DEFAULT_THRESHOLD

    unaccented = result[FB_UNACCENTED.doc_id]
    assert unaccented.story_id == ARTICLE.doc_id
    assert unaccented.exact_duplicate
    assert unaccented.similarity == 1.0
    assert unaccented.matched_doc_id == FB_REPOST.doc_id


def test_article_published_after_the_repost_finds_it_through_its_paragraphs(index: StoryIndex) -> None:
    early_repost = post("8001", REPOST, minutes=-60)
    index.assign([early_repost])

    assigned = index.assign([ARTICLE])[ARTICLE.doc_id]

    assert assigned.story_id == early_repost.doc_id
    assert assigned.similarity is not None
    assert assigned.similarity >= 0.8


def test_different_reports_on_the_same_topic_stay_separate(index: StoryIndex) -> None:
    result = index.assign(CORPUS)

    stories = {doc.doc_id: result[doc.doc_id].story_id for doc in CORPUS}
    assert {stories[d.doc_id] for d in (ARTICLE, COPY_B, COPY_C, FB_REPOST, FB_UNACCENTED)} == {ARTICLE.doc_id}
    for separate in (OTHER_FLOOD, RICE_FLOOD, TOURIST):
        assert stories[separate.doc_id] == separate.doc_id
        assert result[separate.doc_id].new_story
        assert index.size(separate.doc_id) == 1
    assert index.size(ARTICLE.doc_id) == 5


def test_repost_of_a_short_post_with_a_comment_line(index: StoryIndex) -> None:
    original = post("7001", SOCIAL, minutes=0)
    repost = post("7002", SOCIAL_REPOST, minutes=10)

    result = index.assign([original, repost])

    assigned = result[repost.doc_id]
    assert assigned.story_id == original.doc_id
    assert assigned.similarity is not None
    assert assigned.similarity >= 0.75


def test_exact_duplicate_is_flagged(index: StoryIndex) -> None:
    first = post("6001", "Đồng Nai: cầu Hóa An tạm cấm xe tải từ 22 giờ tối nay để sửa mặt cầu.", minutes=0)
    # Other case, punctuation and spacing, no diacritics: the same folded word sequence.
    same = post("6002", "DONG NAI - Cau Hoa An tam cam xe tai tu 22 gio toi nay de sua mat cau!!!", minutes=5)

    result = index.assign([same, first])

    assert result[first.doc_id].new_story
    assert result[same.doc_id].story_id == first.doc_id
    assert result[same.doc_id].exact_duplicate
    assert result[same.doc_id].similarity == 1.0
    assert result[same.doc_id].matched_doc_id == first.doc_id


def test_short_posts_compare_as_word_sets_with_a_stricter_threshold(index: StoryIndex) -> None:
    first = post("5001", "Biên Hòa ngập quá trời luôn", minutes=0)
    longer = post("5002", "Biên Hòa ngập quá trời luôn rồi", minutes=1)
    different = post("5003", "Biên Hòa mưa quá trời", minutes=2)

    result = index.assign([first, longer, different])

    assert result[longer.doc_id].story_id == first.doc_id
    # 4 of 7 words shared (about 0.57): enough for the default threshold, not for the short-text one.
    assert text_similarity(first.text, different.text) >= DEFAULT_THRESHOLD
    assert result[different.doc_id].new_story


def test_reassignment_is_idempotent(index: StoryIndex) -> None:
    first = index.assign(CORPUS)
    edited = COPY_B.model_copy(update={"text": COPY_B.text + "\nCập nhật lúc 15 giờ."})
    again = index.assign([*CORPUS, edited, ARTICLE])

    assert again == first
    assert index.size(ARTICLE.doc_id) == 5
    assert len(index.members(ARTICLE.doc_id)) == 5
    # A changed text keeps the story it was first given, even when it would now match nothing.
    rewritten = TOURIST.model_copy(update={"text": FLOOD_RICE})
    assert index.assign([rewritten])[TOURIST.doc_id] == first[TOURIST.doc_id]
    assert index.size(TOURIST.doc_id) == 1


def test_repeated_doc_id_in_one_batch_counts_once(index: StoryIndex) -> None:
    result = index.assign([ARTICLE, ARTICLE, COPY_B, ARTICLE])

    assert set(result) == {ARTICLE.doc_id, COPY_B.doc_id}
    assert index.size(ARTICLE.doc_id) == 2


def test_results_do_not_depend_on_batch_order(tmp_path: Path) -> None:
    forward_db, backward_db = Database(tmp_path / "a.sqlite3"), Database(tmp_path / "b.sqlite3")
    try:
        forward = StoryIndex(forward_db).assign(CORPUS)
        backward = StoryIndex(backward_db).assign(list(reversed(CORPUS)))
    finally:
        forward_db.close()
        backward_db.close()
    assert forward == backward


def test_index_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    first_db = Database(path)
    StoryIndex(first_db).assign([ARTICLE, COPY_B, TOURIST])
    first_db.close()

    reopened_db = Database(path)
    try:
        reopened = StoryIndex(reopened_db)
        assert reopened.story_of(COPY_B.doc_id) == ARTICLE.doc_id
        assert reopened.members(ARTICLE.doc_id) == [ARTICLE.doc_id, COPY_B.doc_id]
        assert reopened.size(TOURIST.doc_id) == 1
        later = reopened.assign([COPY_C, FB_REPOST])
        assert {a.story_id for a in later.values()} == {ARTICLE.doc_id}
        assert reopened.size(ARTICLE.doc_id) == 4
    finally:
        reopened_db.close()


@pytest.mark.parametrize(
    "text",
    ["Ngập quá trời", "😢😢😢", "!!! ... ???", "", "ok", "Biên Hòa"],
    ids=["three-words", "emoji", "punctuation", "empty", "one-word", "two-words"],
)
def test_very_short_texts_get_their_own_story(index: StoryIndex, text: str) -> None:
    docs = [post(f"short-{n}", text, minutes=n) for n in range(2)]
    if len(tokens(text)) >= 3:
        docs = docs[:1]  # two identical three-word posts are exact duplicates, tested above

    result = index.assign(docs)

    for doc in docs:
        assert result[doc.doc_id].story_id == doc.doc_id
        assert result[doc.doc_id].new_story
        assert index.size(doc.doc_id) == 1
        assert index.story_of(doc.doc_id) == doc.doc_id


def test_text_without_words_has_no_signature() -> None:
    assert fingerprint("😢").signature is None
    assert text_similarity("😢", ORIGINAL) == 0.0


def test_unknown_story_and_document(index: StoryIndex) -> None:
    assert index.story_of("nope") is None
    assert index.members("nope") == []
    assert index.size("nope") == 0
    assert index.assign([]) == {}


def test_a_100_kb_text_and_its_edited_copy(index: StoryIndex) -> None:
    wards = ["Tân Phong", "Tân Hiệp", "Hố Nai", "Trảng Dài", "Long Bình", "Bửu Long", "Quang Vinh", "Thống Nhất"]
    lines = [
        f"Ngày {n % 28 + 1}/10, tổ công tác số {n} kiểm tra {n * 7 % 97} điểm ngập ở phường {wards[n % 8]}, "
        f"ghi nhận {n * 13 % 41} hộ cần hỗ trợ và {n * 3 % 17} tuyến cống cần nạo vét trước ngày {n % 30 + 1}."
        for n in range(800)
    ]
    long_text = "\n".join(lines)
    assert len(long_text.encode("utf-8")) >= 100_000
    edited = "\n".join([*lines[:400], "Phần này đã được biên tập lại cho ngắn gọn hơn.", *lines[420:]])
    first, copy = post("big-1", long_text, minutes=0), post("big-2", edited, minutes=1)

    result = index.assign([first, copy])

    assigned = result[copy.doc_id]
    assert assigned.story_id == first.doc_id
    assert assigned.similarity is not None
    assert assigned.similarity >= 0.9


def test_signatures_are_the_same_in_every_process() -> None:
    script = (
        "from monitor.ingestion.stories import fingerprint\n"
        "from tests.monitor.ingestion.test_stories import ORIGINAL\n"
        "f = fingerprint(ORIGINAL)\n"
        "print(f.content_hash.hex(), f.bands.tolist(), f.signatures.tolist())\n"
    )
    root = Path(__file__).resolve().parents[3]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    content_hash = fingerprint(ORIGINAL).content_hash
    assert content_hash is not None
    assert len(outputs) == 1
    assert outputs.pop().startswith(content_hash.hex())


def test_threshold_must_be_a_fraction(db: Database) -> None:
    with pytest.raises(ValueError, match="thresholds"):
        StoryIndex(db, threshold=0.0)
    with pytest.raises(ValueError, match="thresholds"):
        StoryIndex(db, threshold=1.5)


def test_a_stricter_threshold_keeps_the_looser_copies_apart(db: Database) -> None:
    strict = StoryIndex(db, threshold=0.9)

    result = strict.assign([ARTICLE, COPY_B, COPY_C])

    assert {a.story_id for a in result.values()} == {ARTICLE.doc_id, COPY_B.doc_id, COPY_C.doc_id}


def test_sqlite_failures_raise_store_error(index: StoryIndex, db: Database) -> None:
    index.assign([ARTICLE])
    db.connection().execute("DROP TABLE story_bands")

    with pytest.raises(StoreError):
        index.assign([COPY_B])
    db.connection().execute("DROP TABLE story_passages")
    db.connection().execute("DROP TABLE story_members")
    with pytest.raises(StoreError):
        index.story_of(ARTICLE.doc_id)
    with pytest.raises(StoreError):
        index.members(ARTICLE.doc_id)


def test_failed_batch_stores_nothing(index: StoryIndex, db: Database) -> None:
    refuse = f"SELECT RAISE(ABORT, 'refused') WHERE NEW.doc_id = '{COPY_C.doc_id}'"
    db.connection().execute(f"CREATE TRIGGER refuse AFTER INSERT ON story_members BEGIN {refuse}; END")

    with pytest.raises(StoreError, match="refused"):
        index.assign([ARTICLE, COPY_B, COPY_C])

    assert index.story_of(ARTICLE.doc_id) is None
    assert index.size(ARTICLE.doc_id) == 0


def test_index_built_with_another_scheme_refuses_to_open(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = Database(path)
    StoryIndex(db)
    db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE story_settings SET value = 'minhash-v0' WHERE key = 'scheme'")
    conn.close()

    reopened = Database(path)
    try:
        with pytest.raises(StoreError, match="minhash-v0") as caught:
            StoryIndex(reopened)
        assert not caught.value.retryable
    finally:
        reopened.close()
