"""The sample corpus's false-claim story (Story A) end to end, as the office would work it through the API.

The office does not know the claim yet (an empty claims.yaml). The crawler first sees the corpus as it
stood before the official correction (2026-11-04 14:00): rumour posts raise a misinformation alert. An
officer opens a case from it, verifies, records the correction, registers the claim and shares the case.
The next crawl sees the whole corpus: the late repeats (and the earlier ones, seen again) are flagged with
the case's claim and linked to the case, the posts relaying the correction are linked as such, and the
spread per day shows both. The
police package is exported and verified by ``monitor evidence verify`` (in a subprocess, as a liaison
would run it), the foreign-affairs briefing is opened and read, the case is closed, and the timeline,
custody log and audit log hold every step.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter
from monitor.access.keys import Role
from monitor.alerting.types import AlertQuery
from monitor.claims.registry import case_claim_id
from monitor.context import Monitor
from tests.api.alerting import headers
from tests.conftest import CONFIGS, crawl, make_config_dir, open_monitor
from tests.monitor.test_sample_corpus import STORIES, _doc_id

VN = timezone(timedelta(hours=7))
CORRECTION_AT = datetime(2026, 11, 4, 14, 0, tzinfo=VN)
CORRECTION_URL = "https://dongnai-gov.example/dinh-chinh/thong-tin-nuoc-may-tu-nha-may-nuoc-thien-tan-bi-nhiem-doc-la-sai-su-that-8908.html"
CLAIM = (
    "Nước máy từ Nhà máy nước Thiện Tân bị nhiễm độc, người dân Biên Hòa không được dùng nước máy để uống và nấu ăn."
)
STATEMENT = (
    "Công ty Cổ phần Cấp nước Đồng Nai và Sở Y tế khẳng định các mẫu nước đều đạt QCVN 01-1:2018/BYT; thông tin "
    "nước máy từ Nhà máy nước Thiện Tân bị nhiễm độc là sai sự thật, người dân sử dụng nước máy bình thường."
)
POLICE = "Liên lạc Công an tỉnh"
FOREIGN = "Liên lạc Sở Ngoại vụ"
CASES_YAML = f"""
agencies:
  police: {{name: Công an tỉnh Đồng Nai, key_names: ["{POLICE}"]}}
  foreign_affairs: {{name: Sở Ngoại vụ, key_names: ["{FOREIGN}"]}}
"""
ITEM = re.compile(r"<item>.*?</item>\s*", re.DOTALL)
PUB_DATE = re.compile(r"<pubDate>(.*?)</pubDate>")


def _before_correction(samples: Path) -> None:
    """Cut the copied corpus back to what had been published before the correction."""
    for feed in (samples / "news").glob("*.xml"):
        text = feed.read_text(encoding="utf-8")

        def keep(match: re.Match[str]) -> str:
            published = PUB_DATE.search(match.group(0))
            assert published is not None
            return match.group(0) if parsedate_to_datetime(published.group(1)) < CORRECTION_AT else ""

        feed.write_text(ITEM.sub(keep, text), encoding="utf-8")
    for posts in (samples / "social").glob("*.jsonl"):
        lines = posts.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if datetime.fromisoformat(json.loads(line)["published_at"]) < CORRECTION_AT]
        posts.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[TestClient, Monitor, Path]]:
    config_dir = make_config_dir(tmp_path / "configs")
    (config_dir / "claims.yaml").write_text("claims: []\n", encoding="utf-8")
    (config_dir / "cases.yaml").write_text(CASES_YAML, encoding="utf-8")
    _before_correction(config_dir / "samples")
    monitor = open_monitor(config_dir)
    app = create_app(monitor)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)
    with TestClient(app) as client:
        yield client, monitor, config_dir
    monitor.close()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def test_false_claim_story_from_alert_to_closed_case(office: tuple[TestClient, Monitor, Path], tmp_path: Path) -> None:
    client, monitor, config_dir = office
    keys = {
        "admin": headers(monitor, Role.ADMIN, "Quản trị"),
        "officer": headers(monitor, Role.OFFICER, "Cán bộ trực ban"),
        "police": headers(monitor, Role.LIAISON, POLICE),
        "foreign": headers(monitor, Role.LIAISON, FOREIGN),
        "researcher": headers(monitor, Role.RESEARCHER, "Nhà nghiên cứu"),
    }
    officer = keys["officer"]
    repeats = {_doc_id(item) for item in STORIES["story_a_repeats"]}
    late = {_doc_id(item) for item in STORIES["story_a_late_repeats"]}
    citations = {_doc_id(item) for item in STORIES["story_a_citations"]}
    corrections = {_doc_id(item) for item in STORIES["story_a_correction_links"]}

    # 1. Before the correction: the rumour raises misinformation alerts; no claim is registered yet.
    assert crawl(monitor).failed_sources == []
    alerts = monitor.alerts.search(AlertQuery(rule_ids=("misinfo-high",), limit=500))[1]
    rumour_alerts = [alert for alert in alerts if repeats & set(alert.doc_ids)]
    assert rumour_alerts, "the rumour posts raise a misinformation alert on rumour cues alone"
    alert = max(rumour_alerts, key=lambda a: len(repeats & set(a.doc_ids)))

    # 2. Alert → case, verification, the correction, registration, sharing.
    opened = _ok(
        client.post(
            "/cases",
            json={"title": "Tin đồn nước máy Thiện Tân nhiễm độc", "priority": "high", "alert_id": alert.alert_id},
            headers=officer,
        ),
        201,
    )
    case_id = opened["case"]["case_id"]
    assert {e["doc_id"] for e in opened["evidence"]} == set(alert.doc_ids[:20])
    _ok(client.put(f"/cases/{case_id}/claim", json={"claim": CLAIM}, headers=officer))
    early = client.post(f"/cases/{case_id}/claim/registration", json={}, headers=officer)
    assert early.status_code == 409
    assert "triage" in early.json()["detail"]
    _ok(client.post(f"/cases/{case_id}/transition", json={"to": "verifying"}, headers=officer))
    no_correction = client.post(f"/cases/{case_id}/claim/registration", json={}, headers=officer)
    assert no_correction.status_code == 409
    assert "correction" in no_correction.json()["detail"]
    correction = {
        "statement": STATEMENT,
        "url": CORRECTION_URL,
        "issued_by": "Công ty Cổ phần Cấp nước Đồng Nai; Sở Y tế tỉnh Đồng Nai",
        "issued_at": CORRECTION_AT.isoformat(),
    }
    _ok(client.put(f"/cases/{case_id}/correction", json=correction, headers=officer))
    keywords = ["nước máy nhiễm độc", "thiện tân nhiễm độc", "nước máy nhiễm hóa chất", "thiện tân nhiễm hóa chất"]
    assert client.post(f"/cases/{case_id}/claim/registration", json={}, headers=keys["police"]).status_code == 403
    registered = _ok(client.post(f"/cases/{case_id}/claim/registration", json={"keywords": keywords}, headers=officer))
    claim_id = case_claim_id(case_id)
    assert registered["claim"]["id"] == claim_id
    assert registered["claim"]["correction_url"] == CORRECTION_URL
    _ok(client.post(f"/cases/{case_id}/transition", json={"to": "responding"}, headers=officer))
    for agency in ("police", "foreign_affairs"):
        _ok(client.post(f"/cases/{case_id}/shares", json={"agency": agency}, headers=officer))

    # 3. After the correction: the full corpus. Late repeats carry the case's claim and are linked to it.
    full = CONFIGS / "samples"
    for name in ("news", "social"):
        for path in (full / name).iterdir():
            (config_dir / "samples" / name / path.name).write_bytes(path.read_bytes())
    assert crawl(monitor).failed_sources == []
    for item in monitor.store.get_many(sorted(late)):
        assert claim_id in item.analysis.misinformation.claim_ids, item.document.text
    [claim_alert] = [a for a in monitor.alerts.search(AlertQuery(limit=500))[1] if a.key == f"claim:{claim_id}"]
    assert late <= set(claim_alert.doc_ids) <= repeats | late
    assert claim_alert.details["case_id"] == case_id  # the alert leads to the case

    linked = _ok(client.get(f"/cases/{case_id}/linked", params={"limit": 500}, headers=keys["police"]))
    linked_repeats = {link["doc_id"] for link in linked if link["kind"] == "repeat"}
    linked_corrections = {link["doc_id"] for link in linked if link["kind"] == "correction"}
    # The late repeats, and the earlier repeats too: the crawl saw them again and re-scored them.
    assert late <= linked_repeats <= repeats | late
    assert len(linked_repeats) >= len(repeats) - 2 + len(late)
    assert corrections <= linked_corrections
    assert len(citations & linked_corrections) >= len(citations) - 1
    assert not linked_corrections & (repeats | late)

    spread = _ok(client.get(f"/cases/{case_id}/spread", headers=keys["foreign"]))
    assert spread["repeats"] == len(linked_repeats)
    assert spread["repeats_after_correction"] == len(late)
    assert spread["corrections"] == len(linked_corrections) == spread["corrections_after_correction"]
    days = {day["day"]: (day["repeats"], day["corrections"]) for day in spread["days"]}
    rumour_evening = days["2026-11-03"]
    assert rumour_evening[0] > 0
    assert rumour_evening[1] == 0  # nothing corrected it yet
    assert days["2026-11-04"][1] >= len(corrections)  # the portal and both papers published the same day
    assert sum(r for r, _ in days.values()) == len(linked_repeats)
    assert sum(c for _, c in days.values()) == len(linked_corrections)

    # Evidence of the late repeats, attached as the case goes on.
    for doc_id in sorted(late):
        _ok(client.post(f"/cases/{case_id}/evidence", json={"doc_id": doc_id}, headers=officer), 201)
    _ok(client.post(f"/cases/{case_id}/transition", json={"to": "resolved"}, headers=officer))

    # 4. The police package, checked by the CLI; tampering is caught and the file named.
    package = client.post(
        f"/cases/{case_id}/exports/police", json={"purpose": "Xác minh nguồn phát tán tin sai"}, headers=keys["police"]
    )
    assert package.status_code == 200, package.text
    path = tmp_path / "package.zip"
    path.write_bytes(package.content)
    verify = [sys.executable, "-m", "monitor.cli", "evidence", "verify", str(path)]
    checked = subprocess.run(verify, capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        documents = archive.read("documents.jsonl").decode().splitlines()
        case_json = json.loads(archive.read("case.json"))
    assert {"case.json", "documents.jsonl", "manifest.sha256"} <= set(names)
    assert len(documents) == len(alert.doc_ids[:20]) + len(late)
    assert case_json["case"]["claim"] == CLAIM if "case" in case_json else case_json["claim"] == CLAIM
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in names:
            data = source.read(name)
            target.writestr(name, data + b"\n" if name == "documents.jsonl" else data)
    refused = subprocess.run([*verify[:-1], str(tampered)], capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode != 0
    assert "documents.jsonl" in refused.stdout + refused.stderr

    # 5. The foreign-affairs briefing, opened and read.
    briefing = client.post(
        f"/cases/{case_id}/exports/briefing",
        json={"purpose": "Chuẩn bị trả lời báo chí nước ngoài", "english_summary": "False rumour about tap water."},
        headers=keys["foreign"],
    )
    assert briefing.status_code == 200, briefing.text
    text = _docx_text(briefing.content)
    assert "Nhà máy nước Thiện Tân" in text
    assert STATEMENT in text
    assert CORRECTION_URL in text
    assert "Diễn biến sau đính chính" in text
    assert f"{len(linked_repeats)} / {len(late)}" in text  # repeats: total / after the correction
    assert "False rumour about tap water." in text
    private_authors = {item.document.author for item in monitor.store.get_many(sorted(late)) if item.document.author}
    assert private_authors
    assert not any(author in text for author in private_authors)

    # 6. Closed, with the whole history kept.
    _ok(client.post(f"/cases/{case_id}/transition", json={"to": "closed"}, headers=officer))
    timeline = _ok(client.get(f"/cases/{case_id}/timeline", headers=officer))
    kinds = [event["kind"] for event in timeline]
    assert kinds[0] == "open"
    for kind in ("claim", "correction", "register", "share", "evidence"):
        assert kind in kinds, kind
    moves = [event["to_state"] for event in timeline if event["kind"] == "transition"]
    assert moves == ["verifying", "responding", "resolved", "closed"]
    custody = _ok(client.get(f"/cases/{case_id}/custody", headers=keys["admin"]))
    exports = {entry["detail"]["export"] for entry in custody if entry["action"] == "export"}
    assert exports == {"police-package", "briefing"}
    audit = _ok(client.get("/audit", params={"limit": 500}, headers=keys["admin"]))
    assert audit, "the audit log records the work"
    assert client.get(f"/cases/{case_id}/spread", headers=keys["researcher"]).status_code == 403


@pytest.fixture
def stored_first(tmp_path: Path) -> Iterator[tuple[TestClient, Monitor]]:
    """The whole corpus crawled before anyone knew the claim (an empty claims.yaml)."""
    config_dir = make_config_dir(tmp_path / "configs")
    (config_dir / "claims.yaml").write_text("claims: []\n", encoding="utf-8")
    (config_dir / "cases.yaml").write_text(CASES_YAML, encoding="utf-8")
    monitor = open_monitor(config_dir)
    app = create_app(monitor)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)
    with TestClient(app) as client:
        yield client, monitor
    monitor.close()


def test_registering_a_claim_links_the_documents_already_stored(stored_first: tuple[TestClient, Monitor]) -> None:
    client, monitor = stored_first
    officer = headers(monitor, Role.OFFICER, "Cán bộ trực ban")
    repeats = {_doc_id(item) for item in STORIES["story_a_repeats"] + STORIES["story_a_late_repeats"]}
    late = {_doc_id(item) for item in STORIES["story_a_late_repeats"]}
    citations = {_doc_id(item) for item in STORIES["story_a_citations"]}
    corrections = {_doc_id(item) for item in STORIES["story_a_correction_links"]}
    assert crawl(monitor).failed_sources == []
    assert len(monitor.store.get_many(sorted(repeats | corrections))) == len(repeats | corrections)

    some_repeat = sorted(repeats)[0]
    case_id = _ok(
        client.post("/cases", json={"title": "Tin đồn nước máy", "doc_ids": [some_repeat]}, headers=officer), 201
    )["case"]["case_id"]
    _ok(client.put(f"/cases/{case_id}/claim", json={"claim": CLAIM}, headers=officer))
    _ok(client.post(f"/cases/{case_id}/transition", json={"to": "verifying"}, headers=officer))
    correction = {
        "statement": STATEMENT,
        "url": CORRECTION_URL,
        "issued_by": "Sở Y tế tỉnh Đồng Nai",
        "issued_at": CORRECTION_AT.isoformat(),
    }
    _ok(client.put(f"/cases/{case_id}/correction", json=correction, headers=officer))
    keywords = ["nước máy nhiễm độc", "thiện tân nhiễm độc", "nước máy nhiễm hóa chất", "thiện tân nhiễm hóa chất"]
    _ok(client.post(f"/cases/{case_id}/claim/registration", json={"keywords": keywords}, headers=officer))

    # No crawl and no replay since: the registration itself linked what was stored.
    linked = _ok(client.get(f"/cases/{case_id}/linked", params={"limit": 500}, headers=officer))
    linked_repeats = {link["doc_id"] for link in linked if link["kind"] == "repeat"}
    linked_corrections = {link["doc_id"] for link in linked if link["kind"] == "correction"}
    assert late <= linked_repeats <= repeats
    assert len(linked_repeats) >= len(repeats) - 2
    assert corrections <= linked_corrections
    assert len(citations & linked_corrections) >= len(citations) - 1
    assert not linked_corrections & repeats
    spread = _ok(client.get(f"/cases/{case_id}/spread", headers=officer))
    assert (spread["repeats"], spread["corrections"]) == (len(linked_repeats), len(linked_corrections))
    assert spread["repeats_after_correction"] == len(late)
    [event] = [e for e in _ok(client.get(f"/cases/{case_id}/timeline", headers=officer)) if e["kind"] == "register"]
    assert event["detail"]["stored_documents"]["repeats"] == len(linked_repeats)

    # Editing the claim (and its keywords) into another one relinks: the tap-water posts no longer support it.
    dam = "Hồ Trị An sắp vỡ đập, người dân hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay."
    _ok(client.put(f"/cases/{case_id}/claim", json={"claim": dam}, headers=officer))
    _ok(client.post(f"/cases/{case_id}/claim/registration", json={"keywords": ["vỡ đập trị an"]}, headers=officer))
    after_edit = _ok(client.get(f"/cases/{case_id}/linked", params={"limit": 500, "kind": "repeat"}, headers=officer))
    assert not {link["doc_id"] for link in after_edit} & repeats
    # ... and back: linked again.
    _ok(client.put(f"/cases/{case_id}/claim", json={"claim": CLAIM}, headers=officer))
    _ok(client.post(f"/cases/{case_id}/claim/registration", json={"keywords": keywords}, headers=officer))
    again = _ok(client.get(f"/cases/{case_id}/linked", params={"limit": 500, "kind": "repeat"}, headers=officer))
    assert {link["doc_id"] for link in again} == linked_repeats
