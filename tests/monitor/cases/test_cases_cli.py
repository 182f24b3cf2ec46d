"""``monitor cases ...``: the workflow from the command line, acting as an API key with its role and agency."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest

from monitor.access.keys import Role
from monitor.cases.exports import verify_package
from monitor.cli import main
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

POLICE = "Liên lạc Công an tỉnh"
CASES_YAML = f"""
agencies:
  police: {{name: Công an tỉnh Đồng Nai, key_names: ["{POLICE}"]}}
  foreign_affairs: {{name: Sở Ngoại vụ, key_names: []}}
"""
CLAIM = "Nước máy Thiện Tân bị nhiễm độc, người dân Biên Hòa không được dùng nước máy."


@pytest.fixture
def office(tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    config_dir = make_config_dir(tmp_path / "configs")
    (config_dir / "cases.yaml").write_text(CASES_YAML, encoding="utf-8")
    monitor = open_monitor(config_dir)
    try:
        rumour = analyzed(
            "Nghe nói nước máy Thiện Tân nhiễm độc, đừng uống nha mn!!!", post_id="r1", published=at("2026-11-03 20:00")
        )
        monitor.store.upsert([rumour])
        secrets = {
            role: monitor.keys.create(Role(role), name)[1]
            for role, name in (
                ("officer", "Cán bộ trực ban"),
                ("liaison", POLICE),
                ("researcher", "Nhà nghiên cứu"),
            )
        }
    finally:
        monitor.close()
    return config_dir, secrets, rumour.doc_id


def _cases(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config_dir: Path, secret: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("MONITOR_API_KEY", secret)
    code = main(["--config-dir", str(config_dir), "cases", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_officer_works_a_case_and_a_liaison_exports_it(
    office: tuple[Path, dict[str, str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config_dir, secrets, doc_id = office

    def officer(*args: str) -> str:
        code, out, err = _cases(capsys, monkeypatch, config_dir, secrets["officer"], *args)
        assert code == 0, err
        return out

    opened = officer("open", "--title", "Tin đồn nước máy nhiễm độc", "--doc", doc_id, "--priority", "high")
    case_id = opened.split()[2]
    assert "1 evidence snapshots" in opened
    officer("claim", case_id, CLAIM)
    officer("move", case_id, "verifying", "--note", "Đã liên hệ công ty cấp nước")
    officer(
        "correction",
        case_id,
        "--statement",
        "Sở Y tế khẳng định nước máy đạt QCVN 01-1:2018/BYT, tin nhiễm độc là sai sự thật.",
        "--url",
        "https://dongnai-gov.example/dinh-chinh/nuoc-may.html",
        "--issued-by",
        "Sở Y tế tỉnh Đồng Nai",
        "--issued-at",
        "2026-11-04T14:00:00+07:00",
    )
    registered = officer("register", case_id, "--keyword", "nước máy nhiễm độc")
    assert "registered claim case-" in registered
    assert "1 stored posts repeat it" in registered  # the rumour stored before registration, without a replay
    officer("share", case_id, "police")
    officer("comment", case_id, "Chuyển hồ sơ cho Công an")
    shown = json.loads(officer("show", case_id, "--json"))
    kinds = [event["kind"] for event in shown["timeline"]]
    assert kinds == ["open", "evidence", "claim", "transition", "correction", "register", "share", "comment"]
    assert shown["timeline"][0]["actor"] == "Cán bộ trực ban"
    spread = json.loads(officer("spread", case_id, "--json"))
    assert spread["registered"]["claim"]["keywords"] == ["nước máy nhiễm độc"]
    assert (spread["repeats"], spread["corrections"]) == (1, 0)
    other = officer("open", "--title", "Vụ khác, không chia sẻ", "--doc", doc_id).split()[2]

    liaison = secrets["liaison"]
    code, out, _ = _cases(capsys, monkeypatch, config_dir, liaison, "list", "--json")
    assert code == 0
    assert [case["case_id"] for case in json.loads(out)] == [case_id]
    code, _, err = _cases(capsys, monkeypatch, config_dir, liaison, "show", other)
    assert code == 1
    assert f"no case with id '{other}'" in err
    code, _, err = _cases(capsys, monkeypatch, config_dir, liaison, "move", case_id, "responding")
    assert code == 1
    assert "role 'liaison' may not do this" in err
    package = tmp_path / "package.zip"
    code, out, err = _cases(
        capsys,
        monkeypatch,
        config_dir,
        liaison,
        "export",
        "police",
        "--case",
        case_id,
        "--purpose",
        "Điều tra",
        "--out",
        str(package),
    )
    assert code == 0, err
    assert verify_package(package) == []
    code, _, err = _cases(
        capsys,
        monkeypatch,
        config_dir,
        liaison,
        "export",
        "register",
        "--purpose",
        "Báo cáo",
        "--out",
        str(tmp_path / "r.xlsx"),
    )
    assert code == 1
    assert not (tmp_path / "r.xlsx").exists()

    briefing = tmp_path / "briefing.docx"
    officer(
        "export",
        "briefing",
        "--case",
        case_id,
        "--purpose",
        "Họp báo",
        "--out",
        str(briefing),
        "--english",
        "Tap water rumour.",
    )
    text = "\n".join(p.text for p in docx.Document(str(briefing)).paragraphs)
    assert CLAIM in text
    assert "Tap water rumour." in text
    register = tmp_path / "register.xlsx"
    officer("export", "register", "--purpose", "Báo cáo tháng", "--out", str(register))
    ids = {row[0] for row in openpyxl.load_workbook(register).active.iter_rows(min_row=2, values_only=True)}
    assert {case_id, other} <= ids
    assert json.loads(officer("show", case_id, "--json"))["case"]["state"] == "verifying"  # exports change nothing


def test_keys_roles_and_bad_input(
    office: tuple[Path, dict[str, str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config_dir, secrets, doc_id = office
    monkeypatch.delenv("MONITOR_API_KEY", raising=False)
    code = main(["--config-dir", str(config_dir), "cases", "list"])
    assert code == 1
    assert "MONITOR_API_KEY" in capsys.readouterr().err
    code, _, err = _cases(capsys, monkeypatch, config_dir, "dnm_not-a-key", "list")
    assert code == 1
    assert "error:" in err
    code, _, err = _cases(capsys, monkeypatch, config_dir, secrets["researcher"], "list")
    assert code == 1
    assert "role 'researcher' may not do this" in err

    key_file = tmp_path / "officer.key"
    key_file.write_text(secrets["officer"] + "\n", encoding="utf-8")
    monkeypatch.delenv("MONITOR_API_KEY", raising=False)
    code = main(["--config-dir", str(config_dir), "cases", "--key-file", str(key_file), "list"])
    assert code == 0
    assert "0 cases" in capsys.readouterr().out

    officer = secrets["officer"]
    code, _, err = _cases(capsys, monkeypatch, config_dir, officer, "open", "--title", "Không nguồn")
    assert code == 2
    assert "--alert" in err
    code, out, _ = _cases(capsys, monkeypatch, config_dir, officer, "open", "--title", "Tin đồn", "--doc", doc_id)
    case_id = out.split()[2]
    code, _, err = _cases(capsys, monkeypatch, config_dir, officer, "register", case_id)
    assert code == 1
    assert "triage" in err
    code, _, err = _cases(capsys, monkeypatch, config_dir, officer, "move", case_id, "closed")
    assert code == 1
    assert "cannot move from triage to closed" in err
    bad_url = ("correction", case_id, "--statement", "Đính chính chính thức.", "--url", "không-phải-url")
    code, _, err = _cases(
        capsys,
        monkeypatch,
        config_dir,
        officer,
        *bad_url,
        "--issued-by",
        "UBND",
        "--issued-at",
        "2026-11-04T14:00:00+07:00",
    )
    assert code == 2
    assert "url" in err
    code, _, err = _cases(capsys, monkeypatch, config_dir, officer, "share", case_id, "interpol")
    assert code == 2
    assert "unknown agency 'interpol'" in err


def test_a_key_created_for_an_agency_sees_that_agencys_cases(
    office: tuple[Path, dict[str, str], str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir, secrets, doc_id = office
    cfg = ["--config-dir", str(config_dir)]
    assert main([*cfg, "keys", "create", "--role", "liaison", "--name", "Sở Ngoại vụ", "--agency", "nowhere"]) == 2
    assert "unknown agency 'nowhere' (known: foreign_affairs, police)" in capsys.readouterr().err
    assert main([*cfg, "keys", "create", "--role", "officer", "--agency", "police"]) == 2
    assert "only liaison keys" in capsys.readouterr().err
    assert (
        main([*cfg, "keys", "create", "--role", "liaison", "--name", "Sở Ngoại vụ", "--agency", "foreign_affairs"]) == 0
    )
    foreign = capsys.readouterr().out.splitlines()[-1]
    assert main([*cfg, "keys", "list"]) == 0
    assert "[foreign_affairs]" in capsys.readouterr().out

    code, out, _ = _cases(
        capsys, monkeypatch, config_dir, secrets["officer"], "open", "--title", "Tin đồn", "--doc", doc_id
    )
    case_id = out.split()[2]
    code, out, _ = _cases(capsys, monkeypatch, config_dir, foreign, "list", "--json")
    assert (code, json.loads(out)) == (0, [])
    _cases(capsys, monkeypatch, config_dir, secrets["officer"], "share", case_id, "foreign_affairs")
    code, out, _ = _cases(capsys, monkeypatch, config_dir, foreign, "list", "--json")
    assert [case["case_id"] for case in json.loads(out)] == [case_id]
