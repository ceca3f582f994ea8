"""`xiaoer invites`: one single-use, expiring invite per contact of the selected enterprises, as a
spreadsheet for liaison officers to hand out (the Telegram deep link, the code to send on WeCom)
with a folder of QR codes of the links; `xiaoer invites report`: how far binding has come."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer

from bot.cli_common import fail, progress_bar, run_work, settings_of, writing
from bot.i18n import t
from handlers.sheet_cells import xlsx_row

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.domain.org import Directory
    from storage.search_protocols import RosterEntry, Selection

invites_app = typer.Typer(
    help="Invite enterprises' contacts in bulk (links, QR codes, codes) and report on binding.",
    invoke_without_command=True,
    rich_markup_mode=None,  # plain help, as bot.cli says why
)

DATABASE = typer.Option(
    None, "--database", "-d", metavar="URL", help="Database URL (default: from the config)."
)
CHUNK = 500  # invites written per statement
_COLUMNS = (
    "enterprise_id",
    "enterprise",
    "uscc",
    "district",
    "liaison",
    "contact",
    "phone",
    "link",
    "wecom",
    "code",
    "expires",
    "qr",
)


@dataclass(frozen=True)
class MadeInvite:
    entry: RosterEntry
    code: str
    link: str
    qr_file: str


@invites_app.callback()
def invites(
    ctx: typer.Context,
    every: bool = typer.Option(
        False, "--all", help="Every enterprise (the default when nothing else is chosen)."
    ),
    tag: list[str] = typer.Option(
        [], "--tag", metavar="TAG", help="Enterprises with this tag (repeatable: all of them)."
    ),
    district: str | None = typer.Option(
        None, "--district", metavar="NAME", help="Enterprises of this district."
    ),
    liaison: str | None = typer.Option(
        None, "--liaison", metavar="OFFICER", help="Enterprises this officer looks after."
    ),
    unbound: bool = typer.Option(False, "--unbound", help="Only enterprises no chat speaks for yet."),
    out: Path = typer.Option(
        Path("invites"), "--out", "-o", metavar="DIR", help="Folder for invites.xlsx and qr/."
    ),
    days: int = typer.Option(14, "--days", min=1, max=90, help="How long the invites stay valid."),
    database: str | None = DATABASE,
) -> None:
    """Make the invites of the selected enterprises: DIR/invites.xlsx (one row per contact, or per
    enterprise without contacts on record) and DIR/qr/*.png, the QR code of each Telegram link."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.search_protocols import Selection

    settings = settings_of(ctx)
    del every  # selecting nothing selects all; the flag says so explicitly
    selection = Selection(
        tags=tuple(tag), district=district, liaison_officer_id=liaison, unbound_only=unbound
    )
    made = run_work(_make(settings, database, selection, out, timedelta(days=days)))
    typer.echo(f"xiaoer: {made} invite(s) written to {out / 'invites.xlsx'} with QR codes in {out / 'qr'}")


async def _username(settings: Settings) -> str:
    telegram = settings.channels.telegram
    if telegram.username:
        return telegram.username.lstrip("@")
    if telegram.token:
        from bot.runtime.lookups import telegram_username

        try:
            name = await telegram_username(telegram.token, telegram.api_base)
        except Exception as error:  # the network, a revoked token: said plainly, exit 2
            fail([f"xiaoer: could not ask Telegram for the bot's username ({error!r})", _USERNAME_HINT])
        if name:
            return name
    fail(["xiaoer: invites need the bot's Telegram username for their links", _USERNAME_HINT])


_USERNAME_HINT = (
    "  set channels.telegram.username (XIAOER_CHANNELS__TELEGRAM__USERNAME), or a token "
    "(channels.telegram.token) so that it is asked of Telegram"
)


async def _make(
    settings: Settings, database: str | None, selection: Selection, out: Path, valid: timedelta
) -> int:
    from bot.bootstrap import build_app
    from handlers.binding import new_code
    from storage.search_protocols import NewInvite

    telegram = settings.channels.telegram
    start_link = telegram.model_copy(update={"username": await _username(settings)}).start_link_maker()
    assert start_link is not None  # a username makes links
    app = await build_app(settings, database, load_nlu=False)
    try:
        liaison = selection.liaison_officer_id
        if liaison is not None and liaison not in app.deps.directory.officers:
            fail([f"xiaoer: --liaison {liaison}: no such officer in the organisation"])
        now = datetime.now(UTC)
        async with app.storage() as uow:
            roster = await uow.onboarding.roster(selection)
        if not roster:
            fail(["xiaoer: no enterprise matches the selection; nothing was made"])
        with writing(out / "qr", "another --out", directory=True):  # before any invite is made
            (out / "qr").mkdir(parents=True, exist_ok=True)
        # the sheet's place too: it is the only place the codes are handed out, so one it cannot
        # take leaves no invite made that nobody was given
        with writing(out / "invites.xlsx", "another --out") as sheet:  # whole, or the old one kept
            made = [
                MadeInvite(entry, code, start_link(code), _qr_name(entry, code))
                for entry in roster
                for code in [new_code()]
            ]
            with _undone_on_failure(out / "qr", made):
                with progress_bar() as progress:
                    task = progress.add_task("invites", total=len(made))
                    for invite in made:
                        with writing(out / "qr" / invite.qr_file, "another --out") as qr:
                            _write_qr(invite.link, qr)
                        progress.advance(task)
                _write_sheet(sheet, made, settings, app.deps.directory, now + valid)
                # the invites are stored last, all in one transaction (a few seconds of the
                # writer at most, not the minutes the QR codes may take): a QR code or a sheet
                # that cannot be written leaves no invite made that nobody was given
                async with app.storage() as uow:
                    for start in range(0, len(made), CHUNK):
                        await uow.onboarding.create_invites(
                            [
                                NewInvite(m.code, m.entry.enterprise.id, m.entry.contact_name, m.entry.phone)
                                for m in made[start : start + CHUNK]
                            ],
                            "cli",
                            now,
                            now + valid,
                        )
                    await uow.commit()
        return len(made)
    finally:
        await app.close()


@contextmanager
def _undone_on_failure(folder: Path, made: list[MadeInvite]) -> Iterator[None]:
    """This run's QR codes taken away again if it fails: their codes were never stored."""
    try:
        yield
    except BaseException:
        for invite in made:
            (folder / invite.qr_file).unlink(missing_ok=True)
        raise


def _qr_name(entry: RosterEntry, code: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in entry.enterprise.id)
    return f"{safe}-{code}.png"


def _write_qr(link: str, path: Path) -> None:
    import segno  # pure Python, and only this command needs it

    segno.make(link, error="m").save(str(path), scale=6, border=2)


def _write_sheet(
    path: Path, made: list[MadeInvite], settings: Settings, directory: Directory, expires: datetime
) -> None:
    from openpyxl import Workbook

    lang = settings.language
    expires_text = expires.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t(lang, "invites_sheet.title"))
    sheet.append([t(lang, f"invites_sheet.{column}") for column in _COLUMNS])
    for invite in made:
        enterprise = invite.entry.enterprise
        officer = directory.officers.get(enterprise.liaison_officer_id or "")
        sheet.append(
            xlsx_row(  # names as the imported sheet gave them
                sheet,
                [
                    enterprise.id,
                    enterprise.name,
                    enterprise.uscc or "",
                    enterprise.district or "",
                    officer.name if officer else (enterprise.liaison_officer_id or ""),
                    invite.entry.contact_name or "",
                    invite.entry.phone or "",
                    invite.link,
                    f"/start {invite.code}",
                    invite.code,
                    expires_text,
                    f"qr/{invite.qr_file}",
                ],
            )
        )
    book.save(path)


@invites_app.command("report")
def report(ctx: typer.Context, database: str | None = DATABASE) -> None:
    """Enterprises bound (a chat speaks for them) and not, per liaison officer and department."""
    settings = settings_of(ctx)
    typer.echo(run_work(_report(settings, database)))


async def _report(settings: Settings, database: str | None) -> str:
    from bot.bootstrap import build_app
    from handlers.onboarding import coverage_text, read_coverage

    app = await build_app(settings, database, load_nlu=False)
    try:
        coverage = await read_coverage(app.deps, datetime.now(UTC))
        return coverage_text(coverage, settings.language, app.deps.directory)
    finally:
        await app.close()


def register(app: typer.Typer) -> None:
    app.add_typer(invites_app, name="invites")
