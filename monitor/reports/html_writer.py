"""A report as one self-contained HTML page: inline CSS, charts as base64 PNG data URIs."""

from __future__ import annotations

import base64
from html import escape
from zoneinfo import ZoneInfo

from monitor.reports.model import Report, Table, local_time

STYLE = """
body { font-family: "Segoe UI", Arial, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
h1 { color: #1f5fa8; } h2 { border-bottom: 2px solid #1f5fa8; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef3fa; } figure { margin: 1rem 0; } img { max-width: 100%; }
figcaption { font-style: italic; color: #555; } .muted { color: #666; }
"""


def render_html(report: Report, zone_name: str) -> bytes:
    """The report as UTF-8 HTML bytes."""
    parts = [
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(report.title)}</h1><p>{escape(report.subtitle)}</p>",
        f'<p class="muted">Lập lúc: {escape(local_time(report.generated_at, ZoneInfo(zone_name)))}</p>',
    ]
    for section in report.sections:
        parts.append(f"<section><h2>{escape(section.heading)}</h2>")
        parts.extend(f"<p>{escape(text)}</p>" for text in section.paragraphs)
        parts.extend(_table(table) for table in section.tables)
        for chart in section.charts:
            data = base64.b64encode(chart.png).decode("ascii")
            parts.append(
                f'<figure data-chart="{escape(chart.key)}"><img alt="{escape(chart.title)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{escape(chart.title)}</figcaption></figure>'
            )
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "".join(parts).encode("utf-8")


def _table(table: Table) -> str:
    head = f"<h3>{escape(table.title)}</h3>"
    if not table.rows:
        return f'{head}<p class="muted">{escape(table.empty)}</p>'
    header = "".join(f"<th>{escape(name)}</th>" for name in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
    return f"{head}<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
