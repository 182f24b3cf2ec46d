"""The console's search page over the crawled sample corpus: roles, the privacy view, the query errors with
their caret, accent-insensitive Vietnamese search, filters, charts, empty states, and the export."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from api.console import search as search_page
from api.console.query_help import SYNTAX
from monitor.access.keys import Role
from monitor.context import Monitor
from monitor.query import parse
from monitor.records import Platform
from tests.api.console.corpus import crawled_monitor, signed_in_as
from tests.factories import analyzed, at

RESULT = re.compile(r'<h3><a href="/console/documents/([0-9a-f-]+)">')
QUERY = 'nước AND "Thiện Tân"'
PRIVATE_AUTHOR = "Hương Thu Nguyễn"  # wrote fb_1039 of the sample corpus, about the Thiện Tân rumour


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    with crawled_monitor(tmp_path_factory.mktemp("search")) as monitor:
        yield monitor


def _ids(page: str) -> list[str]:
    return RESULT.findall(page)


def _count(page: str) -> int:
    found = re.search(r'id="result-count">([\d.]+)<', page)
    assert found is not None, page
    return int(found.group(1).replace(".", ""))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.RESEARCHER])
def test_the_roles_that_read_documents_search_and_see_charts(corpus: Monitor, role: Role) -> None:
    with signed_in_as(corpus, role) as (client, _):
        page = client.get("/console/search", params={"q": QUERY})
    assert page.status_code == 200, page.text
    assert _count(page.text) > 0
    assert len(_ids(page.text)) == min(20, _count(page.text))
    assert 'id="charts"' in page.text
    captions = re.findall(r"<figcaption>([^<]+)</figcaption>", page.text)
    assert captions == ["Số bài theo ngày", "Theo sắc thái", "Theo nền tảng", "Theo nguồn", "Theo chủ đề"]
    assert page.text.count('<svg class="chart"') == 5
    assert 'id="query-help"' in page.text  # the syntax with Vietnamese examples


def test_a_liaison_gets_the_refusal_page(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.LIAISON) as (client, token):
        page = client.get("/console/search", params={"q": QUERY})
        export = client.post("/console/search/export", data={"csrf_token": token, "q": QUERY, "format": "csv"})
    for response in (page, export):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "Không có quyền xem trang này" in response.text


def test_a_vietnamese_query_finds_the_same_documents_with_and_without_accents(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        accented = client.get("/console/search", params={"q": "nhiễm độc Biên Hòa"}).text
        plain = client.get("/console/search", params={"q": "nhiem doc bien hoa"}).text
        exact = client.get("/console/search", params={"q": "nhiem doc bien hoa", "exact": "1"}).text
    assert _count(accented) > 0
    assert _count(plain) == _count(accented)
    assert sorted(_ids(plain)) == sorted(_ids(accented))
    # "Phân biệt dấu": only the posts typed without accents match the unaccented words
    assert 0 < _count(exact) < _count(accented)


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ('nước AND (Thiện "Tân"', 9, "Thiếu dấu “)” đóng cho dấu “(” này."),
        ('Biên Hòa AND "nhiễm độc', 13, "Thiếu dấu ngoặc kép đóng cụm từ."),
        ("sentiment:giận nước", 0, "Trường “sentiment” không nhận “giận”"),
        ("nước AND", 8, "Truy vấn kết thúc khi còn thiếu một từ sau đó."),
    ],
)
def test_a_query_error_is_shown_with_a_caret_under_the_fault(
    corpus: Monitor, query: str, position: int, message: str
) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        page = client.get("/console/search", params={"q": query})
    assert page.status_code == 400
    assert f"Truy vấn chưa đúng ở ký tự thứ {position + 1}:" in page.text
    assert message in html.unescape(page.text)
    shown = re.search(r'<pre class="query-error"[^>]*><span>(.*?)</span>\n<span class="caret">( *)\^</span>', page.text)
    assert shown is not None, page.text
    line = html.unescape(re.sub(r"</?mark>", "", shown.group(1)))
    assert line.rstrip() == query
    assert len(shown.group(2)) == position  # the caret stands under the character at fault
    mark = re.search(r"<mark>(.*?)</mark>", page.text)
    assert mark is not None
    assert html.unescape(mark.group(1)) == (query[position : position + 1] or " ")
    box = re.search(r'id="q" name="q" value="([^"]*)"', page.text)
    assert box is not None
    assert html.unescape(box.group(1)) == query  # the query stays in the box, to be fixed
    assert 'id="results"' not in page.text


def test_researchers_read_pseudonyms_and_may_not_filter_by_author(corpus: Monitor) -> None:
    query = "CHIA SẺ GẤP Thiện Tân"
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        officer = client.get("/console/search", params={"q": query}).text
        officer_by_author = client.get("/console/search", params={"q": f'author:"{PRIVATE_AUTHOR}"'})
    with signed_in_as(corpus, Role.RESEARCHER) as (client, _):
        researcher = client.get("/console/search", params={"q": query}).text
        refused = client.get("/console/search", params={"q": f'nước OR author:"{PRIVATE_AUTHOR}"'})
    assert PRIVATE_AUTHOR in officer
    assert PRIVATE_AUTHOR not in researcher
    assert re.search(r"anon-[0-9a-f]{12}", researcher)
    assert 'id="privacy-note"' in researcher
    assert officer_by_author.status_code == 200
    assert _count(officer_by_author.text) >= 1
    assert refused.status_code == 403
    assert "Nhà nghiên cứu không được lọc theo tác giả" in refused.text
    assert 'id="results"' not in refused.text


def test_filters_narrow_the_result(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        every = _count(client.get("/console/search", params={"q": "nước"}).text)
        telegram = client.get("/console/search", params={"q": "nước", "platform": "telegram"}).text
        negative = client.get("/console/search", params={"q": "nước", "sentiment": "negative"}).text
        one_day = client.get("/console/search", params={"q": "nước", "since": "2026-11-03", "until": "2026-11-03"})
        reversed_days = client.get("/console/search", params={"since": "2026-11-04", "until": "2026-11-03"})
        bad_choice = client.get("/console/search", params={"platform": "myspace"})
    assert 0 < _count(telegram) < every
    assert telegram.count("<span>Telegram</span>") == len(_ids(telegram))
    assert 0 < _count(negative) < every
    assert "selected>Tiêu cực</option>" in negative
    assert one_day.status_code == 200
    for published in re.findall(r'<time datetime="[^"]+">(\d\d/\d\d/\d{4}) \d\d:\d\d</time>', one_day.text):
        assert published == "03/11/2026"  # local days: the filter and the listed times agree
    assert reversed_days.status_code == 422
    assert "“Đến ngày” đang trước “Từ ngày”" in reversed_days.text
    assert bad_choice.status_code == 422
    assert "“myspace” không có" in bad_choice.text


def test_no_result_says_what_to_try(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        page = client.get("/console/search", params={"q": '"tàu vũ trụ Long Khánh"'})
    assert page.status_code == 200
    assert 'id="no-results"' in page.text
    assert "Không có kết quả: thử bỏ bớt bộ lọc" in page.text
    assert 'id="export-form"' not in page.text


def test_pages_of_results(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        first = client.get("/console/search").text
        second = client.get("/console/search", params={"page": "2"}).text
    assert _count(first) > 20
    assert len(_ids(first)) == 20
    assert set(_ids(first)).isdisjoint(_ids(second))
    assert 'href="/console/search?page=2"' in first


# --- export ------------------------------------------------------------------------------------------------


def _export(corpus: Monitor, role: Role, fmt: str, **fields: str) -> tuple[bytes, dict[str, str], str]:
    with signed_in_as(corpus, role) as (client, token):
        page = client.get("/console/search", params=fields).text
        response = client.post("/console/search/export", data={"csrf_token": token, "format": fmt, **fields})
    assert response.status_code == 200, response.text
    return response.content, dict(response.headers), page


def test_csv_export_opens_in_excel_with_vietnamese_and_matches_the_result(corpus: Monitor) -> None:
    content, headers, page = _export(corpus, Role.OFFICER, "csv", q=QUERY, platform="facebook")
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="tim-kiem-\d{8}-\d{4}\.csv"', headers["content-disposition"])
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == _count(page) == int(headers["x-export-total"]) == int(headers["x-export-rows"])
    assert {row["Nền tảng"] for row in rows} == {Platform.FACEBOOK.value}
    assert sorted(row["Mã bài"] for row in rows) == sorted(_ids(page))  # fewer than a page: the same documents
    assert any(row["Tác giả"] == PRIVATE_AUTHOR for row in rows)
    assert all(re.fullmatch(r"2026-\d\d-\d\d \d\d:\d\d:\d\d", row["Đăng lúc"]) for row in rows)


def test_xlsx_export_for_a_researcher_is_the_privacy_view(corpus: Monitor) -> None:
    content, headers, page = _export(corpus, Role.RESEARCHER, "xlsx", q=QUERY)
    assert headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Kết quả tìm kiếm", "Thông tin"]
    rows = list(book["Kết quả tìm kiếm"].iter_rows(values_only=True))
    heading, data = rows[0], rows[1:]
    assert len(data) == _count(page)
    author = heading.index("Tác giả")
    authors = {row[author] for row in data}
    assert PRIVATE_AUTHOR not in authors
    assert any(isinstance(name, str) and name.startswith("anon-") for name in authors)
    assert all(row[heading.index("Đường dẫn")] is None for row in data if row[heading.index("Nền tảng")] != "news")
    info = dict(book["Thông tin"].iter_rows(values_only=True))
    assert info["Truy vấn"] == QUERY
    assert info["Quyền riêng tư"].startswith("tác giả là bí danh")


def test_export_cells_never_start_a_formula(corpus: Monitor) -> None:
    # A post that starts with "=" and an author that starts with "@" stay text in the spreadsheet.
    text = '=HYPERLINK("http://lua-dao.example","Bấm xem danh sách hộ dân Phước Tân bị cắt nước")'
    post = analyzed(text, post_id="fb_formula", published=at("2026-11-03 09:00"), title="-1+1", author="@admin")
    corpus.store.upsert([post])
    try:
        for fmt in ("csv", "xlsx"):
            content, _, _ = _export(corpus, Role.OFFICER, fmt, q="lua-dao HYPERLINK")
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
            else:
                sheet = load_workbook(io.BytesIO(content), read_only=True)["Kết quả tìm kiếm"]
                rows = [[str(cell) for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
            assert len(rows) == 2
            assert "'" + text in rows[1]
            assert "'-1+1" in rows[1]
            assert "'@admin" in rows[1]
            for cell in rows[1]:
                assert not cell.startswith(("=", "+", "-", "@")), cell
    finally:
        corpus.store.delete([post.doc_id])


def test_the_export_says_when_the_cap_cut_the_result(corpus: Monitor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_page, "EXPORT_LIMIT", 3)
    content, headers, page = _export(corpus, Role.OFFICER, "xlsx", q=QUERY)
    assert 'id="export-cap"' in page
    assert "tệp chỉ gồm 3 bài mới nhất" in page
    assert (headers["x-export-rows"], int(headers["x-export-total"])) == ("3", _count(page))
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert len(list(book["Kết quả tìm kiếm"].iter_rows(values_only=True))) == 4
    info = dict(book["Thông tin"].iter_rows(values_only=True))
    assert "tệp chỉ gồm 3 bài mới nhất (giới hạn 3 dòng)" in info["Ghi chú"]


@pytest.mark.parametrize("token", [None, "forged"])
def test_the_export_needs_the_csrf_token(corpus: Monitor, token: str | None) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        data = {"q": QUERY, "format": "csv"} | ({"csrf_token": token} if token else {})
        response = client.post("/console/search/export", data=data)
    assert response.status_code == 403
    assert "Biểu mẫu bị từ chối" in response.text
    assert "content-disposition" not in response.headers


def test_an_export_in_an_unknown_format_is_refused(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, token):
        response = client.post("/console/search/export", data={"csrf_token": token, "q": QUERY, "format": "pdf"})
    assert response.status_code == 422
    assert "Hãy chọn CSV hoặc XLSX" in response.text


def test_every_example_of_the_help_panel_is_a_valid_query() -> None:
    for example, meaning in SYNTAX:
        assert parse(example), example
        assert meaning
