"""Reminders: the sweep over tickets' running limits, and the morning digests.

The sweep runs every few minutes (bot.scheduler) and only in working hours: a limit that passes
at night is nudged about the next working morning. It reads only the tickets whose check time
has come (an index on it), works out what is due with the escalation ladder, claims each nudge in
the ledger — so two instances running the same sweep send it once — and returns the messages:
warnings and reminders (催办) to whoever holds the ticket, supervision (督办) to the head of the
department; tickets overdue further are put on the leadership's list for their digest.

Each recipient gets one message per sweep: about one ticket as before, about several as a list,
the most overdue first. A backlog (a Monday morning after a long holiday, say) would otherwise
be thousands of messages, more than an officer can read or Telegram lets through in an hour;
past `DETAILED` lines the list ends with how many more there are and where to see them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

from bot.domain.escalation import (
    Clock,
    ClockedTicket,
    DueTicket,
    Level,
    Nudge,
    NudgeKey,
    SentReminder,
    most_pressing,
    plan,
    reminders_before,
)
from bot.domain.messages import Recipient, Reply, ToDepartment, ToOfficer
from bot.domain.org import Officer
from bot.domain.sla import LimitKind
from bot.domain.tickets import Status, Ticket, TicketGist
from bot.i18n import t
from handlers import onboarding, render
from handlers.campaigns.coverage import campaign_reminders
from handlers.deps import Deps
from handlers.sweep_pages import CHUNK, PlannedPage, meanwhile, planned, together, written
from storage.protocols import UnitOfWork

PAGE = 2000  # tickets per unit of work: a sweep over many due tickets commits as it goes
# The first page is planned with nothing else to do (the pages after it are planned while the
# database writes the one before): a quarter of a page starts the database's work sooner.
FIRST_PAGE_SHARE = 4
DETAILED = 20  # lines a recipient's message lists in full; a Telegram message holds about that many
REFS_LISTED = 100  # tickets named by number after the detailed lines
DIGEST_READ = 500  # an officer's open tickets ranked for the morning digest (the rest are counted)


class _Line(NamedTuple):
    """One line of a recipient's message: a ticket's most overdue nudge at one level, with the
    other limits of that ticket past too (named, not repeated). A named tuple: a sweep makes one
    per ticket and level (20,000 at 10,000 due)."""

    nudge: Nudge
    also: tuple[LimitKind, ...] = ()


@dataclass
class SweepResult:
    replies: list[Reply] = field(default_factory=list)
    reported: list[int] = field(default_factory=list)  # tickets put on the leadership's list now
    looked_at: int = 0
    held_until: datetime | None = None  # outside working hours: nothing is sent before then


async def sweep(deps: Deps, now: datetime | None = None, *, dry_run: bool = False) -> SweepResult:
    """One pass over the tickets due a look. A dry run says what would be sent and changes
    nothing: no claims, no check times moved."""
    now = now or deps.clock()
    calendar = deps.sla.calendar
    if not calendar.is_working_time(now):
        return SweepResult(held_until=calendar.next_working_moment(now))
    result = SweepResult()
    collected = _Collected(deps, result)
    page: PlannedPage | None = None
    asked = max(PAGE // FIRST_PAGE_SHARE, 1)
    earlier: Callable[[], None] = _nothing  # the page before's nudges, collected while this one is written
    while True:
        async with deps.storage() as uow:
            if page is None:
                due = await uow.reminders.due(now, None, asked)
                if len(due) < asked:  # the whole sweep is this page: the steady sweep
                    return await _one_page(uow, due, now, deps, dry_run=dry_run)
                page = await planned(due, now, calendar, deps.ladder)
            following = []
            if len(page.due) == asked:  # read before this page's writes: the connection is free
                following = await uow.reminders.due(now, page.after(), PAGE)
            # while the database writes this page: the page before collected, the next one planned
            wrote, upcoming = await together(
                written(uow, page, now, dry_run=dry_run),
                meanwhile(earlier, following, now, calendar, deps.ladder),
            )
            result.looked_at += len(page.due)
            earlier = partial(collected.add, page, wrote)
            if upcoming is not None:
                if not dry_run:
                    await uow.commit()
                page, asked = upcoming, PAGE
                continue
            # The last page: the messages, naming their tickets as they are now (read in this
            # transaction, so that its claims stand only if its messages are made), written while
            # the commit is on its way (the database's flush to disk)
            earlier()
            lines = _Lines.of(collected)
            described = {
                gist.number: gist for gist in await uow.reminders.described([n.ticket for n in lines.listed])
            }
            counts = await uow.reminders.earlier_reminders(lines.again)
            made = _messages(
                lines.listings, _Told(described, dict(zip(lines.again, counts, strict=True))), deps
            )
            if dry_run:
                result.replies = await made
            else:
                _, result.replies = await together(uow.commit(), made)
        return result


async def _one_page(
    uow: UnitOfWork, due: list[DueTicket], now: datetime, deps: Deps, *, dry_run: bool
) -> SweepResult:
    """A sweep whose due tickets are one page (the steady sweep, every few minutes), made so that
    the process and the database never wait for each other:
    - its tickets and the reminders sent about them before are read while the page is planned
      (one statement, planned for its numbers without statements of its own: see
      storage/reminders_sql.FOR_MESSAGES_PG; the plan looks at the event loop more often, so that
      its answer is taken as it comes rather than after the plan);
    - its messages are made while its claim runs, as if every nudge were won, which it is unless
      another instance claimed some first: then they are made again from what this one won.
    All in one transaction, committed once the messages are made, so its claims stand only if its
    messages do. A longer sweep reads only what its messages spell out, once its pages are in."""
    (gists, sent), page = await together(
        uow.reminders.for_messages([ticket.number for ticket in due]),
        planned(due, now, deps.sla.calendar, deps.ladder, chunk=_EARLY_CHUNK),
    )
    read = _ReadEarly({gist.number: gist for gist in gists}, sent)
    every = [True] * len(page.keys)
    wrote, (result, replies) = await together(
        written(uow, page, now, dry_run=dry_run), _said(page, every, read, deps)
    )
    if wrote != every:
        result, replies = await _said(page, wrote, read, deps)
    if not dry_run:
        await uow.commit()
    result.looked_at, result.replies = len(page.due), replies
    return result


async def _said(
    page: PlannedPage, won: list[bool], read: _ReadEarly, deps: Deps
) -> tuple[SweepResult, list[Reply]]:
    """What a sweep of one page says of the nudges it won (and who is put on the leadership's
    list)."""
    result = SweepResult()
    collected = _Collected(deps, result)
    collected.add(page, won)
    lines = _Lines.of(collected)
    counts = reminders_before(lines.again, read.sent)
    told = _Told(read.tickets, dict(zip(lines.again, counts, strict=True)))
    return result, await _messages(lines.listings, told, deps)


class _ReadEarly(NamedTuple):
    """A sweep of one page: its tickets, and the reminders sent about them before, as read while
    the page was planned (in its transaction, before its claim)."""

    tickets: dict[int, TicketGist]
    sent: list[SentReminder]


# Tickets planned between two looks at the event loop while a sweep of one page reads early.
_EARLY_CHUNK = max(CHUNK // 5, 1)


class _Lines(NamedTuple):
    """Each recipient's lines of a sweep, the lines spelled out, and of those the reminders that
    repeat one: a reminder's number counts those due; how many were really sent, the ledger says
    (asked only of the lines spelled out: the rest are named by number alone)."""

    listings: dict[Recipient, _Listing]
    listed: list[Nudge]
    again: list[NudgeKey]

    @classmethod
    def of(cls, collected: _Collected) -> _Lines:
        listings = {to: inbox.listing() for to, inbox in collected.inboxes.items()}
        listed = [line.nudge for listing in listings.values() for line in listing.listed]
        again = [nudge.key for nudge in listed if nudge.level is Level.REMIND and nudge.repeat > 0]
        return cls(listings, listed, again)


class _Told(NamedTuple):
    """What the messages say of their lines: each ticket as it is now, and for each reminder that
    repeats one, how many reminders about its limit earlier sweeps really sent (the ladder's rung
    counts the ones due, sent or not)."""

    tickets: dict[int, TicketGist]
    sent_before: dict[NudgeKey, int]


async def _messages(listings: dict[Recipient, _Listing], told: _Told, deps: Deps) -> list[Reply]:
    messages = (_message(to, listing, told, deps) for to, listing in listings.items())
    return [message for message in messages if message is not None]


def _nothing() -> None:
    return None


class _Collected:
    """The nudges this sweep won, page by page: a line per ticket and level in its recipient's
    message (in the pages' order), and the tickets put on the leadership's list."""

    def __init__(self, deps: Deps, result: SweepResult) -> None:
        self._recipients = _Recipients(deps)
        self._result = result
        self.inboxes: dict[Recipient, _Inbox] = {}

    def add(self, page: PlannedPage, won: list[bool]) -> None:
        """A written page's nudges, ticket by ticket (a ticket's nudges are together on its page)."""
        ticket: ClockedTicket | None = None
        found: dict[Level, list[Nudge]] = {}  # the ticket's nudges won, by level
        for (due, nudge), ours in zip(page.found, won, strict=True):
            if not ours:
                continue
            if due is not ticket:
                if ticket is not None:
                    self._add_ticket(ticket, found)
                ticket, found = due, {}
            found.setdefault(nudge.level, []).append(nudge)
        if ticket is not None:
            self._add_ticket(ticket, found)
        for inbox in self.inboxes.values():
            inbox.rank()

    def _add_ticket(self, ticket: ClockedTicket, found: dict[Level, list[Nudge]]) -> None:
        if Level.LEADERSHIP in found:
            self._result.reported.append(ticket.number or 0)
        for level, nudges in found.items():
            recipient = self._recipients.of(ticket, level)
            if recipient is not None:
                inbox = self.inboxes.get(recipient)
                if inbox is None:
                    inbox = self.inboxes[recipient] = _Inbox()
                inbox.add(_line_of(nudges))


# The lines kept ranked for a message: those spelled out, then enough of the rest to name
# REFS_LISTED tickets (a ticket has one line at most per level).
_RANKED = DETAILED + len(Level) * REFS_LISTED


class _Listing(NamedTuple):
    """What a recipient's message says: the lines spelled out, and of the rest the first few
    (most overdue first), how many lines and how many tickets in all."""

    lines: list[_Line]  # all of them, in the pages' order
    listed: list[_Line]
    rest: list[_Line]
    rest_lines: int
    rest_tickets: int
    tickets: int


class _Inbox:
    """A recipient's lines of this sweep, as the pages come: all of them, how many about each
    ticket, and the most overdue, ranked page by page while the next page is written, so that
    the message needs no sort of a backlog's thousands of lines once the last page is in."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []
        self._per_ticket: dict[int, int] = {}
        self._ranked: list[_Line] = []
        self._unranked: list[_Line] = []

    def add(self, line: _Line) -> None:
        self.lines.append(line)
        number = line.nudge.ticket
        self._per_ticket[number] = self._per_ticket.get(number, 0) + 1
        self._unranked.append(line)

    def rank(self) -> None:
        """The most overdue lines so far (`sorted(...)[:n]`: ties stay in the pages' order)."""
        if self._unranked:
            self._ranked = heapq.nsmallest(_RANKED, [*self._ranked, *self._unranked], key=_by_urgency)
            self._unranked = []

    def listing(self) -> _Listing:
        """About one ticket, all its lines in order; else the `DETAILED` most overdue spelled out,
        and the rest only counted, the first of them named by number (see _more)."""
        if len(self._per_ticket) == 1:
            return _Listing(self.lines, self.lines, [], 0, 0, 1)
        self.rank()
        listed, rest = self._ranked[:DETAILED], self._ranked[DETAILED:]
        spelled_out: dict[int, int] = {}
        for line in listed:
            spelled_out[line.nudge.ticket] = spelled_out.get(line.nudge.ticket, 0) + 1
        whole = sum(1 for number, count in spelled_out.items() if self._per_ticket[number] == count)
        tickets = len(self._per_ticket)
        return _Listing(self.lines, listed, rest, len(self.lines) - len(listed), tickets - whole, tickets)


class _Recipients:
    """Who is told of a nudge, worked out once per kind of ticket and level in a sweep (a sweep
    may find thousands of nudges, for a few departments and officers)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._known: dict[tuple[str | None, str | None, bool, Level], Recipient | None] = {}

    def of(self, ticket: ClockedTicket, level: Level) -> Recipient | None:
        key = (ticket.department_id, ticket.assignee_id, ticket.status is Status.RETURNED, level)
        if key not in self._known:
            self._known[key] = _recipient(ticket, level, self._deps)
        return self._known[key]


def _line_of(nudges: list[Nudge]) -> _Line:
    """A ticket's line at one level: its most overdue limit, naming the others past too."""
    if len(nudges) == 1:  # one limit past: most tickets
        return _Line(nudges[0])
    ordered = sorted(nudges, key=lambda nudge: (nudge.left, nudge.due_at))
    also = tuple(nudge.kind for nudge in sorted(ordered[1:], key=lambda nudge: nudge.due_at))
    return _Line(ordered[0], also)


def _by_urgency(line: _Line) -> tuple[timedelta, int]:
    return line.nudge.left, line.nudge.ticket


def _message(recipient: Recipient, listing: _Listing, told: _Told, deps: Deps) -> Reply | None:
    """The recipient's message of this sweep: each line listed. About one ticket it is just its
    lines (and a reply to it is about that ticket); about several, a list, most overdue first,
    ending with how many more there are."""
    lang = _lang(recipient, deps)
    texts = [
        _line(
            told.tickets[line.nudge.ticket],
            line,
            told.sent_before.get(line.nudge.key, 0) if told.sent_before else 0,
            lang,
            deps,
            recipient,
        )
        for line in listing.listed
        if line.nudge.ticket in told.tickets
    ]
    if not texts:  # its tickets could not be read back (none is ever deleted): nothing to say
        return None
    if listing.tickets == 1:
        return Reply("\n".join(texts), to=recipient, ticket=listing.lines[0].nudge.ticket)
    header = t(lang, "reminder.batch", count=listing.tickets)
    more = [_more(listing, lang)] if listing.rest_lines else []
    return Reply("\n".join([header, *texts, *more]), to=recipient)


def _more(listing: _Listing, lang: str) -> str:
    """The lines not spelled out, by their tickets' numbers (the first REFS_LISTED of them, most
    overdue first): claimed now, so this message is the only place they are named."""
    numbers = list(dict.fromkeys(line.nudge.ticket for line in listing.rest))[:REFS_LISTED]
    refs = t(lang, "reminder.refs_joiner").join(f"#{number}" for number in numbers)
    if listing.rest_tickets > REFS_LISTED:
        refs += t(lang, "reminder.refs_more", count=listing.rest_tickets)
    return t(lang, "reminder.batch_more", count=listing.rest_lines, refs=refs)


def _recipient(ticket: ClockedTicket, level: Level, deps: Deps) -> Recipient | None:
    if level is Level.LEADERSHIP:
        return None  # reported in the leadership digest, not one by one
    department = deps.directory.departments.get(ticket.department_id or "")
    if ticket.status is Status.RETURNED:  # sent back: the hub that re-dispatches must act, not the sender
        department = deps.directory.departments.get(deps.directory.lead_department("other"))
    if level is Level.SUPERVISE and department is not None and department.head_officer_id:
        return ToOfficer(department.head_officer_id)
    if level is not Level.SUPERVISE and ticket.assignee_id is not None:
        return ToOfficer(ticket.assignee_id)
    return ToDepartment(department.id) if department is not None else None


def _lang(recipient: Recipient, deps: Deps) -> str:
    if isinstance(recipient, ToOfficer):
        officer = deps.directory.officers.get(recipient.officer_id)
        return officer.lang if officer is not None else deps.default_lang
    if isinstance(recipient, ToDepartment):
        return deps.directory.group_lang(recipient.department_id)
    return deps.default_lang


def _line(
    ticket: TicketGist, line: _Line, sent_before: int, lang: str, deps: Deps, recipient: Recipient
) -> str:
    nudge = line.nudge
    common = {
        "ref": ticket.ref,
        "excerpt": _excerpt(ticket, for_group=isinstance(recipient, ToDepartment)),
        "limit": render.limit_kind_name(nudge.kind, lang),
        "due": render.when(nudge.due_at, lang, deps),
    }
    overdue = render.working_duration(-nudge.left, lang, deps)
    if nudge.level is Level.WARN:
        text = t(lang, "reminder.warn", state=render.time_state(nudge.left, lang, deps), **common)
    elif nudge.level is Level.REMIND and sent_before == 0:
        text = t(lang, "reminder.remind", duration=overdue, **common)
    elif nudge.level is Level.REMIND:
        text = t(lang, "reminder.remind_again", count=sent_before + 1, duration=overdue, **common)
    else:
        handler = render.officer_name(ticket.assignee_id, lang, deps.directory)
        text = t(lang, "reminder.supervise", handler=handler, duration=overdue, **common)
    if not line.also:
        return text
    names = t(lang, "reminder.limits_joiner").join(render.limit_kind_name(kind, lang) for kind in line.also)
    key = "reminder.also_warned" if nudge.level is Level.WARN else "reminder.also_overdue"
    return text + t(lang, key, limits=names)


def _excerpt(ticket: Ticket | TicketGist, *, for_group: bool) -> str:
    if ticket.confidential:
        return "🔒"
    return render.excerpt(render.mask_private(ticket.text) if for_group else ticket.text)


# --- the morning digests ------------------------------------------------------------------------


async def daily_digest(deps: Deps, now: datetime | None = None, *, dry_run: bool = False) -> list[Reply]:
    """Each working morning: every officer's open tickets, the most pressing first; and for the
    leadership, the tickets overdue past the last rung. Each digest goes out once a day, however
    many instances run the job."""
    now = now or deps.clock()
    calendar = deps.sla.calendar
    day = now.astimezone(calendar.timezone).date()
    if not calendar.is_working_day(day):
        return []
    replies: list[Reply] = []
    for officer in deps.directory.officers.values():
        async with deps.storage() as uow:
            # answered tickets wait for the enterprise: no limit runs, nothing to rank them by
            tickets = await uow.tickets.queue(officer.id, officer.department_id, DIGEST_READ, unanswered=True)
            unread = 0
            if len(tickets) == DIGEST_READ:
                size = await uow.tickets.queue_size(officer.id, officer.department_id, unanswered=True)
                unread = max(size - DIGEST_READ, 0)
            text = _officer_digest(officer, tickets, unread, now, deps)
            if text is None or not (
                dry_run or await uow.reminders.claim_digest("officer", officer.id, day, now)
            ):
                continue
            await uow.commit()
        replies.append(Reply(text, to=ToOfficer(officer.id)))
    replies += await onboarding.unbound_reminders(deps, now, dry_run=dry_run)
    replies += await campaign_reminders(deps, now, dry_run=dry_run)  # visits left near a campaign's end
    if not deps.directory.leaders:
        return replies
    async with deps.storage() as uow:
        reported = await uow.reminders.reported()
    for leader_id in deps.directory.leaders:
        leader = deps.directory.officers.get(leader_id)
        if leader is None:
            continue
        text = _leaders_digest(reported, leader.lang, now, deps)
        if text is None:
            continue
        async with deps.storage() as uow:
            if not (dry_run or await uow.reminders.claim_digest("leaders", leader.id, day, now)):
                continue
            await uow.commit()
        replies.append(Reply(text, to=ToOfficer(leader.id)))
    return replies


def _officer_digest(
    officer: Officer, tickets: list[Ticket], unread: int, now: datetime, deps: Deps
) -> str | None:
    """The officer's open tickets with a running limit (or waiting for the enterprise), the most
    pressing first: `DETAILED` of them in full, then how many more (`unread`: queued tickets
    beyond those read, counted but not ranked)."""
    lang = officer.lang
    ranked: list[tuple[timedelta, int, str]] = []
    for ticket in tickets:
        urgent = t(lang, "ticket.urgent_mark") if ticket.urgent else ""
        excerpt = _excerpt(ticket, for_group=False)
        pressing = most_pressing(ticket, now, deps.sla.calendar)
        if pressing is not None:
            clock, left = pressing
            line = t(
                lang,
                "reminder.digest_line",
                ref=ticket.ref,
                urgent=urgent,
                limit=render.limit_name(clock, lang),
                state=render.time_state(left, lang, deps),
                excerpt=excerpt,
            )
            ranked.append((left, ticket.number or 0, line))
        elif ticket.paused_at is not None:  # waiting for the enterprise: listed last
            line = t(
                lang,
                "reminder.digest_paused_line",
                ref=ticket.ref,
                urgent=urgent,
                state=t(lang, "reminder.paused"),
                excerpt=excerpt,
            )
            ranked.append((timedelta.max, ticket.number or 0, line))
    if not ranked:
        return None
    lines = [line for _, _, line in sorted(ranked)[:DETAILED]]
    count = len(ranked) + unread
    if count > len(lines):
        lines.append(t(lang, "reminder.batch_more_tickets", count=count - len(lines)))
    return t(lang, "reminder.digest", name=officer.name, count=count, lines="\n".join(lines))


def _leaders_digest(tickets: list[Ticket], lang: str, now: datetime, deps: Deps) -> str | None:
    """The reported tickets still overdue past the last rung (an extension may have saved some)."""
    lines: list[tuple[timedelta, str]] = []
    for ticket in tickets:
        current = plan(ticket, now, deps.sla.calendar, deps.ladder)
        worst = [n for n in current.nudges if n.level is Level.LEADERSHIP]
        if not worst:
            continue
        nudge = min(worst, key=lambda n: n.left)
        clock = Clock(nudge.kind, ticket.created_at, nudge.due_at)
        handler = render.officer_name(ticket.assignee_id, lang, deps.directory)
        department = render.department_name(ticket.department_id, lang, deps.directory)
        lines.append(
            (
                nudge.left,
                t(
                    lang,
                    "reminder.leaders_line",
                    ref=ticket.ref,
                    handler=f"{department} · {handler}",
                    limit=render.limit_name(clock, lang),
                    duration=render.working_duration(-nudge.left, lang, deps),
                    excerpt=_excerpt(ticket, for_group=False),
                ),
            )
        )
    if not lines:
        return None
    ordered = [line for _, line in sorted(lines, key=lambda pair: pair[0])]
    return t(lang, "reminder.leaders", count=len(ordered), lines="\n".join(ordered))
