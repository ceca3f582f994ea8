"""A NUL (%00) typed or pasted into the web console on PostgreSQL, which refuses one in any query:
a search, an enterprise's address, a form's reason or result, and the audit line quoting a refused
request's path were each a plain-text 500. The NUL is left out, as from a chat message."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from storage import migrate
from storage.engine import create_engine
from tests.webconsole.console_run import HEAD, console_running
from tests.webconsole.test_console_http import CSRF, audit_actions, sign_in, with_session


async def test_a_nul_anywhere_a_person_can_put_one_is_no_500(tmp_path: Path, postgres_database: str) -> None:
    engine = create_engine(postgres_database)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    async with console_running(tmp_path, postgres_database) as console:
        await console.demand()
        link = await console.link(HEAD)
        async with aiohttp.ClientSession() as http:
            session = await sign_in(http, link)
            headers = with_session(session)
            for path, status in [
                ("/console/?q=%E6%B5%B7%E6%82%A6%00", 200),
                ("/console/enterprises/haiyue%00", 200),
            ]:
                async with http.get(console.base + path, headers=headers) as page:
                    assert (page.status, "厦门海悦进出口贸易有限公司" in await page.text()) == (
                        status,
                        True,
                    ), path
            async with http.get(f"{console.base}/console/tickets/1", headers=headers) as page:
                match = CSRF.search(await page.text())
            assert match is not None
            form = {"csrf": match.group(1), "department": "finance_bureau\x00", "reason": "不归我办\x00"}
            async with http.post(
                f"{console.base}/console/tickets/1/transfer", data=form, headers=headers
            ) as done:
                assert done.status == 200, await done.text()
            async with http.post(
                f"{console.base}/console/%00", data={}, headers={**headers, "Origin": "https://evil.example"}
            ) as refused:
                assert refused.status == 403
        actions = await audit_actions(console)
        assert ("lin_hui", "action:transfer", 1, "finance_bureau 不归我办") in actions
        assert (None, "origin_refused", None, "https://evil.example -> /console/") in actions
        async with console.app.storage() as uow:
            ticket = await uow.tickets.get(1)
            events = await uow.events.for_ticket(1)
        assert ticket is not None
        assert ticket.department_id == "finance_bureau"
        assert "不归我办" in str(events[-1])
