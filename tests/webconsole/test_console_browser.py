"""The web console in a real browser: Debian's Chromium (the `chromium` package; .ci/run installs
it) driven by Playwright's Python client with `executable_path`, never a downloaded browser.
Sign in with the link the fake Bot API received, find a ticket by the company's name, assign it,
the assignee signs for it and the enterprise hears of it in the fake Bot API; a head approves an
extension, an officer's attempt at the same decision is refused; the board filtered by a campaign
and the enterprise's visits. Screenshots of the board (with the campaign filter), the figures and
an enterprise go to tests/artifacts/ (ignored by git)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import in_ci
from tests.webconsole.console_run import (
    DISPATCHER,
    ENTREPRENEUR,
    HEAD,
    OFFICER,
    ConsoleRun,
    console_running,
)
from tests.webconsole.test_console_campaigns import record_visit

CHROMIUM = os.environ.get("XIAOER_CHROMIUM", "/usr/bin/chromium")
INSTALLED = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

if TYPE_CHECKING := False:
    from playwright.async_api import Browser, Page


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not INSTALLED:
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if in_ci():
            pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleRun]:
    async with console_running(tmp_path) as run:
        yield run


async def signed_in(browser: Browser, console: ConsoleRun, officer: int, width: int = 1280) -> Page:
    """A window of its own (the officer's browser) signed in through the link /web brought,
    on the board."""
    context = await browser.new_context(viewport={"width": width, "height": 900 if width > 640 else 844})
    page = await context.new_page()
    await page.goto(await console.link(officer))
    await page.click("#sign-in")
    await page.wait_for_url(f"{console.base}/console/")
    return page


async def test_sign_in_find_assign_and_decide_extensions(console: ConsoleRun, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    api = console.api
    await console.demand()

    # the head signs in through the link from the fake Bot API, on a phone-sized window
    head = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await head.new_page()
    await page.goto(await console.link(HEAD))
    await page.click("#sign-in")
    await page.wait_for_url(f"{console.base}/console/")
    assert "在办工单 1 件" in await page.inner_text("main")
    await page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)

    # find the ticket by the company's name, open it, assign it to wu_bin
    await page.fill("input[name=q]", "海悦")
    await page.click(".filters button[type=submit]")
    await page.click(".found a[href='/console/tickets/1']")
    await page.wait_for_url(re.compile(r".*/console/tickets/1$"))
    await page.select_option("#action-assign select[name=officer]", "wu_bin")
    await page.click("#action-assign button")
    await page.wait_for_selector(".outcome")
    assert "吴斌" in await page.inner_text(".outcome")
    await api.wait_text(OFFICER, "#1")  # the assignee is told in chat, as after /assign

    # the assignee signs in and signs for it: the enterprise hears of it through the fake Bot API
    officer = await browser.new_context()
    officer_page = await officer.new_page()
    await officer_page.goto(await console.link(OFFICER))
    await officer_page.click("#sign-in")
    await officer_page.goto(f"{console.base}/console/tickets/1")
    await officer_page.click("#action-take button")
    await officer_page.wait_for_selector(".outcome")
    told = await api.wait_text(ENTREPRENEUR, "吴斌")
    assert "#1" in told.text
    assert "13800001234" in await officer_page.inner_text(".conversation")  # the assignee sees it whole
    assert "138****1234" in await page.inner_text(".conversation")  # after a reload, the head does not
    await page.reload()
    assert "13800001234" not in await page.inner_text(".conversation")

    # an extension asked in chat: the head approves it in the console, the enterprise is told
    await api.user_sends(OFFICER, "/extend 1 3 需要银行补充审批材料")
    await api.wait_text(HEAD, "延期")
    await page.reload()
    await page.click("#action-approve button")
    await page.wait_for_selector(".outcome")
    await api.wait_text(ENTREPRENEUR, "延长")
    await page.screenshot(path=str(ARTIFACTS / "ticket.png"), full_page=True)

    # asked again: the officer has no such form, and the same decision sent from their page is refused
    await api.user_sends(OFFICER, "/extend 1 2 仍需等待")
    await api.wait_text(HEAD, "延期")
    await officer_page.reload()
    assert await officer_page.locator("#action-approve").count() == 0
    csrf = await officer_page.get_attribute("input[name=csrf]", "value")
    refused = await officer_page.request.post(
        f"{console.base}/console/tickets/1/approve", form={"csrf": csrf or ""}
    )
    assert "无权" in await refused.text() or "不能" in await refused.text(), await refused.text()
    async with console.app.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.status.value == "extension"  # still waiting for the head

    # the figures, as the head sees them
    await page.goto(f"{console.base}/console/figures")
    await page.wait_for_selector("figure.chart img")
    assert await page.locator("figure.chart img").evaluate("image => image.naturalWidth") > 0
    await page.screenshot(path=str(ARTIFACTS / "figures.png"), full_page=True)
    export = await page.request.get(f"{console.base}/console/figures.xlsx")
    assert export.ok
    assert (await export.body())[:2] == b"PK"  # a zip: an .xlsx
    await officer.close()
    await head.close()


async def test_the_board_refreshes_itself_when_a_ticket_changes(
    console: ConsoleRun, browser: Browser
) -> None:
    await console.demand()
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = await context.new_page()
    await page.goto(await console.link(HEAD))
    await page.click("#sign-in")
    await page.wait_for_url(f"{console.base}/console/")
    assert "在办工单 1 件" in await page.inner_text("main")
    await console.api.user_sends(ENTREPRENEUR, "招工难，我们急需30名熟练技术工人，新生产线下月投产")
    await console.api.wait_text(ENTREPRENEUR, "#2")
    # nobody touches the page: it polls /console/board.json (every 2 s here) and reloads
    # (a selector, not a script: the page's Content-Security-Policy forbids evaluating strings)
    await page.wait_for_selector("a[href='/console/tickets/2']", timeout=15_000)
    assert "在办工单 2 件" in await page.inner_text("main")
    await page.screenshot(path=str(ARTIFACTS / "board-phone.png"), full_page=True)
    await context.close()


async def test_the_board_filtered_by_campaign_and_the_enterprises_visits(
    console: ConsoleRun, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await console.demand()  # ticket #1, filed by haiyue itself
    enterprise = await record_visit(console)  # ticket #2, from a visit of campaign C1
    page = await signed_in(browser, console, DISPATCHER)
    assert "在办工单 2 件" in await page.inner_text("main")

    # the campaign chosen in the filter form, as a dispatcher would
    await page.select_option(".filters select[name=campaign]", "1")
    await page.click(".filters button[type=submit]")
    await page.wait_for_url(re.compile(r".*campaign=1.*"))
    assert "在办工单 1 件" in await page.inner_text("main")
    assert await page.locator("a[href='/console/tickets/2']").count() > 0
    assert await page.locator("a[href='/console/tickets/1']").count() == 0
    await page.screenshot(path=str(ARTIFACTS / "board-campaign.png"), full_page=True)

    # the visit's enterprise, from the ticket's row
    await page.click(f"a[href='/console/enterprises/{enterprise}']")
    await page.wait_for_selector("section.visits article.visit")
    visit = await page.inner_text("section.visits")
    assert "研发投入加大" in visit
    assert "<b>张总</b>" in visit  # shown as typed, not as markup
    await page.screenshot(path=str(ARTIFACTS / "enterprise.png"), full_page=True)

    # the same on a phone
    small = await signed_in(browser, console, DISPATCHER, width=390)
    await small.goto(f"{console.base}/console/?campaign=1")
    assert "在办工单 1 件" in await small.inner_text("main")
    await small.screenshot(path=str(ARTIFACTS / "board-campaign-phone.png"), full_page=True)
    await small.goto(f"{console.base}/console/enterprises/{enterprise}")
    await small.screenshot(path=str(ARTIFACTS / "enterprise-phone.png"), full_page=True)
    await small.context.close()
    await page.context.close()
