"""A report written out for people: the words (from the catalogues), Markdown, and the flat rows
behind the CSV. Pure: no storage, no files; handlers.report_files turns these into file bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain.kpi import RATE_NAMES, fractions
from bot.domain.org import Directory
from bot.domain.report import OverdueTicket, Report
from bot.i18n import t
from handlers.render import category_name, department_name, officer_name

CSV_COLUMNS = ("section", "key", "label", "value", "part", "whole", "detail")
_SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class ReportWords:
    """How one report is said in one language."""

    report: Report
    lang: str
    directory: Directory
    timezone: ZoneInfo

    @property
    def first_day(self) -> date:
        return self.report.since.astimezone(self.timezone).date()

    @property
    def last_day(self) -> date:
        """The last day the period includes (it ends before `until`)."""
        return (self.report.until.astimezone(self.timezone) - timedelta(microseconds=1)).date()

    def text(self, key: str, **params: object) -> str:
        return t(self.lang, f"report.{key}", **params)

    def title(self) -> str:
        return self.text("title", first=self.first_day.isoformat(), last=self.last_day.isoformat())

    def when(self, at: datetime) -> str:
        return at.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M")

    def category(self, category: str | None) -> str:
        return category_name(category, self.lang)

    def department(self, department_id: str | None) -> str:
        if department_id is None:
            return self.text("not_dispatched")
        return department_name(department_id, self.lang, self.directory)

    def overdue_category(self, ticket: OverdueTicket) -> str:
        """A confidential ticket's category is not for every reader of the report."""
        return self.text("confidential") if ticket.confidential else self.category(ticket.category)

    def handler(self, ticket: OverdueTicket) -> str:
        department = self.department(ticket.department_id)
        if ticket.assignee_id is None:
            return department
        return f"{officer_name(ticket.assignee_id, self.lang, self.directory)} · {department}"

    def status(self, ticket: OverdueTicket) -> str:
        return t(self.lang, f"status.{ticket.status.value}")

    def rate_name(self, name: str) -> str:
        return self.text(name)

    def percent(self, value: float | None) -> str:
        return self.text("no_data") if value is None else f"{value * 100:.1f}%"

    def basis(self, name: str) -> str:
        part, whole = fractions(self.report.counts)[name]
        basis = self.text(f"{name}_basis", part=part, whole=whole)
        pending = self.report.counts.response_pending
        if name == "response_rate" and pending:
            basis += self.text("response_pending", count=pending)
        return basis

    def duration(self, span: timedelta | None) -> str:
        """Under a day in hours (one decimal), else in days and whole hours."""
        if span is None:
            return self.text("no_data")
        hours = span.total_seconds() / _SECONDS_PER_HOUR
        if round(hours, 1) < 24:
            return self.text("duration_hours", hours=f"{hours:.1f}".removesuffix(".0"))
        days, rest = divmod(round(hours), 24)
        if rest == 0:
            return self.text("duration_whole_days", days=days)
        return self.text("duration_days", days=days, hours=rest)

    def share(self, tickets: int) -> str:
        return f"{tickets / self.report.opened * 100:.1f}%" if self.report.opened else self.text("no_data")


def markdown(words: ReportWords) -> str:
    report = words.report
    lines = [
        f"# {words.title()}",
        "",
        words.text("as_of", at=words.when(report.as_of), timezone=words.timezone.key, count=report.opened),
        "",
        f"## {words.text('figures')}",
        "",
        _row(words.text("column_figure"), words.text("column_value"), words.text("column_basis")),
        _row("---", "---:", "---"),
    ]
    for name in RATE_NAMES:
        lines.append(
            _row(words.rate_name(name), words.percent(getattr(report.rates, name)), words.basis(name))
        )
    lines.append(
        _row(
            words.text("average_resolve"),
            words.duration(report.average_resolve),
            words.text("average_resolve_basis", count=report.resolve_times.closed),
        )
    )
    lines += ["", f"## {words.text('by_category')}", ""]
    lines += _volume_table(
        words, words.text("column_category"), [(words.category(c), n) for c, n in report.by_category]
    )
    lines += ["", f"## {words.text('by_department')}", ""]
    lines += _volume_table(
        words, words.text("column_department"), [(words.department(d), n) for d, n in report.by_department]
    )
    lines += ["", f"## {words.text('overdue')}", ""]
    if not report.most_overdue:
        lines.append(words.text("overdue_none"))
    else:
        lines.append(
            _row(
                *(
                    words.text(k)
                    for k in ("column_ticket", "column_category", "column_handler", "column_status")
                ),
                words.text("column_deadline"),
                words.text("column_overdue"),
            )
        )
        lines.append(_row("---", "---", "---", "---", "---", "---:"))
        for ticket in report.most_overdue:
            lines.append(
                _row(
                    f"#{ticket.number}",
                    words.overdue_category(ticket),
                    words.handler(ticket),
                    words.status(ticket),
                    words.when(ticket.resolve_by),
                    words.duration(ticket.overdue),
                )
            )
    return "\n".join(lines) + "\n"


def _volume_table(words: ReportWords, heading: str, rows: list[tuple[str, int]]) -> list[str]:
    if not rows:
        return [words.text("no_data")]
    lines = [
        _row(heading, words.text("column_tickets"), words.text("column_share")),
        _row("---", "---:", "---:"),
    ]
    lines += [_row(label, str(n), words.share(n)) for label, n in rows]
    return lines


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def plain_number(value: float) -> str:
    """A number as a spreadsheet reads it everywhere: all its digits, never in exponent form
    (`3.805e-05` is text to some spreadsheet programs, and a surprise to people)."""
    return format(Decimal(repr(value)), "f")


def csv_rows(words: ReportWords) -> list[tuple[str, ...]]:
    """One flat table, easy to filter in a spreadsheet or to read back with a program: `section`
    and `key` are stable identifiers, `label` is for people, `value` is a plain number (a rate as
    a fraction of 1, empty for no data; a duration in hours), `part`/`whole` what a rate divides."""
    report = words.report
    rows: list[tuple[str, ...]] = [
        ("period", "first_day", words.text("first_day"), words.first_day.isoformat(), "", "", ""),
        ("period", "last_day", words.text("last_day"), words.last_day.isoformat(), "", "", ""),
        (
            "period",
            "as_of",
            words.text("as_of_label"),
            report.as_of.astimezone(words.timezone).isoformat(),
            "",
            "",
            words.timezone.key,
        ),
        ("volume", "opened", words.text("opened"), str(report.opened), "", "", ""),
    ]
    counted = fractions(report.counts)
    for name in RATE_NAMES:
        value = getattr(report.rates, name)
        part, whole = counted[name]
        rows.append(
            (
                "rate",
                name,
                words.rate_name(name),
                "" if value is None else plain_number(value),
                str(part),
                str(whole),
                "",
            )
        )
    average = report.average_resolve
    rows.append(
        (
            "time",
            "average_resolve_hours",
            words.text("average_resolve"),
            "" if average is None else plain_number(average.total_seconds() / _SECONDS_PER_HOUR),
            "",
            str(report.resolve_times.closed),
            "",
        )
    )
    rows += [("category", c, words.category(c), str(n), "", "", "") for c, n in report.by_category]
    rows += [
        ("department", d or "", words.department(d), str(n), "", "", "") for d, n in report.by_department
    ]
    rows += [
        (
            "overdue",
            str(o.number),
            f"#{o.number} {words.overdue_category(o)} · {words.handler(o)} · {words.status(o)}",
            plain_number(o.overdue_seconds / _SECONDS_PER_HOUR),
            "",
            "",
            o.resolve_by.astimezone(words.timezone).isoformat(),
        )
        for o in report.most_overdue
    ]
    return rows
