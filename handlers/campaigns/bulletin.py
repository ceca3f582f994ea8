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
from datetime import date

from bot.domain.campaigns import BulletinItem, Campaign, CoverageReport, ItemKind
from bot.domain.messages import Attachment, Reply
from bot.domain.tickets import Status
from bot.i18n import t
from handlers import render
from handlers.campaigns.coverage import coverage_line, coverage_report
from handlers.deps import Deps
from handlers.reports import leadership_recipients

NOTABLE = 10  # open demands listed by name; the rest counted


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


def sections(bulletin: Bulletin, deps: Deps) -> list[tuple[str, list[str]]]:
    """The bulletin as (heading, lines): what every format writes."""
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
    for item in demands:
        demand_lines.append(f"#{item.ticket_number} {company(item, lang)}: {item.text}")
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
        for name, group in sorted(grouped.items()):
            lines += [f"{name}: {item.text}" for item in group]
        result.append((t(lang, heading), lines))
    still_open = [item for item in demands if _state(item) == "open"]
    notable = [f"#{i.ticket_number} {company(i, lang)}: {i.text}" for i in still_open[:NOTABLE]]
    if len(still_open) > NOTABLE:
        notable.append(t(lang, "bulletin.more", count=len(still_open) - NOTABLE))
    result.append((t(lang, "bulletin.notable"), notable or [t(lang, "bulletin.nothing_notable")]))
    return result


def to_markdown(bulletin: Bulletin, deps: Deps) -> str:
    parts = [f"# {title(bulletin)}", ""]
    for heading, lines in sections(bulletin, deps):
        parts += [f"## {heading}", "", *(f"- {line}" for line in lines), ""]
    return "\n".join(parts)


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
    """A sheet per section, and every item with its company, ticket and state."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = bulletin.lang
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook has one sheet
    first.title = t(lang, "bulletin.sheet_summary")
    first.append([title(bulletin)])
    first["A1"].font = Font(bold=True)
    for heading, lines in sections(bulletin, deps):
        first.append([])
        first.append([heading])
        first.cell(row=first.max_row, column=1).font = Font(bold=True)
        for line in lines:
            first.append([line])
    items = book.create_sheet(t(lang, "bulletin.sheet_items"))
    items.append(
        [
            t(lang, f"bulletin.column_{c}")
            for c in ("kind", "company", "visited_on", "text", "ticket", "category", "state")
        ]
    )
    for item in bulletin.items:
        items.append(
            [
                t(lang, f"visit.kind_{item.kind.value}"),
                company(item, lang),
                item.visited_on,
                item.text,
                item.ticket_number,
                render.category_name(item.category, lang) if item.kind is ItemKind.DEMAND else "",
                t(lang, f"bulletin.state_{_state(item)}") if item.kind is ItemKind.DEMAND else "",
            ]
        )
        items.cell(row=items.max_row, column=3).number_format = "yyyy-mm-dd"
    for sheet in book.worksheets:
        sheet.column_dimensions["A"].width = 40 if sheet is first else 12
    items.column_dimensions["B"].width = 30
    items.column_dimensions["D"].width = 60
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
            Reply(to_markdown(own, deps), to=to),
            Reply(title(own), to=to, attachment=Attachment(name, workbook, "document")),
        ]
    return replies
