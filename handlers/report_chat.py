"""A report as a chat message: plain lines every platform shows as they are (Telegram's and
WeCom's text messages would show Markdown's headings and pipe tables raw). The same figures as
the Markdown file, from the same words."""

from __future__ import annotations

from bot.domain.kpi import RATE_NAMES
from handlers.report_format import ReportWords


def chat_text(words: ReportWords) -> str:
    report = words.report
    lines = [
        words.title(),
        words.text("as_of", at=words.when(report.as_of), timezone=words.timezone.key, count=report.opened),
        "",
        words.text("chat_section", name=words.text("figures")),
    ]
    for name in RATE_NAMES:
        lines.append(
            words.text(
                "chat_figure",
                name=words.rate_name(name),
                value=words.percent(getattr(report.rates, name)),
                basis=words.basis(name),
            )
        )
    lines.append(
        words.text(
            "chat_figure",
            name=words.text("average_resolve"),
            value=words.duration(report.average_resolve),
            basis=words.text("average_resolve_basis", count=report.resolve_times.closed),
        )
    )
    for title, rows in (
        (words.text("by_category"), [(words.category(c), n) for c, n in report.by_category]),
        (words.text("by_department"), [(words.department(d), n) for d, n in report.by_department]),
    ):
        lines += ["", words.text("chat_section", name=title)]
        if not rows:
            lines.append(words.text("no_data"))
        lines += [words.text("chat_volume", name=label, count=n, share=words.share(n)) for label, n in rows]
    lines += ["", words.text("chat_section", name=words.text("overdue"))]
    if not report.most_overdue:
        lines.append(words.text("overdue_none"))
    for ticket in report.most_overdue:
        lines.append(
            words.text(
                "chat_overdue",
                ref=f"#{ticket.number}",
                category=words.overdue_category(ticket),
                handler=words.handler(ticket),
                status=words.status(ticket),
                due=words.when(ticket.resolve_by),
                overdue=words.duration(ticket.overdue),
            )
        )
    return "\n".join(lines)
