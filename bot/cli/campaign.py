"""`xiaoer campaign …`: door-knocking campaigns from the command line (issue 15) — create (by tags
or an imported .xlsx/.csv list of credit codes), list, assign, change, close, report (.xlsx and a
chart), and the leadership bulletin (Markdown, HTML and .xlsx; `--send` queues it for the
leadership through the outbox). The same use cases as `/campaign` in chat (handlers/campaigns)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.config import Settings
    from bot.domain.campaigns import Campaign

T = TypeVar("T")

campaign_app = typer.Typer(
    help="Door-knocking campaigns: targets, assignments, coverage, the leadership bulletin.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the work; a refusal (no such campaign, nothing targeted …) ends it with one line and 2."""
    from bot.domain.campaigns import CampaignRefused
    from bot.i18n import t

    try:
        return run_work(coroutine)
    except CampaignRefused as refused:
        fail([f"xiaoer: {t('en', refused.key, **refused.params)}"])


def _day(option: str, text: str) -> date:
    from handlers.reports import parse_day

    day = parse_day(text)
    if day is None:
        fail([f"xiaoer: {option} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01"])
    return day


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


async def _app(settings: Settings, database: str | None) -> App:
    from bot.bootstrap import build_app

    return await build_app(settings, database, load_nlu=False)


async def _campaign(app: App, number: int) -> Campaign:
    from handlers.campaigns.manage import campaign_or_refuse

    async with app.deps.storage() as uow:
        return await campaign_or_refuse(uow, number)


@campaign_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", hidden=True),  # described in the docstring
    from_: str = typer.Option(..., "--from", metavar="DATE", help="The first day, YYYY-MM-DD."),
    to: str = typer.Option(..., "--to", metavar="DATE", help="The last day, YYYY-MM-DD."),
    lead: str = typer.Option(..., "--lead", metavar="OFFICER", help="The lead: a head's or an admin's id."),
    industry: list[str] = typer.Option([], "--industry", metavar="VALUE", help="Target this industry."),
    district: list[str] = typer.Option([], "--district", metavar="VALUE", help="Target this district."),
    size: list[str] = typer.Option(
        [], "--size", metavar="VALUE", help="Target this size class (规上, 小微 …)."
    ),
    tag: list[str] = typer.Option([], "--tag", metavar="VALUE", help="Target enterprises with this tag."),
    key_support: bool = typer.Option(
        False, "--key-support", help="Only the enterprises on the key-support list (重点帮扶)."
    ),
    list_file: Path | None = typer.Option(
        None, "--list", metavar="FILE", help="An .xlsx or .csv whose first column holds the credit codes."
    ),
    departments: list[str] = typer.Option(
        [], "--departments", metavar="IDS", help="Where enterprises without a liaison officer go (a,b)."
    ),
    database: str | None = DATABASE,
) -> None:
    """Create a campaign named NAME and assign its targets: each to its liaison officer, the
    others spread over --departments (and their officers)."""
    from bot.domain.campaigns import Targeting, may_lead
    from bot.domain.messages import Actor
    from bot.domain.policies import Tags
    from handlers.campaigns.code_list import UnreadableList, codes_from_file

    settings = settings_of(ctx)
    starts, ends = _day("--from", from_), _day("--to", to)
    codes: list[str] = []
    if list_file is not None:
        try:
            codes = codes_from_file(list_file.name, list_file.read_bytes())
        except OSError as error:
            fail([f"xiaoer: cannot read {list_file}: {error.strerror}"])
        except UnreadableList as error:
            fail([f"xiaoer: {error}"])
        if not codes:
            fail([f"xiaoer: {list_file} holds no credit code in its first column"])
    tags = Tags.of(
        {
            "industry": _split(industry),
            "district": _split(district),
            "size_class": _split(size),
            "qualifications": _split(tag),
        }
    )
    targeting = Targeting(tags, frozenset(codes), key_support)

    async def act() -> None:
        from handlers.campaigns.manage import create_campaign

        app = await _app(settings, database)
        try:
            officer = app.deps.directory.officers.get(lead)  # the organisation as the database has it
            if officer is None or not may_lead(
                Actor(officer.role, officer.name, officer.lang, officer_id=officer.id)
            ):
                fail([f"xiaoer: --lead {lead!r} is not a head or an admin of the organisation"])
            created = await create_campaign(
                app.deps,
                name=name,
                starts_on=starts,
                ends_on=ends,
                lead_id=lead,
                targeting=targeting,
                departments=_split(departments),
            )
        finally:
            await app.close()
        typer.echo(
            f"{created.campaign.ref} {created.campaign.name}: {created.targets} targets, "
            f"{created.unassigned} unassigned"
        )
        if created.unknown_codes:
            typer.echo(
                f"xiaoer: no enterprise has these codes of the list: {', '.join(created.unknown_codes)}",
                err=True,
            )

    _run(act())


@campaign_app.command("list")
def listing(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """The campaigns, newest first, with their coverage."""
    settings = settings_of(ctx)

    async def act() -> None:
        from handlers.campaigns.coverage import coverage_line, coverage_report

        app = await _app(settings, database)
        try:
            async with app.deps.storage() as uow:
                campaigns = await uow.campaigns.listing()
            for campaign in campaigns:
                report = await coverage_report(app.deps, campaign)
                typer.echo(
                    f"{campaign.ref}\t{campaign.name}\t{campaign.starts_on}..{campaign.ends_on}\t"
                    f"{campaign.status.value}\t{coverage_line('en', report.total)}"
                )
        finally:
            await app.close()

    _run(act())


def _number(text: str) -> int:
    digits = text.strip().lstrip("Cc#")
    if not digits.isdigit() or len(digits) > 9:
        fail([f"xiaoer: {text!r} is not a campaign number (e.g. 3 or C3)"])
    return int(digits)


@campaign_app.command("assign")
def assign(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., metavar="CAMPAIGN", hidden=True),  # described in the docstring
    to: str = typer.Option(..., "--to", metavar="OFFICER", help="Who visits them now."),
    enterprise: str | None = typer.Option(
        None, "--enterprise", metavar="ID|CODE|NAME", help="One enterprise of the campaign."
    ),
    from_officer: str | None = typer.Option(
        None, "--from-officer", metavar="OFFICER", help="All targets of this officer."
    ),
    actor: str = typer.Option("admin", "--by", metavar="OFFICER", help="Who makes the change (audit)."),
    database: str | None = DATABASE,
) -> None:
    """Reassign targets of CAMPAIGN (a number, e.g. 3 or C3): one enterprise, or all of one
    officer's."""
    if (enterprise is None) == (from_officer is None):
        fail(["xiaoer: give exactly one of --enterprise and --from-officer"])
    settings = settings_of(ctx)
    number = _number(campaign)
    what = enterprise if enterprise is not None else f"from:{from_officer}"

    async def act() -> None:
        from handlers.campaigns.manage import reassign

        app = await _app(settings, database)
        try:
            moved = await reassign(app.deps, number, actor, what or "", to)
        finally:
            await app.close()
        typer.echo(f"C{number}: {moved} targets now visited by {to}")

    _run(act())


@campaign_app.command("change")
def change(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., metavar="CAMPAIGN", hidden=True),  # described in the docstring
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="A new name."),
    from_: str | None = typer.Option(None, "--from", metavar="DATE", help="A new first day."),
    to: str | None = typer.Option(None, "--to", metavar="DATE", help="A new last day."),
    actor: str = typer.Option("admin", "--by", metavar="OFFICER", help="Who makes the change (audit)."),
    database: str | None = DATABASE,
) -> None:
    """Rename CAMPAIGN (a number, e.g. 3 or C3) or move its period."""
    settings = settings_of(ctx)
    number = _number(campaign)
    starts = _day("--from", from_) if from_ else None
    ends = _day("--to", to) if to else None

    async def act() -> None:
        from handlers.campaigns.manage import change_campaign

        app = await _app(settings, database)
        try:
            changed = await change_campaign(
                app.deps, number, actor, name=name, starts_on=starts, ends_on=ends
            )
        finally:
            await app.close()
        typer.echo(f"{changed.ref} {changed.name}: {changed.starts_on}..{changed.ends_on}")

    _run(act())


@campaign_app.command("close")
def close(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., metavar="CAMPAIGN", hidden=True),  # described in the docstring
    actor: str = typer.Option("admin", "--by", metavar="OFFICER", help="Who closes it (audit)."),
    database: str | None = DATABASE,
) -> None:
    """Close CAMPAIGN (a number, e.g. 3 or C3): its enterprises leave the officers' lists and
    reminders."""
    settings = settings_of(ctx)
    number = _number(campaign)

    async def act() -> None:
        from handlers.campaigns.manage import close_campaign

        app = await _app(settings, database)
        try:
            closed = await close_campaign(app.deps, number, actor)
        finally:
            await app.close()
        typer.echo(f"{closed.ref} {closed.name}: closed")

    _run(act())


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        fail([f"xiaoer: cannot write {path}: {error.strerror}; choose another place"])
    typer.echo(f"xiaoer: wrote {path} ({len(data)} bytes)", err=True)


@campaign_app.command("report")
def report(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., metavar="CAMPAIGN", hidden=True),  # described in the docstring
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="The .xlsx (default: xiaoer-campaign-N.xlsx here)."
    ),
    chart: Path | None = typer.Option(
        None, "--chart", metavar="FILE", help="The coverage chart (default: xiaoer-campaign-N.png here)."
    ),
    lang: str | None = typer.Option(None, "--lang", metavar="zh-CN|en", help="The language."),
    database: str | None = DATABASE,
) -> None:
    """CAMPAIGN's (a number, e.g. 3 or C3) coverage by department and officer on stdout, the
    .xlsx with a row per target enterprise and its visit, and the chart of coverage over time."""
    if lang is not None and lang not in ("zh-CN", "en"):
        fail([f"xiaoer: --lang {lang!r} is not known: use zh-CN or en"])
    settings = settings_of(ctx)
    number = _number(campaign)
    words = lang or settings.language

    async def act() -> None:
        from handlers.campaigns.coverage import coverage_report, local_day, status_text
        from handlers.campaigns.report_file import campaign_chart, campaign_workbook

        app = await _app(settings, database)
        try:
            found = await _campaign(app, number)
            typer.echo(
                status_text(await coverage_report(app.deps, found), words, app.deps, local_day(app.deps))
            )
            _write(
                output or Path(f"xiaoer-campaign-{number}.xlsx"),
                await campaign_workbook(app.deps, found, words),
            )
            drawn = await campaign_chart(app.deps, found, words)
            _write(chart or Path(f"xiaoer-campaign-{number}.png"), drawn.png)
        finally:
            await app.close()

    _run(act())


@campaign_app.command("bulletin")
def bulletin(
    ctx: typer.Context,
    campaign: str = typer.Option(..., "--campaign", metavar="CAMPAIGN", help="The campaign (e.g. 3 or C3)."),
    from_: str | None = typer.Option(None, "--from", metavar="DATE", help="Visits from this day on."),
    to: str | None = typer.Option(None, "--to", metavar="DATE", help="Visits before this day."),
    output_dir: Path = typer.Option(
        Path("."), "--output-dir", metavar="DIR", help="Where the .md, .html and .xlsx go."
    ),
    send: bool = typer.Option(False, "--send", help="Also queue it for the leadership (leadership.*)."),
    lang: str | None = typer.Option(None, "--lang", metavar="zh-CN|en", help="The language."),
    database: str | None = DATABASE,
) -> None:
    """The leadership bulletin (企业诉求动态) of a campaign over [from, to): coverage, the demands by
    category and where they stand, opinions and project plans grouped, what needs attention."""
    if lang is not None and lang not in ("zh-CN", "en"):
        fail([f"xiaoer: --lang {lang!r} is not known: use zh-CN or en"])
    settings = settings_of(ctx)
    number = _number(campaign)
    since = _day("--from", from_) if from_ else None
    until = _day("--to", to) if to else None
    words = lang or settings.language

    async def act() -> None:
        import asyncio

        from handlers.campaigns.bulletin import (
            build_bulletin,
            bulletin_replies,
            to_html,
            to_markdown,
            to_xlsx,
        )

        app = await _app(settings, database)
        try:
            found = await _campaign(app, number)
            built = await build_bulletin(app.deps, found, words, since, until)
            stem = output_dir / f"xiaoer-bulletin-{number}"
            _write(stem.with_suffix(".md"), to_markdown(built, app.deps).encode("utf-8"))
            _write(stem.with_suffix(".html"), to_html(built, app.deps).encode("utf-8"))
            _write(stem.with_suffix(".xlsx"), await asyncio.to_thread(to_xlsx, built, app.deps))
            if send:
                await _send(settings, app, await bulletin_replies(app.deps, built))
        finally:
            await app.close()

    _run(act())


async def _send(settings: Settings, app: App, replies: list[Any]) -> None:
    """Queue the bulletin in the outbox for the configured channels; `xiaoer run` (or `xiaoer
    policy send`) delivers it."""
    from bot.runtime.assemble import assemble

    channels = assemble(settings, app.deps)
    try:
        async with app.deps.storage() as uow:
            queued = await channels.runtime.outgoing.queue(uow, replies)
            await uow.commit()
    finally:
        await channels.close()
    if not queued:
        fail(["xiaoer: nothing was queued: no configured channel reaches the leadership (leadership.*)"])
    typer.echo(f"xiaoer: queued {queued} messages for the leadership; `xiaoer run` delivers them", err=True)
