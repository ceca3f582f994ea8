"""A console session lasts the working day, over HTTP on a driven clock: signed in on a make-up
Saturday (调休上班, a working day by the configured calendar: `official_holidays: CN`) it holds
until the close and is refused, audited, from 18:00; signed in on a public holiday it lasts
`web.session_hours`. The cookie's lifetime says the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.webconsole.access import SESSION_COOKIE
from tests.webconsole.console_run import OFFICER, ConsoleRun, DrivenClock, console_running
from tests.webconsole.test_console_http import audit_actions, with_session

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAKE_UP_SATURDAY = date(2026, 10, 10)  # worked in exchange for a National Day holiday
NATIONAL_DAY = date(2026, 10, 2)  # a Friday off


def office(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))


@pytest.fixture
def clock() -> DrivenClock:
    return DrivenClock(office(MAKE_UP_SATURDAY, 10))


@pytest.fixture
async def console(tmp_path: Path, clock: DrivenClock) -> AsyncIterator[ConsoleRun]:
    async with console_running(tmp_path, clock=clock) as run:
        yield run


async def signed_in(http: aiohttp.ClientSession, console: ConsoleRun) -> tuple[str, int]:
    """The session cookie's value and its Max-Age."""
    link = await console.link(OFFICER)
    async with http.post(
        link.split("?")[0], data={"token": link.split("token=")[1]}, allow_redirects=False
    ) as answer:
        assert answer.status == 303
        cookie = answer.cookies[SESSION_COOKIE]
    return cookie.value, int(cookie["max-age"])


async def board_status(http: aiohttp.ClientSession, console: ConsoleRun, session: str) -> int:
    async with http.get(f"{console.base}/console/", headers=with_session(session)) as board:
        return board.status


async def test_a_session_opened_on_a_working_day_ends_at_its_close(
    console: ConsoleRun, clock: DrivenClock
) -> None:
    async with aiohttp.ClientSession() as http:
        session, max_age = await signed_in(http, console)
        assert max_age == 8 * 3600  # 10:00 to 18:00
        clock.now = office(MAKE_UP_SATURDAY, 17, 59)
        assert await board_status(http, console, session) == 200
        clock.now = office(MAKE_UP_SATURDAY, 18)
        assert await board_status(http, console, session) == 401
    assert ("wu_bin", "session_refused", None, "expired") in await audit_actions(console)


async def test_a_session_opened_on_a_holiday_lasts_the_configured_hours(
    console: ConsoleRun, clock: DrivenClock
) -> None:
    clock.now = office(NATIONAL_DAY, 10)
    async with aiohttp.ClientSession() as http:
        session, max_age = await signed_in(http, console)
        assert max_age == 9 * 3600  # web.session_hours
        clock.now = office(NATIONAL_DAY, 18, 30)  # past a working day's close: still in force
        assert await board_status(http, console, session) == 200
        clock.now += timedelta(minutes=30)
        assert await board_status(http, console, session) == 401
