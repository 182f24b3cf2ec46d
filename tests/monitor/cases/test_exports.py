"""Case exports on real files: the police ZIP and its verifier, the redacted DOCX briefing, the XLSX register."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from monitor.access.privacy import Pseudonymizer
from monitor.cases import CaseOpen, CasePriority, CaseState, Correction, CustodyAction, EvidenceTamperedError
from monitor.cases.exports import (
    Redactor,
    Requester,
    prepare_police_package,
    verify_package,
    write_briefing,
    write_police_package,
    write_register,
)
from monitor.errors import InvalidInputError, NotFoundError
from tests.factories import analyzed, at
from tests.monitor.cases.helpers import ADMIN, OFFICER, World, build_world, rumour, store_with_raw

PRIVATE_AUTHOR = "Phạm Thị Hoa"
CLAIM = "Nước máy Thiện Tân bị nhiễm độc."
STATEMENT = "Nước máy Thiện Tân đạt quy chuẩn, người dân yên tâm sử dụng."
PURPOSE = "Phục vụ điều tra theo công văn số 12/CAT"


def _case(world: World) -> str:
    first = rumour("p1")
    store_with_raw(world, first)
    second = analyzed(
        f"Chị @{PRIVATE_AUTHOR} ơi gọi 0912 345 678 hoặc mail hoa.pham@gmail.com, Sở Y tế nói sao?",
        post_id="p2",
        published=at("2026-10-21 08:30"),
        author=PRIVATE_AUTHOR,
    )
    world.documents.upsert([second])
    case, _ = world.cases.open_case(
        CaseOpen(title="Tin đồn nước nhiễm độc", priority=CasePriority.HIGH, doc_ids=(first.doc_id, second.doc_id)),
        OFFICER,
    )
    store = world.cases.store
    store.set_claim(case.case_id, CLAIM, OFFICER)
    store.set_correction(
        case.case_id,
        Correction(
            statement=STATEMENT,
            url="https://dongnai.gov.vn/dinh-chinh",  # type: ignore[arg-type]
            issued_by="Sở Y tế tỉnh Đồng Nai",
            issued_at=at("2026-10-20 22:00"),
        ),
        OFFICER,
    )
    store.share(case.case_id, "police", OFFICER)
    return case.case_id


def _exports(world: World, case_id: str) -> list[tuple[str | None, str, str]]:
    return [
        (e.evidence_id, e.reason, e.detail.get("export", ""))
        for e in world.cases.evidence.custody(case_id)
        if e.action is CustodyAction.EXPORT
    ]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


@pytest.fixture
def package(world: World, tmp_path: Path) -> tuple[Path, str]:
    case_id = _case(world)
    path = tmp_path / "pkg.zip"
    write_police_package(world.cases, case_id, Requester(by=ADMIN, purpose=PURPOSE, agency="police"), path)
    return path, case_id


def test_police_package_content_manifest_and_custody(world: World, package: tuple[Path, str]) -> None:
    path, case_id = package
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[:2] == ["case.json", "documents.jsonl"]
        assert names[-2:] == ["summary.md", "manifest.sha256"]
        evidence = [n for n in names if n.startswith("evidence/")]
        assert {n.rsplit("/", 1)[1] for n in evidence} == {"document.json", "raw-response.json", "raw-response.body"}
        manifest = archive.read("manifest.sha256").decode().splitlines()
        assert sorted(line.split("  ", 1)[1] for line in manifest) == sorted(n for n in names if n != "manifest.sha256")
        for line in manifest:  # sha256sum format, true hashes
            digest, name = line.split("  ", 1)
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        lines = archive.read("documents.jsonl").decode().splitlines()
        assert len(lines) == 2
        assert {json.loads(line)["document"]["document"]["author"] for line in lines} >= {PRIVATE_AUTHOR}
        case = json.loads(archive.read("case.json"))
        assert case["case"]["claim"] == CLAIM
        assert case["export"]["purpose"] == PURPOSE
        summary = archive.read("summary.md").decode()
        assert "Hồ sơ chứng cứ vụ việc" in summary
        assert STATEMENT in summary
        assert "Tài liệu làm chứng cứ (2)" in summary
    assert verify_package(path) == []
    logged = _exports(world, case_id)
    assert len(logged) == 2  # one entry per exported evidence snapshot
    assert {(reason, kind) for _, reason, kind in logged} == {(PURPOSE, "police-package")}


def _rewrite(path: Path, change: str, target: str) -> None:
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            if name == target and change == "delete":
                continue
            archive.writestr(name, data + b" " if name == target and change == "modify" else data)
        if change == "add":
            archive.writestr(target, b"them vao")


@pytest.mark.parametrize(
    ("change", "pick", "expected"),
    [
        ("modify", "documents.jsonl", "changed: documents.jsonl"),
        ("modify", "document.json", "changed: evidence/"),
        ("modify", "case.json", "changed: case.json"),
        ("delete", "raw-response.body", "missing: evidence/"),
        ("add", "evidence/extra.txt", "unexpected: evidence/extra.txt"),
    ],
)
def test_verify_package_names_the_tampered_file(
    package: tuple[Path, str], change: str, pick: str, expected: str
) -> None:
    path, _ = package
    with zipfile.ZipFile(path) as archive:
        target = next((n for n in archive.namelist() if n.endswith(pick)), pick)
    _rewrite(path, change, target)
    problems = verify_package(path)
    assert problems
    assert problems[0].startswith(expected)
    assert target in problems[0]


def test_verify_package_catches_an_evidence_file_changed_with_its_manifest_line(package: tuple[Path, str]) -> None:
    path, _ = package
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    body = next(n for n in entries if n.endswith("raw-response.body"))
    entries[body] = b"forged"
    entries["manifest.sha256"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in entries.items() if name != "manifest.sha256"
    ).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    problems = verify_package(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"changed: {body} (sha256 at attach time ")
    assert problems[0].endswith(f"found {hashlib.sha256(b'forged').hexdigest()})")


def test_verify_package_on_garbage(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"not a zip")
    assert "not a readable ZIP" in verify_package(path)[0]


def test_police_package_refuses_other_agencies_blank_purposes_and_tampered_evidence(world: World) -> None:
    case_id = _case(world)
    with pytest.raises(NotFoundError, match="no case with id"):
        prepare_police_package(world.cases, case_id, Requester(by=ADMIN, purpose="x", agency="foreign_affairs"))
    with pytest.raises(InvalidInputError, match="stated purpose"):
        Requester(by=ADMIN, purpose="   ")
    evidence = world.cases.evidence.attached(case_id)[0]
    path = world.cases.evidence.directory / case_id / evidence.evidence_id / "document.json"
    path.chmod(0o600)
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(EvidenceTamperedError, match=evidence.evidence_id):
        prepare_police_package(world.cases, case_id, Requester(by=ADMIN, purpose=PURPOSE))
    assert _exports(world, case_id) == []  # refused exports leave nothing to log as exported


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_briefing_is_vietnamese_and_redacted(world: World) -> None:
    case_id = _case(world)
    world.cases.store.share(case_id, "foreign_affairs", OFFICER)
    pseudonyms = Pseudonymizer.for_data_dir(world.data_dir)
    out = io.BytesIO()
    requester = Requester(by=ADMIN, purpose="Trả lời báo chí nước ngoài", agency="foreign_affairs")
    write_briefing(
        world.cases, case_id, requester, out, pseudonyms=pseudonyms, english_summary="A false claim about tap water."
    )
    text = _docx_text(out.getvalue())
    assert "BẢN TIN VỤ VIỆC THÔNG TIN SAI LỆCH" in text
    assert CLAIM in text
    assert STATEMENT in text
    assert "Sở Y tế tỉnh Đồng Nai" in text  # the issuing body is kept
    assert "Số tài liệu ghi nhận: 2" in text
    assert "20/10/2026" in text
    assert "21/10/2026" in text  # two days in the spread table
    assert "A false claim about tap water." in text
    assert PRIVATE_AUTHOR not in text
    assert "Nguyễn Văn A" not in text  # the other document's author
    assert pseudonyms.pseudonym(PRIVATE_AUTHOR) in text
    assert "0912 345 678" not in text
    assert "hoa.pham@gmail.com" not in text
    assert "[SĐT đã ẩn]" in text
    assert "Sở Y tế nói sao" in text  # institutions in running text stay
    assert {kind for _, _, kind in _exports(world, case_id)} == {"briefing"}


def test_briefing_of_a_case_not_shared_is_not_found(world: World) -> None:
    case_id = _case(world)
    with pytest.raises(NotFoundError):
        write_briefing(
            world.cases,
            case_id,
            Requester(by=ADMIN, purpose="x", agency="foreign_affairs"),
            io.BytesIO(),
            pseudonyms=Pseudonymizer(b"k"),
        )


def test_register_timings(world: World, tmp_path: Path) -> None:
    fast = _case(world)
    store = world.cases.store
    world.clock.advance(hours=1, minutes=30)
    store.transition(fast, CaseState.VERIFYING, OFFICER)
    store.transition(fast, CaseState.RESPONDING, OFFICER)
    world.clock.advance(hours=30)
    store.transition(fast, CaseState.RESOLVED, OFFICER)
    slow, _ = world.cases.open_case(CaseOpen(title="Chưa xong", doc_ids=(rumour("p1").doc_id,)), OFFICER)
    path = tmp_path / "so.xlsx"
    result = write_register(world.cases, Requester(by=ADMIN, purpose="Báo cáo quý"), path)
    assert result.cases == 2
    book = openpyxl.load_workbook(path)
    rows = list(book["Sổ vụ việc"].iter_rows(values_only=True))
    header, by_id = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert header[8] == "Thời gian xác minh (giờ)"
    done = by_id[fast]
    assert done["Mở lúc"].isoformat() == "2026-10-20T20:00:00"  # local time, no zone (Excel has none)
    assert done["Thời gian xác minh (giờ)"] == 1.5
    assert done["Thời gian phản hồi (giờ)"] == 31.5
    assert done["Xác minh đúng hạn"] is True  # high: verify within 2 h
    assert done["Phản hồi đúng hạn"] is False  # ... respond within 24 h
    assert done["Trạng thái"] == "đã phản hồi"
    assert by_id[slow.case_id]["Thời gian xác minh (giờ)"] is None
    assert by_id[slow.case_id]["Xác minh đúng hạn"] is None
    assert book["Thông tin"]["B4"].value == "Báo cáo quý"
    for case_id in (fast, slow.case_id):
        assert _exports(world, case_id) == [(None, "Báo cáo quý", "register")]


def test_redaction_rule() -> None:
    redactor = Redactor(Pseudonymizer(b"key"))
    assert redactor.author("UBND tỉnh Đồng Nai") == "UBND tỉnh Đồng Nai"
    assert redactor.author("Chủ tịch UBND tỉnh Võ Tấn Đức") == "Chủ tịch UBND tỉnh Võ Tấn Đức"
    assert redactor.author("Báo Đồng Nai") == "Báo Đồng Nai"
    assert redactor.author("Nguyễn Văn Sở", ).startswith("anon-")  # fmt: skip
    assert redactor.author("Bảo Anh").startswith("anon-")
    text = redactor.text("@Nguyễn Văn Sở nói với @UBND tỉnh; nguyễn văn sở gọi +84 912.345.678, vp@dongnai.gov.vn")
    assert "Sở" not in text.replace("@UBND", "")
    assert "@UBND tỉnh" in text
    assert "vp@dongnai.gov.vn" in text
    assert "[SĐT đã ẩn]" in text


def test_register_survives_control_characters_in_the_purpose(world: World, tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    write_register(world.cases, Requester(by=ADMIN, purpose="Báo cáo\x0b quý\x01"), path)
    info = openpyxl.load_workbook(path, read_only=True)["Thông tin"]
    assert ["Mục đích", "Báo cáo quý"] in [[cell.value for cell in row] for row in info.iter_rows()]


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("http://evil.example/x","Bấm vào đây")', "+84 tin đồn", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1"],
)
def test_register_cells_that_look_like_formulas_stay_text(world: World, tmp_path: Path, title: str) -> None:
    document = rumour("p1")
    store_with_raw(world, document)
    world.cases.open_case(CaseOpen(title=title, doc_ids=(document.doc_id,)), OFFICER)
    path = tmp_path / "register.xlsx"
    write_register(world.cases, Requester(by=ADMIN, purpose="=1+1 báo cáo"), path)
    book = openpyxl.load_workbook(path)  # not read-only: data_type tells a formula ("f") from a string ("s")
    cells = [row[1] for row in book["Sổ vụ việc"].iter_rows(min_row=2)]
    assert [(cell.data_type, cell.value) for cell in cells] == [
        ("s", "'" + title.strip())
    ]  # titles are stored stripped
    purpose = next(row[1] for row in book["Thông tin"].iter_rows() if row[0].value == "Mục đích")
    assert (purpose.data_type, purpose.value) == ("s", "'=1+1 báo cáo")
