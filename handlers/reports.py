"""Reports for leaders: `/report` in chat, the weekly report, and the report behind `xiaoer report`.

The weekly report is `weekly_report(deps, now)`: the scheduler calls it (Monday morning, say)
and sends what it returns. It covers the last full week, Monday to Sunday, and goes to the
configured leadership department's group (`leadership.department`) and the configured leaders
(`leadership.officers`) who are not in that group privately, or, with neither configured, to the
admins; each gets the
summary as plain text (handlers.report_chat), then the chart as a photo, in their own language.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime

from bot.domain.messages import (
    Actor,
    Attachment,
    Recipient,
    Reply,
    Role,
    ToDepartment,
    ToOfficer,
    ToSender,
)
from bot.domain.periods import Period, last_full_week, month_to_date, recent_days, today
from bot.domain.permissions import may_see_reports
from bot.domain.report import Report, build_report
from bot.i18n import t
from handlers.deps import Deps
from handlers.report_chart import to_png
from handlers.report_chat import chat_text
from handlers.report_format import ReportWords

MOST_OVERDUE_LISTED = 10
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def load_report(deps: Deps, since: datetime, until: datetime, as_of: datetime | None = None) -> Report:
    """The report over tickets opened in [since, until), open tickets' overdue measured at `as_of`
    (default: now). One transaction, so the figures agree with each other."""
    as_of = as_of or deps.clock()
    async with deps.storage() as uow:
        counts = await uow.kpi.counts(since, until, as_of)
        volume = await uow.reports.volume(since, until)
        resolve_times = await uow.reports.resolve_times(since, until)
        overdue = await uow.reports.most_overdue(since, until, as_of, MOST_OVERDUE_LISTED)
    return build_report(
        since=since,
        until=until,
        as_of=as_of,
        volume=volume,
        counts=counts,
        resolve_times=resolve_times,
        most_overdue=overdue,
    )


def words_for(report: Report, lang: str, deps: Deps) -> ReportWords:
    return ReportWords(report, lang, deps.directory, deps.timezone)


async def report_replies(report: Report, lang: str, deps: Deps, to: Recipient) -> list[Reply]:
    """The summary as text, then the chart as a photo."""
    text, caption, chart = await _rendered(report, lang, deps)
    return [Reply(text, to=to), Reply(caption, to=to, attachment=chart)]


async def _rendered(report: Report, lang: str, deps: Deps) -> tuple[str, str, Attachment]:
    words = words_for(report, lang, deps)
    chart = await asyncio.to_thread(to_png, words)  # drawing takes a while: off the event loop
    caption = t(
        lang, "report.chart_caption", first=words.first_day.isoformat(), last=words.last_day.isoformat()
    )
    return chat_text(words), caption, Attachment("report.png", chart.png)


async def report_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/report` (the last 7 days), `/report week` (last week), `/report month` (this month so
    far), `/report FROM TO` (dates, TO not included)."""
    if not may_see_reports(actor, deps.directory.leaders):
        return [Reply(t(actor.lang, "report.not_allowed"))]
    period = _period(args.lower().split(), actor.lang, deps)
    if isinstance(period, str):
        return [Reply(period)]
    report = await load_report(deps, period.since, period.until)
    return await report_replies(report, actor.lang, deps, to=ToSender())


def _period(args: list[str], lang: str, deps: Deps) -> Period | str:
    """The period asked for, or what to say instead."""
    now = deps.clock()
    if not args:
        return recent_days(now, deps.timezone)
    if args == ["week"]:
        return last_full_week(now, deps.timezone)
    if args == ["month"]:
        return month_to_date(now, deps.timezone)
    if len(args) != 2:
        return t(lang, "report.usage")
    days = []
    for word in args:
        day = parse_day(word)
        if day is None:
            return t(lang, "report.bad_date", text=word[:20]) + "\n" + t(lang, "report.usage")
        days.append(day)
    if days[1] <= days[0]:
        return t(lang, "report.bad_order", first=days[0].isoformat(), end=days[1].isoformat())
    if days[0] > today(now, deps.timezone):  # a report of zeros would read as a quiet month
        return t(lang, "report.not_begun", first=days[0].isoformat())
    return Period(days[0], days[1], deps.timezone)


FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_day(text: str) -> date | None:
    """YYYY-MM-DD, or None."""
    if not _DATE.match(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return None
    # a hotline's records lie in this era; year 1 or 9999 would overflow in the time zone
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


async def weekly_report(deps: Deps, now: datetime) -> list[Reply]:
    """Last week's report for the leadership (see the module's docstring)."""
    period = last_full_week(now, deps.timezone)
    report = await load_report(deps, period.since, period.until, as_of=now)
    rendered: dict[str, tuple[str, str, Attachment]] = {}
    replies: list[Reply] = []
    for to, lang in leadership_recipients(deps):
        if lang not in rendered:
            rendered[lang] = await _rendered(report, lang, deps)
        text, caption, chart = rendered[lang]
        replies += [
            Reply(t(lang, "report.weekly") + "\n\n" + text, to=to),
            Reply(caption, to=to, attachment=chart),
        ]
    return replies


async def weekly_report_once(deps: Deps, now: datetime) -> list[Reply]:
    """The weekly report, claimed for its week in the ledger first: of several instances running
    the same scheduled job, one sends it."""
    week = last_full_week(now, deps.timezone)
    async with deps.storage() as uow:
        if not await uow.reminders.claim_digest("weekly_report", "leadership", week.first_day, now):
            return []
        await uow.commit()
    return await weekly_report(deps, now)


def leadership_recipients(deps: Deps) -> list[tuple[Recipient, str]]:
    directory = deps.directory
    recipients: list[tuple[Recipient, str]] = []
    if directory.leadership_department is not None:
        department = directory.leadership_department
        recipients.append((ToDepartment(department), directory.group_lang(department)))
    leaders = list(directory.leaders)
    if not recipients and not leaders:
        leaders = [o.id for o in directory.officers.values() if o.role is Role.ADMIN]
    if directory.leadership_department is not None:  # its members read it in their group
        in_group = {o.id for o in directory.members(directory.leadership_department)}
        leaders = [officer_id for officer_id in leaders if officer_id not in in_group]
    for officer_id in leaders:
        officer = directory.officers.get(officer_id)
        if officer is not None:
            recipients.append((ToOfficer(officer_id), officer.lang))
    return recipients
