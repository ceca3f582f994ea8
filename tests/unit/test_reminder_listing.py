"""A recipient's message lists its lines as a plain sort would, though the lines are ranked page
by page as the sweep goes (handlers/reminders._Inbox): the DETAILED most overdue spelled out, the
rest counted by line and by ticket, the first REFS_LISTED of those tickets named in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.escalation import Level, Nudge
from bot.domain.sla import LimitKind
from handlers import reminders
from handlers.reminders import _by_urgency, _Inbox, _Line

DUE = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LEVELS = (Level.WARN, Level.REMIND, Level.SUPERVISE)  # the levels a recipient gets lines at


def _line(ticket: int, level: Level, minutes: int) -> _Line:
    return _Line(Nudge(ticket, LimitKind.RESOLVE, DUE, level, 0, timedelta(minutes=minutes)))


# Tickets in order, each with a line at some of the levels; lefts from a narrow range, so that
# ties (the same ticket at two levels, or two tickets) are common.
_tickets = st.lists(
    st.lists(
        st.tuples(st.sampled_from(LEVELS), st.integers(-30, 5)),
        min_size=1,
        max_size=3,
        unique_by=lambda p: p[0],
    ),
    min_size=1,
    max_size=400,
)


@settings(max_examples=150, deadline=None)
@given(tickets=_tickets, page_size=st.integers(1, 60))
# a backlog whose tickets each have a line at every level, all as overdue: the rest's first
# hundred lines name a third as many tickets, so more than those must be kept ranked
@example(tickets=[[(level, -10) for level in LEVELS]] * 300, page_size=7)
def test_a_listing_ranked_page_by_page_is_the_plain_sorts(
    tickets: list[list[tuple[Level, int]]], page_size: int
) -> None:
    lines = [_line(number, level, left) for number, found in enumerate(tickets, 1) for level, left in found]
    inbox = _Inbox()
    for start in range(0, len(tickets), page_size):  # a page: some tickets, each wholly on it
        on_page = range(start + 1, start + page_size + 1)
        for line in lines:
            if line.nudge.ticket in on_page:
                inbox.add(line)
        inbox.rank()
    listing = inbox.listing()

    assert listing.lines == lines
    numbers = {line.nudge.ticket for line in lines}
    assert listing.tickets == len(numbers)
    if len(numbers) == 1:
        assert listing.listed == lines
        assert listing.rest_lines == 0
        return
    ordered = sorted(lines, key=_by_urgency)
    listed, rest = ordered[: reminders.DETAILED], ordered[reminders.DETAILED :]
    assert listing.listed == listed
    assert listing.rest_lines == len(rest)
    rest_numbers = list(dict.fromkeys(line.nudge.ticket for line in rest))
    assert listing.rest_tickets == len(rest_numbers)
    named = list(dict.fromkeys(line.nudge.ticket for line in listing.rest))[: reminders.REFS_LISTED]
    assert named == rest_numbers[: reminders.REFS_LISTED]
