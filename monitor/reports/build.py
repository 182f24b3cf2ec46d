"""Building a report from the metrics: which figures, tables and charts, in Vietnamese."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from monitor.alerting.types import Alert, AlertQuery
from monitor.analytics.campaigns import CampaignReport, CampaignSpec, campaign_report, find_campaign
from monitor.analytics.metrics import ALERT_PAGE, Metrics, Period, ResponseTimes, all_alerts, compute_metrics
from monitor.analytics.top_stories import top_stories
from monitor.context import Monitor
from monitor.errors import InvalidInputError
from monitor.records import Platform, utc_now
from monitor.reports import charts
from monitor.reports.access import FULL_SCOPE, ReportScope
from monitor.reports.model import (
    Report,
    ReportKind,
    Section,
    Table,
    duration,
    local_time,
    number,
    percent,
    period_text,
)
from monitor.store.base import DocumentFilter

TOP_SOURCES = 10
TOP_TOPICS = 12
TOP_STORIES = 10
MAX_ALERT_ROWS = 30
KIND_NAMES = {ReportKind.DAILY: "ngày", ReportKind.WEEKLY: "tuần", ReportKind.CAMPAIGN: "chiến dịch"}
PHASE_NAMES = {"before": "Trước", "during": "Trong", "after": "Sau"}
STATE_NAMES = {
    "new": "mới",
    "acknowledged": "đã tiếp nhận",
    "resolved": "đã xử lý",
    "triage": "phân loại",
    "verifying": "đang xác minh",
    "responding": "đang phản hồi",
    "closed": "đã đóng",
    "dismissed": "bỏ qua",
}


def period_ending(kind: ReportKind, end: date | datetime, monitor: Monitor) -> Period:
    """The daily or weekly period that ends at ``end``.

    A date means the report includes that whole local day; a datetime is the exclusive end itself.
    """
    zone = monitor.settings.zone
    until = datetime.combine(end + timedelta(days=1), time(), zone) if not isinstance(end, datetime) else end
    if until.tzinfo is None:
        until = until.replace(tzinfo=zone)
    days = 1 if kind is ReportKind.DAILY else 7
    return Period(since=(until - timedelta(days=days)).astimezone(UTC), until=until.astimezone(UTC))


def build_report(
    monitor: Monitor,
    kind: ReportKind | str,
    *,
    end: date | datetime | None = None,
    campaign: CampaignSpec | str | None = None,
    scope: ReportScope = FULL_SCOPE,
) -> Report:
    """Build a daily, weekly or campaign report.

    Args:
        monitor: The assembled service.
        kind: ``daily``, ``weekly`` or ``campaign``.
        end: Daily/weekly: the last day included (a date), or the exclusive end (a datetime); default:
            yesterday (local). Ignored for a campaign, whose dates say when it ran.
        campaign: The campaign (or its id in ``configs/campaigns.yaml``); required for ``campaign``.
        scope: The parts the reader may see (:func:`monitor.reports.access.report_scope`); without
            alerts or cases, their tables, figures and sections are left out, not just emptied.

    Raises:
        ValueError: a campaign report without a campaign.
        NotFoundError: an unknown campaign id.
    """
    kind = ReportKind(kind)
    zone = monitor.settings.zone
    spec: CampaignSpec | None = None
    if kind is ReportKind.CAMPAIGN:
        if campaign is None:
            raise InvalidInputError("a campaign report needs a campaign", parameter="campaign")
        spec = campaign if isinstance(campaign, CampaignSpec) else find_campaign(monitor.settings.config_dir, campaign)
        period = spec.period(zone)
    else:
        last_day = end if end is not None else utc_now().astimezone(zone).date() - timedelta(days=1)
        period = period_ending(kind, last_day, monitor)
    current = compute_metrics(monitor, period)
    previous = compute_metrics(monitor, period.shifted(-1))
    sections = [
        _headline(current, scope),
        _trends(current, previous, monitor, hourly=kind is ReportKind.DAILY),
        _sources(current, monitor),
        _topics(current),
        _stories(monitor, period),
    ]
    if scope.alerts or scope.cases:
        sections.append(_alerts_and_cases(monitor, current, scope))
    sections.append(_misinformation(current, monitor, scope))
    title = f"Báo cáo {KIND_NAMES[kind]} về thông tin truyền thông tỉnh Đồng Nai"
    slug = f"{kind.value}-{period.since.astimezone(zone):%Y-%m-%d}"
    if spec is not None:
        found = campaign_report(monitor.store, spec, zone)
        sections.insert(1, _campaign(found, monitor))
        title = f"Báo cáo chiến dịch: {spec.name}"
        slug = f"campaign-{spec.id}"
    return Report(
        kind=kind,
        title=title,
        subtitle=f"Kỳ báo cáo: {period_text(period, zone)}",
        period=period,
        generated_at=utc_now(),
        slug=slug,
        sections=tuple(sections),
        figures=_figures(current, scope),
    )


def _figures(metrics: Metrics, scope: ReportScope) -> dict[str, float | int | None]:
    news = metrics.volume.by_platform.get(Platform.NEWS.value, 0)
    figures: dict[str, float | int | None] = {
        "documents": metrics.volume.total,
        "news": news,
        "social": metrics.volume.total - news,
        "interactions": metrics.engagement.interactions,
        "views": metrics.engagement.views,
        "sentiment_index": metrics.sentiment_index,
        "misinformation_documents": metrics.misinformation.documents,
    }
    if scope.alerts:
        figures["misinformation_alerts"] = len(metrics.misinformation.alerts)
    if scope.cases:
        figures["cases_opened"] = metrics.response.opened
        figures["median_respond_seconds"] = metrics.response.median_respond_seconds
    return figures


def _headline(metrics: Metrics, scope: ReportScope) -> Section:
    figures = _figures(metrics, scope)
    rows = [
        ("Tổng số bài", number(metrics.volume.total)),
        ("Bài báo chí", number(figures["news"])),
        ("Bài mạng xã hội, diễn đàn", number(figures["social"])),
        ("Lượt tương tác (thích, bình luận, chia sẻ)", number(metrics.engagement.interactions)),
        ("Lượt xem", number(metrics.engagement.views)),
        ("Chỉ số cảm xúc", number(metrics.sentiment_index, 2)),
        ("Bài có dấu hiệu thông tin sai lệch", number(metrics.misinformation.documents)),
    ]
    if scope.alerts:
        rows.append(("Cảnh báo thông tin sai lệch", number(len(metrics.misinformation.alerts))))
    if scope.cases:
        rows.append(("Vụ việc mở trong kỳ", number(metrics.response.opened)))
        rows.append(("Thời gian phản hồi (trung vị)", duration(metrics.response.median_respond_seconds)))
    text = (
        "Chỉ số cảm xúc = (số bài tích cực − số bài tiêu cực) / tổng số bài, từ −1 (hoàn toàn tiêu cực) "
        "đến +1 (hoàn toàn tích cực). Thông tin sai lệch: bài có điểm từ "
        f"{number(metrics.misinformation.threshold, 2)} trở lên (có căn cứ, không phải mọi ý kiến tiêu cực)."
    )
    return Section("Số liệu chính", (text,), (Table("Số liệu chính", ("Chỉ tiêu", "Giá trị"), tuple(rows)),))


def _trends(current: Metrics, previous: Metrics, monitor: Monitor, *, hourly: bool) -> Section:
    zone = monitor.settings.zone

    def change(now: float | None, before: float | None, digits: int = 0) -> str:
        if now is None or before is None:
            return "—"
        delta = now - before
        if digits or not before:
            return f"{'+' if delta >= 0 else ''}{number(delta, digits)}"
        return f"{'+' if delta >= 0 else ''}{number(delta)} ({percent(delta / before)})"

    pairs: list[tuple[str, float | None, float | None, int]] = [
        ("Tổng số bài", current.volume.total, previous.volume.total, 0),
        (
            "Bài tiêu cực",
            current.volume.by_sentiment.get("negative", 0),
            previous.volume.by_sentiment.get("negative", 0),
            0,
        ),
        (
            "Bài tích cực",
            current.volume.by_sentiment.get("positive", 0),
            previous.volume.by_sentiment.get("positive", 0),
            0,
        ),
        ("Lượt tương tác", current.engagement.interactions, previous.engagement.interactions, 0),
        ("Chỉ số cảm xúc", current.sentiment_index, previous.sentiment_index, 2),
        ("Bài sai lệch", current.misinformation.documents, previous.misinformation.documents, 0),
    ]
    rows = tuple(
        (name, number(now, digits), number(before, digits), change(now, before, digits))
        for name, now, before, digits in pairs
    )
    table = Table(
        f"So với kỳ trước ({period_text(previous.period, zone)})", ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"), rows
    )
    interval = 3600 if hourly else 86400
    offset = current.period.since.astimezone(zone).utcoffset()
    document_filter = current.period.restrict(DocumentFilter(timezone=monitor.settings.timezone))
    counted = {
        bucket.start: bucket.count
        for bucket in monitor.store.count_by_time(
            document_filter, interval, int(offset.total_seconds()) if offset else 0
        )
    }
    steps = int(current.period.length.total_seconds() // interval)
    starts = [current.period.since + timedelta(seconds=interval * i) for i in range(steps)]
    buckets = [(start, counted.get(start, 0)) for start in starts]
    return Section(
        "Xu hướng",
        (),
        (table,),
        (charts.volume_chart(buckets, zone, hourly), charts.sentiment_chart(current.sentiment)),
    )


def _sources(metrics: Metrics, monitor: Monitor) -> Section:
    zone = monitor.settings.zone
    top = [(row.name, row.documents) for row in metrics.coverage if row.documents][:TOP_SOURCES]
    rows = tuple(
        (row.name, number(row.documents), row.status, local_time(row.last_success_at, zone), row.last_error or "")
        for row in metrics.coverage
    )
    silent = [row.name for row in metrics.coverage if row.configured and not row.documents]
    notes = (f"Nguồn không có bài trong kỳ: {', '.join(silent)}.",) if silent else ()
    table = Table(
        "Độ phủ và tình trạng nguồn", ("Nguồn", "Số bài", "Tình trạng", "Thu thập tốt gần nhất", "Lỗi gần nhất"), rows
    )
    return Section("Nguồn tin", notes, (table,), (charts.bar_chart("sources", "Nguồn có nhiều bài nhất", top),))


def _topics(metrics: Metrics) -> Section:
    topics = metrics.topics[:TOP_TOPICS]
    topic_rows = tuple((share.label, number(share.count), percent(share.share)) for share in topics)
    target_rows = tuple((share.label, number(share.count), percent(share.share)) for share in metrics.targets)
    return Section(
        "Chủ đề và đối tượng theo dõi",
        ("Một bài có thể thuộc nhiều chủ đề, nên tổng tỷ lệ có thể vượt 100%.",),
        (
            Table("Tỷ lệ thảo luận theo chủ đề", ("Chủ đề", "Số bài", "Tỷ lệ"), topic_rows),
            Table("Tỷ lệ thảo luận theo đối tượng theo dõi", ("Đối tượng", "Số bài", "Tỷ lệ"), target_rows),
        ),
        (
            charts.bar_chart(
                "topics", "Chủ đề được nhắc đến nhiều nhất", [(s.label, s.count) for s in topics], "#6a4c93"
            ),
        ),
    )


def _stories(monitor: Monitor, period: Period) -> Section:
    """Stories with the most members in the period; titles are pseudonymized like the researchers' view."""
    zone = monitor.settings.zone
    rows = tuple(
        (
            story.headline,
            number(story.size),
            ", ".join(story.sources),
            f"{story.first_published.astimezone(zone):%d/%m %H:%M}",
        )
        for story in top_stories(monitor.settings, monitor.store, period, TOP_STORIES)
    )
    table = Table(
        "Câu chuyện có nhiều bài nhất",
        ("Nội dung", "Số bài", "Nguồn", "Bài đầu tiên"),
        rows,
        empty="Không có câu chuyện nào có từ 2 bài trở lên trong kỳ.",
    )
    return Section("Câu chuyện nổi bật", (), (table,))


def _alert_rows(alerts: list[Alert], monitor: Monitor) -> tuple[tuple[str, ...], ...]:
    zone = monitor.settings.zone
    return tuple(
        (
            local_time(alert.event_start, zone),
            alert.title,
            alert.severity.value,
            STATE_NAMES.get(alert.state.value, alert.state.value),
            number(alert.doc_count),
        )
        for alert in alerts[:MAX_ALERT_ROWS]
    )


def _alerts_and_cases(monitor: Monitor, metrics: Metrics, scope: ReportScope) -> Section:
    period = metrics.period
    zone = monitor.settings.zone
    notes: tuple[str, ...] = ()
    tables: list[Table] = []
    if scope.alerts:
        alerts = all_alerts(
            monitor.alerts, AlertQuery(event_since=period.since, event_until=period.until, limit=ALERT_PAGE)
        )
        notes = (f"{number(len(alerts))} cảnh báo trong kỳ; bảng liệt kê tối đa {MAX_ALERT_ROWS} cảnh báo mới nhất.",)
        columns = ("Thời điểm", "Nội dung", "Mức độ", "Trạng thái", "Số bài")
        tables.append(Table("Cảnh báo", columns, _alert_rows(alerts, monitor)))
    if scope.cases:
        case_rows = tuple(
            (local_time(case.opened_at, zone), case.title, case.priority, STATE_NAMES.get(case.state, case.state))
            for case in metrics.response.cases
        )
        tables.append(Table("Vụ việc mở trong kỳ", ("Mở lúc", "Vụ việc", "Ưu tiên", "Trạng thái"), case_rows))
    return Section("Cảnh báo và vụ việc", notes, tuple(tables))


def _misinformation(metrics: Metrics, monitor: Monitor, scope: ReportScope) -> Section:
    found = metrics.misinformation
    response = metrics.response
    text = (
        f"{number(found.documents)} bài ({percent(found.share)}) có điểm thông tin sai lệch từ "
        f"{number(found.threshold, 2)}."
    )
    tables: list[Table] = []
    if scope.alerts:
        text += f" {number(len(found.alerts))} cảnh báo thông tin sai lệch."
        columns = ("Thời điểm", "Nội dung", "Mức độ", "Trạng thái", "Số bài")
        tables.append(Table("Cảnh báo thông tin sai lệch", columns, _alert_rows(found.alerts, monitor)))
    if scope.cases:
        text += (
            f" {number(response.responded)}/{number(response.opened)} vụ việc đã phản hồi, "
            f"{number(response.responded_in_time)} đúng hạn; thời gian xác minh trung vị "
            f"{duration(response.median_verify_seconds)}, phản hồi trung vị "
            f"{duration(response.median_respond_seconds)}."
        )
        tables.append(_case_times(response))
    heading = "Thông tin sai lệch đã xử lý và thời gian phản hồi" if scope.cases else "Thông tin sai lệch"
    return Section(heading, (text,), tuple(tables))


def _case_times(response: ResponseTimes) -> Table:
    rows = tuple(
        (
            case.title,
            case.priority,
            duration(case.time_to_verify_seconds),
            duration(case.time_to_respond_seconds),
            {True: "đúng hạn", False: "trễ hạn", None: "—"}[case.responded_in_time],
        )
        for case in response.cases
    )
    return Table("Thời gian xử lý vụ việc", ("Vụ việc", "Ưu tiên", "Xác minh", "Phản hồi", "Hạn phản hồi"), rows)


def _campaign(found: CampaignReport, monitor: Monitor) -> Section:
    zone = monitor.settings.zone
    spec = found.campaign
    rows = tuple(
        (
            f"{PHASE_NAMES[phase.phase]} ({period_text(phase.period, zone)})",
            number(phase.documents),
            number(phase.official),
            number(phase.reactions),
            number(phase.engagement.interactions),
            percent(phase.share_of_voice),
            number(phase.reaction_index, 2),
        )
        for phase in found.phases
    )
    text = (
        f"Từ khóa: {', '.join(spec.keywords) or '—'}; hashtag: {', '.join(spec.hashtags) or '—'}; "
        f"trang chính thức: {', '.join(spec.official_pages) or '—'}. Thị phần thảo luận = số bài của chiến dịch / "
        "tổng số bài cùng kỳ; phản ứng = bài không do trang chính thức đăng."
    )
    table = Table(
        "Trước, trong và sau chiến dịch",
        ("Giai đoạn", "Số bài", "Chính thức", "Phản ứng", "Tương tác", "Thị phần", "Cảm xúc phản ứng"),
        rows,
    )
    chart = charts.phases_chart(
        "Bài về chiến dịch và toàn bộ thảo luận",
        [(PHASE_NAMES[p.phase], p.documents, p.conversation) for p in found.phases],
    )
    return Section(f"Chiến dịch: {spec.name}", (text,), (table,), (chart,))
