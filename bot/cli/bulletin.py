"""`xiaoer bulletin …`: the leadership bulletin (企业诉求动态) of a period — build one into the
archive (and, with `--send`, queue it for the leadership through the outbox), list the archive,
show one as Markdown, .docx, PDF or .xlsx. `xiaoer run` builds one each week on its own
(config: bulletin.*). A campaign's own bulletin (its coverage and visit items) stays
`xiaoer campaign bulletin`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli_common import DATABASE, fail, run_work, settings_of

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.config import Settings
    from bot.domain.messages import Reply

bulletin_app = typer.Typer(
    help="The leadership bulletin (动态): build, list the archive, show one as md, docx, pdf or xlsx.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

FORMATS = ("md", "docx", "pdf", "xlsx")


def register(app: typer.Typer) -> None:
    app.add_typer(bulletin_app, name="bulletin")


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail([f"xiaoer: {option} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01"])


def _lang(lang: str | None, settings: Settings) -> str:
    if lang is not None and lang not in ("zh-CN", "en"):
        fail([f"xiaoer: --lang {lang!r} is not known: use zh-CN or en"])
    return lang or settings.language


async def _app(settings: Settings, database: str | None) -> App:
    from bot.bootstrap import build_app

    return await build_app(settings, database, load_nlu=False)


@bulletin_app.command("build")
def build(
    ctx: typer.Context,
    from_: str = typer.Option(..., "--from", metavar="DATE", help="The first day of the period."),
    to: str = typer.Option(..., "--to", metavar="DATE", help="The day after the period (not included)."),
    send: bool = typer.Option(False, "--send", help="Also queue it for the leadership (leadership.*)."),
    lang: str | None = typer.Option(None, "--lang", metavar="zh-CN|en", help="The archived text's language."),
    database: str | None = DATABASE,
) -> None:
    """Build the bulletin of [from, to) into the archive and print its Markdown."""
    settings = settings_of(ctx)
    since, until = _day("--from", from_), _day("--to", to)
    if until <= since:
        fail([f"xiaoer: --to {until} must be after --from {since}"])
    words = _lang(lang, settings)

    async def act() -> str:
        from handlers.bulletin.delivery import keep, prepare

        app = await _app(settings, database)
        try:
            prepared = await prepare(app.deps, since, until, send=send, lang=words)
            assert prepared is not None  # no schedule key: never claimed already
            if not send:
                await keep(app.deps, prepared, "cli")
                return prepared.markdown
            from bot.runtime.assemble import assemble

            async def work() -> list[Reply]:
                await keep(app.deps, prepared, "cli")
                return prepared.replies

            channels = assemble(settings, app.deps)
            try:
                queued = await channels.runtime.outgoing.run(work)
            finally:
                await channels.close()
            if not queued:
                typer.echo(
                    "xiaoer: nothing was queued: no configured channel reaches the leadership", err=True
                )
            else:
                typer.echo(
                    f"xiaoer: queued {queued} messages for the leadership; `xiaoer run` delivers them",
                    err=True,
                )
            return prepared.markdown
        finally:
            await app.close()

    typer.echo(run_work(act()), nl=False)  # the Markdown ends with its own newline


@bulletin_app.command("list")
def listing(
    ctx: typer.Context,
    lang: str | None = typer.Option(None, "--lang", metavar="zh-CN|en", help="The language."),
    database: str | None = DATABASE,
) -> None:
    """The archive, newest first: its id (D…), period, when and by whom it was built."""
    settings = settings_of(ctx)
    words = _lang(lang, settings)

    async def act() -> list[str]:
        from handlers.bulletin.delivery import archive_line

        app = await _app(settings, database)
        try:
            async with app.deps.storage() as uow:
                found = await uow.bulletins.listing()
            return [archive_line(b, words, app.deps.timezone) for b in found]
        finally:
            await app.close()

    lines = run_work(act())
    if not lines:
        typer.echo("xiaoer: the archive is empty (`xiaoer bulletin build`, or `xiaoer run` weekly)", err=True)
    for line in lines:
        typer.echo(line)


@bulletin_app.command("show")
def show(
    ctx: typer.Context,
    bulletin_id: str = typer.Argument(..., metavar="ID", hidden=True),  # described in the docstring
    format_: str = typer.Option("md", "--format", metavar="md|docx|pdf|xlsx", help="The format."),
    output: Path | None = typer.Option(
        None, "--output", metavar="PATH", help="Write it there (md: else stdout)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", metavar="zh-CN|en", help="The language (default: as built)."
    ),
    database: str | None = DATABASE,
) -> None:
    """One bulletin of the archive (ID as `xiaoer bulletin list` shows it, e.g. D3 or 3), rendered
    from the content it was built with."""
    settings = settings_of(ctx)
    digits = bulletin_id.upper().removeprefix("D")
    if not digits.isdigit() or len(digits) > 9:
        fail(
            [f"xiaoer: {bulletin_id!r} is not a bulletin id: write it as in `xiaoer bulletin list`, e.g. D3"]
        )
    if format_ not in FORMATS:
        fail([f"xiaoer: --format {format_!r} is not known: use one of {', '.join(FORMATS)}"])
    if format_ != "md" and output is None:
        fail([f"xiaoer: --format {format_} writes a file: give it a place with --output PATH"])
    if lang is not None:
        _lang(lang, settings)

    async def act() -> bytes:
        import asyncio

        from bot.i18n import t
        from handlers.bulletin.docx_file import to_docx
        from handlers.bulletin.pdf_file import NoFontForPdf, to_pdf
        from handlers.bulletin.text import to_markdown
        from handlers.bulletin.xlsx_file import to_xlsx

        app = await _app(settings, database)
        try:
            async with app.deps.storage() as uow:
                found = await uow.bulletins.get(int(digits))
        finally:
            await app.close()
        if found is None:
            fail([f"xiaoer: there is no bulletin D{int(digits)}: see `xiaoer bulletin list`"])
        words = lang or found.lang
        if format_ == "md":
            text = found.markdown if words == found.lang else to_markdown(found.content, words)
            return text.encode("utf-8")
        if format_ == "docx":
            return await asyncio.to_thread(to_docx, found.content, words)
        if format_ == "xlsx":
            return await asyncio.to_thread(to_xlsx, found.content, words)
        try:
            return await asyncio.to_thread(to_pdf, found.content, words)
        except NoFontForPdf:
            fail([f"xiaoer: {t('en', 'dynamics.pdf_no_font')}"])

    data = run_work(act())
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        fail([f"xiaoer: cannot write {output}: {error.strerror}; choose another place"])
    typer.echo(f"xiaoer: wrote {output} ({len(data)} bytes)", err=True)
