"""The leadership bulletin (《企业诉求动态》) of a campaign over a period: coverage, the demands by
category and where they stand, the opinions and project plans grouped by company, and the notable
items (demands still open). Written as Markdown, as HTML (the same content, for a browser or a
mail) and as .xlsx; with `--send`, its text goes to the leadership through the outbox.

A confidential ticket's company is never named: its demand is counted and quoted without it."""

from __future__ import annotations

import asyncio
import html
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot.domain import markdown
from bot.domain.campaigns import BulletinItem, Campaign, CoverageReport, ItemKind
from bot.domain.messages import Attachment, Reply
from bot.domain.tickets import Status
from bot.i18n import t
from handlers import render
from handlers.campaigns.coverage import coverage_line, coverage_report
from handlers.deps import Deps
from handlers.reports import leadership_recipients
from handlers.sheet_cells import xlsx_row

NOTABLE = 10  # open demands listed by name; the rest counted
CHAT_QUOTES = 20  # items a section quotes in the chat message and the .xlsx summary (the files: all)


@dataclass(frozen=True)
class Bulletin:
    campaign: Campaign
    since: date | None
    until: date | None
    coverage: CoverageReport
    items: list[BulletinItem]
    lang: str

    def of(self, kind: ItemKind) -> list[BulletinItem]:
        return [item for item in self.items if item.kind is kind]


async def build_bulletin(
    deps: Deps, campaign: Campaign, lang: str, since: date | None = None, until: date | None = None
) -> Bulletin:
    assert campaign.id is not None
    report = await coverage_report(deps, campaign)
    async with deps.storage() as uow:
        items = await uow.campaigns.bulletin_items(campaign.id, since, until)
    return Bulletin(campaign, since, until, report, items, lang)


def company(item: BulletinItem, lang: str) -> str:
    return t(lang, "bulletin.confidential_company") if item.confidential else item.enterprise_name


def _state(item: BulletinItem) -> str:
    """open / answered / closed, as leadership reads a demand's progress."""
    if item.status is None:
        return "open"
    status = Status(item.status)
    if status is Status.CLOSED:
        return "closed"
    return "answered" if status.is_answered else "open"


def title(bulletin: Bulletin) -> str:
    lang = bulletin.lang
    period = (
        t(lang, "bulletin.whole")
        if bulletin.since is None and bulletin.until is None
        else (
            f"{bulletin.since or bulletin.campaign.starts_on}..{bulletin.until or bulletin.campaign.ends_on}"
        )
    )
    return t(lang, "bulletin.title", ref=bulletin.campaign.ref, name=bulletin.campaign.name, period=period)


def _quoted(lines: list[str], limit: int | None, lang: str) -> list[str]:
    if limit is None or len(lines) <= limit:
        return lines
    return [*lines[:limit], t(lang, "bulletin.more", count=len(lines) - limit)]


def sections(bulletin: Bulletin, deps: Deps, quotes: int | None = None) -> list[tuple[str, list[str]]]:
    """The bulletin as (heading, lines): what every format writes. `quotes`: how many items each
    section quotes (None: all; a chat message quotes a few, the files every one)."""
    lang = bulletin.lang
    report = bulletin.coverage
    demands = bulletin.of(ItemKind.DEMAND)
    coverage = [t(lang, "campaign.total") + " " + coverage_line(lang, report.total)]
    coverage += [
        (
            render.department_name(line.key, lang, deps.directory)
            if line.key
            else t(lang, "campaign.unassigned")
        )
        + ": "
        + coverage_line(lang, line)
        for line in report.by_department
    ]
    states = Counter(_state(item) for item in demands)
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    for item in demands:
        by_category[item.category or "other"][_state(item)] += 1
    demand_lines = [
        t(
            lang,
            "bulletin.demands_total",
            count=len(demands),
            open=states["open"],
            answered=states["answered"],
            closed=states["closed"],
        )
    ]
    for category, counted in sorted(by_category.items(), key=lambda kv: -sum(kv[1].values())):
        demand_lines.append(
            t(
                lang,
                "bulletin.category_line",
                category=render.category_name(category, lang),
                count=sum(counted.values()),
                open=counted["open"],
                answered=counted["answered"],
                closed=counted["closed"],
            )
        )
    demand_lines += _quoted(
        [f"#{i.ticket_number} {company(i, lang)}: {i.text}" for i in demands], quotes, lang
    )
    result = [
        (t(lang, "bulletin.coverage"), coverage),
        (t(lang, "bulletin.demands"), demand_lines),
    ]
    for kind, heading in ((ItemKind.OPINION, "bulletin.opinions"), (ItemKind.PLAN, "bulletin.plans")):
        notes = bulletin.of(kind)
        lines = [t(lang, "bulletin.count", count=len(notes))]
        grouped: dict[str, list[BulletinItem]] = defaultdict(list)
        for item in notes:
            grouped[item.enterprise_name].append(item)
        quoted = [f"{name}: {item.text}" for name, group in sorted(grouped.items()) for item in group]
        lines += _quoted(quoted, quotes, lang)
        result.append((t(lang, heading), lines))
    still_open = [item for item in demands if _state(item) == "open"]
    notable = [f"#{i.ticket_number} {company(i, lang)}: {i.text}" for i in still_open[:NOTABLE]]
    if len(still_open) > NOTABLE:
        notable.append(t(lang, "bulletin.more", count=len(still_open) - NOTABLE))
    result.append((t(lang, "bulletin.notable"), notable or [t(lang, "bulletin.nothing_notable")]))
    return result


def to_markdown(bulletin: Bulletin, deps: Deps, quotes: int | None = None) -> str:
    return markdown.document(title(bulletin), sections(bulletin, deps, quotes))


def to_html(bulletin: Bulletin, deps: Deps) -> str:
    """The same content as a page of its own (every text escaped)."""
    head = html.escape(title(bulletin))
    body = [f"<h1>{head}</h1>"]
    for heading, lines in sections(bulletin, deps):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="' + bulletin.lang + '"><head><meta charset="utf-8">'
        f"<title>{head}</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def to_xlsx(bulletin: Bulletin, deps: Deps) -> bytes:
    """The summary (counts and a few quotes per section), and every item with its company,
    ticket and state. Written in openpyxl's write-only mode: rows stream out, none is kept."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Font

    lang = bulletin.lang
    book = Workbook(write_only=True)
    first = book.create_sheet(t(lang, "bulletin.sheet_summary"))
    items = book.create_sheet(t(lang, "bulletin.sheet_items"))
    first.column_dimensions["A"].width = 60
    for column, width in zip("ABCDEFG", (14, 30, 12, 60, 8, 14, 10), strict=True):
        items.column_dimensions[column].width = width
    bold = Font(bold=True)

    def strong(sheet: Any, text: str) -> Cell:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        return cell

    first.append([strong(first, title(bulletin))])
    for heading, lines in sections(bulletin, deps, CHAT_QUOTES):  # every item: the items sheet
        first.append([])
        first.append([strong(first, heading)])
        for line in lines:
            first.append(xlsx_row(first, [line]))
    columns = ("kind", "company", "visited_on", "text", "ticket", "category", "state")
    items.append([strong(items, t(lang, f"bulletin.column_{c}")) for c in columns])
    for item in bulletin.items:
        day = WriteOnlyCell(items, value=datetime.combine(item.visited_on, time()))  # a date cell
        day.number_format = "yyyy-mm-dd"
        items.append(
            xlsx_row(
                items,
                [
                    t(lang, f"visit.kind_{item.kind.value}"),
                    company(item, lang),
                    day,
                    item.text,
                    item.ticket_number,
                    render.category_name(item.category, lang) if item.kind is ItemKind.DEMAND else "",
                    t(lang, f"bulletin.state_{_state(item)}") if item.kind is ItemKind.DEMAND else "",
                ],
            )
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def bulletin_replies(deps: Deps, bulletin: Bulletin) -> list[Reply]:
    """What the leadership gets: the bulletin's text, and its .xlsx, in each reader's language."""
    replies: list[Reply] = []
    for to, lang in leadership_recipients(deps):
        own = (
            bulletin
            if lang == bulletin.lang
            else Bulletin(
                bulletin.campaign, bulletin.since, bulletin.until, bulletin.coverage, bulletin.items, lang
            )
        )
        workbook = await asyncio.to_thread(to_xlsx, own, deps)
        name = f"bulletin-{bulletin.campaign.id}.xlsx"
        replies += [
            Reply(to_markdown(own, deps, CHAT_QUOTES), to=to),
            Reply(title(own), to=to, attachment=Attachment(name, workbook, "document")),
        ]
    return replies
