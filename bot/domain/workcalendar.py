"""The working calendar: which moments count towards a time limit.

Working time is counted on the office clock (the configured time zone): the business-hour periods
of every working day. A working day is a configured weekday that is not a public holiday, or a
make-up workday (调休上班) even if it falls on a weekend. The holiday and make-up-workday sets are
given to the calendar (bot/holiday_calendar.py builds them from the `holidays` package and the
config), so this module stays pure and every rule here is testable with plain dates.

Counting between two moments is arithmetic (weeks, then the holidays and make-up days in range
found by bisection), because the reminder sweep asks it for thousands of tickets at a time.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_SECONDS = 86_400
_MICRO = 1_000_000
_ORIGIN = date(2000, 1, 1)  # where the calendar's running count of working time starts
_DAYS_CACHED = 20_000
_MOMENTS_CACHED = 8
_NOTHING = timedelta(0)
_ONE_MICROSECOND = timedelta(microseconds=1)
# How far ahead a deadline may be searched before the calendar is called broken (no working day
# for ten years means every day was configured as a holiday).
_SEARCH_LIMIT_DAYS = 3_660
# The office clock's offset from UTC by hour (UTC hours for a moment, the zone's wall-clock hours for
# a wall time), so that a UTC moment — as the database driver gives every time — is placed on the
# office clock by arithmetic: zoneinfo's conversion cost ~1-3 µs, three of them per clock a sweep
# plans. An hour in which the offset changes (a daylight-saving change) is not kept: converted.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_HOUR_MICROS = 3_600 * _MICRO
_DAY_MICROS = DAY_SECONDS * _MICRO
_HOURS_CACHED = 100_000
_VARIES = 1 << 62  # no offset is this: the hour holds a change of offset


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # Business hours of a working day, in order, e.g. 09:00-12:00 and 13:30-18:00 (lunch excluded).
    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(18)))
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[date] = frozenset()  # days off, whatever the weekday
    workdays: frozenset[date] = frozenset()  # make-up workdays: working, whatever the weekday

    _spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _day_seconds: int = field(init=False, repr=False, compare=False)
    _lost: tuple[int, ...] = field(init=False, repr=False, compare=False)  # holidays on weekdays
    _gained: tuple[int, ...] = field(init=False, repr=False, compare=False)  # workdays on days off
    # Per day (ordinal): whether it is a working day and the working days from _ORIGIN to it. The
    # sweep asks about the same few days for thousands of tickets; this makes each ask a lookup.
    _days: dict[int, tuple[bool, int]] = field(init=False, repr=False, compare=False)
    # The ordinal of the working day with so many working days from _ORIGIN before it (a
    # deadline's day, found by its count without walking the days up to it).
    _working_days: dict[int, int] = field(init=False, repr=False, compare=False)
    # The last few moments counted, by identity (the moment kept alongside, so a reused id never
    # matches another): the sweep asks about the same `now` for every ticket, in between its
    # deadlines.
    _recent: dict[int, tuple[datetime, int]] = field(init=False, repr=False, compare=False)
    # The zone's offset in microseconds by UTC hour (since 1970) and by wall-clock hour, or _VARIES.
    _offsets: dict[int, int] = field(init=False, repr=False, compare=False)
    _wall_offsets: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spans = tuple((_seconds(start), _seconds(end)) for start, end in self.periods)
        if not spans:
            raise ValueError("business hours: at least one period is needed")
        previous_end = -1
        for start, end in spans:
            if not start < end:
                raise ValueError("business hours: each period must end after it starts")
            if start < previous_end:
                raise ValueError("business hours: periods must be in order and must not overlap")
            previous_end = end
        if not self.weekdays and not self.workdays:
            raise ValueError("working days: at least one weekday must be a working day")
        if not self.weekdays <= set(range(7)):
            raise ValueError("working days: weekdays are numbered 0 (Monday) to 6 (Sunday)")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both)} is both a holiday and a make-up workday")
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(self, "_day_seconds", sum(end - start for start, end in spans))
        lost = sorted(d.toordinal() for d in self.holidays if d.weekday() in self.weekdays)
        gained = sorted(d.toordinal() for d in self.workdays if d.weekday() not in self.weekdays)
        object.__setattr__(self, "_lost", tuple(lost))
        object.__setattr__(self, "_gained", tuple(gained))
        object.__setattr__(self, "_days", {})
        object.__setattr__(self, "_working_days", {})
        object.__setattr__(self, "_recent", {})
        object.__setattr__(self, "_offsets", {})
        object.__setattr__(self, "_wall_offsets", {})

    # --- days ----------------------------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        """The working time of one working day."""
        return timedelta(seconds=self._day_seconds)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def working_days_between(self, first: date, end: date) -> int:
        """Working days in [first, end): weeks by arithmetic, holidays and make-up days by bisection."""
        if end <= first:
            return 0
        span = (end - first).days
        weeks, rest = divmod(span, 7)
        count = weeks * len(self.weekdays)
        start_weekday = first.weekday()
        count += sum(1 for i in range(rest) if (start_weekday + i) % 7 in self.weekdays)
        low, high = first.toordinal(), end.toordinal()
        count -= bisect_left(self._lost, high) - bisect_left(self._lost, low)
        count += bisect_left(self._gained, high) - bisect_left(self._gained, low)
        return count

    # --- moments -------------------------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        if not self.is_working_day(local.date()):
            return False
        second = _second_of_day(local)
        return any(start <= second < end for start, end in self._spans)

    def next_working_moment(self, moment: datetime) -> datetime:
        """The moment itself during business hours, else the next period's start."""
        local = moment.astimezone(self.timezone)
        day, second = local.date(), _second_of_day(local)
        for _ in range(_SEARCH_LIMIT_DAYS):
            if self.is_working_day(day):
                for start, end in self._spans:
                    if second < end:
                        return moment if second >= start else self._at(day, start * _MICRO, moment)
            day, second = day + timedelta(days=1), 0.0
        raise ValueError("the working calendar has no working day in the next ten years")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from start to end; negative when end is before start (time overdue)."""
        return timedelta(microseconds=self.worked(end) - self.worked(start))

    def add_working_time(self, moment: datetime, amount: timedelta) -> datetime:
        """The moment when `amount` of working time has passed since `moment` (a deadline after N
        working hours). A deadline that uses up a period exactly is that period's end (18:00,
        not 09:00 the next working day: the same working moment, said the way people say it)."""
        if amount <= _NOTHING:
            return moment
        return self._reached(self.worked(moment) + amount // _ONE_MICROSECOND, moment)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """A deadline N working days on: N whole working days of working time, so a ticket opened
        at 10:00 is due at 10:00 N working days later, and one opened at night by the end of the
        Nth working day."""
        return self.add_working_time(moment, self.day_length * days)

    def remaining(self, now: datetime, due: datetime) -> timedelta:
        """Working time left until the deadline; negative: how much working time it is overdue."""
        return self.working_time_between(now, due)

    # --- machinery -----------------------------------------------------------------------------

    def worked(self, moment: datetime) -> int:
        """Working time from the start of _ORIGIN to the moment, in microseconds: integers, so that
        the difference of two is exact (the working time between them)."""
        recent = self._recent.get(id(moment))
        if recent is not None and recent[0] is moment:  # the very object (datetimes are immutable)
            return recent[1]
        wall = self._wall_micros(moment) if moment.tzinfo is UTC else None
        if wall is not None:
            day, second = divmod(wall, _DAY_MICROS)
            ordinal = day + _EPOCH_ORDINAL
        else:
            local = moment.astimezone(self.timezone)
            ordinal = local.toordinal()
            second = (local.hour * 3600 + local.minute * 60 + local.second) * _MICRO + local.microsecond
        working, days_before = self._day_of(ordinal)
        worked = days_before * self._day_seconds * _MICRO
        if working:
            for start, end in self._spans:
                if second <= start * _MICRO:
                    break
                worked += min(second, end * _MICRO) - start * _MICRO
        if len(self._recent) >= _MOMENTS_CACHED:
            self._recent.clear()
        self._recent[id(moment)] = (moment, worked)
        return worked

    def _reached(self, worked: int, since: datetime) -> datetime:
        """The first moment after `since` at which the running count of working time is `worked`
        (more than the count at `since`): the working day it falls in — the one with `index`
        whole working days before it, whose own working time is counted from index × day to
        (index + 1) × day, the end included — then the period within it. The first moment, so a
        count that ends a period is that period's end, not the next one's start."""
        day_micros = self._day_seconds * _MICRO
        index = -(-worked // day_micros) - 1  # ceil(worked / day) - 1, negative counts too
        ordinal = self._working_days.get(index)
        if ordinal is None:
            ordinal = self._find_working_day(index, since)
        into = worked - index * day_micros  # working time into that day: (0, day]
        for start, end in self._spans:
            length = (end - start) * _MICRO
            if into <= length:
                return self._at(date.fromordinal(ordinal), start * _MICRO + into, since)
            into -= length
        raise AssertionError("a working day's count ends with its last period")  # pragma: no cover

    def _find_working_day(self, index: int, since: datetime) -> int:
        """The ordinal of the working day with `index` working days before it, found by walking the
        days' cached counts from `since` on (it is no earlier: its count is past since's), and kept
        (the sweep asks for the same few days for thousands of deadlines)."""
        wall = self._wall_micros(since) if since.tzinfo is UTC else None
        if wall is not None:
            ordinal = wall // _DAY_MICROS + _EPOCH_ORDINAL
        else:
            ordinal = since.astimezone(self.timezone).toordinal()
        for _ in range(_SEARCH_LIMIT_DAYS):
            working, days_before = self._day_of(ordinal)
            if working and days_before == index:
                if len(self._working_days) >= _DAYS_CACHED:  # bounded, as the days are
                    self._working_days.clear()
                self._working_days[index] = ordinal
                return ordinal
            ordinal += 1
        raise ValueError("the working calendar has no working day in the next ten years")

    def _day_of(self, ordinal: int) -> tuple[bool, int]:
        """Whether the day (by ordinal) is a working day, and the working days from _ORIGIN to it
        (negative before it), cached."""
        known = self._days.get(ordinal)
        if known is None:
            day = date.fromordinal(ordinal)
            if day >= _ORIGIN:
                before = self.working_days_between(_ORIGIN, day)
            else:
                before = -self.working_days_between(day, _ORIGIN)
            known = (self.is_working_day(day), before)
            if len(self._days) >= _DAYS_CACHED:  # a process running for decades stays bounded
                self._days.clear()
            self._days[ordinal] = known
        return known

    def _at(self, day: date, micros: int, like: datetime) -> datetime:
        """A moment of a local day (microseconds since its midnight) as an aware datetime in the
        zone the question was asked in."""
        if like.tzinfo is UTC:
            wall = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_MICROS + micros
            hour = wall // _HOUR_MICROS
            offset = self._wall_offsets.get(hour)
            if offset is None:
                offset = self._wall_offset(hour)
            if offset != _VARIES:
                return _EPOCH + timedelta(microseconds=wall - offset)
        local = datetime.combine(day, time(), tzinfo=self.timezone) + timedelta(microseconds=micros)
        return local.astimezone(like.tzinfo)

    def _wall_micros(self, moment: datetime) -> int | None:
        """A UTC moment on the office clock: microseconds from 1970-01-01 00:00 of its wall clock
        (what `astimezone` would give, by arithmetic); None in an hour when the offset changes."""
        since = moment - _EPOCH  # both UTC: no offset asked
        utc = (since.days * DAY_SECONDS + since.seconds) * _MICRO + since.microseconds
        hour = utc // _HOUR_MICROS
        offset = self._offsets.get(hour)
        if offset is None:
            start = _EPOCH + timedelta(microseconds=hour * _HOUR_MICROS)
            offset = self._offset_over(start, start + timedelta(microseconds=_HOUR_MICROS - 1))
            self._remember(self._offsets, hour, offset)
        return None if offset == _VARIES else utc + offset

    def _wall_offset(self, hour: int) -> int:
        """The offset of the wall-clock hour (since 1970-01-01 00:00 local), as `astimezone` takes
        it for a wall time (fold 0), or _VARIES when a change falls in it (a gap, or twice over)."""
        start = datetime(1970, 1, 1) + timedelta(microseconds=hour * _HOUR_MICROS)
        end = start + timedelta(microseconds=_HOUR_MICROS - 1)
        offsets = {
            self.timezone.utcoffset(moment.replace(fold=fold)) for moment in (start, end) for fold in (0, 1)
        }
        only = next(iter(offsets)) if len(offsets) == 1 else None
        found = only // _ONE_MICROSECOND if only is not None else _VARIES
        self._remember(self._wall_offsets, hour, found)
        return found

    def _offset_over(self, start: datetime, end: datetime) -> int:
        """The zone's offset from UTC from start to end (UTC), or _VARIES when it changes between."""
        first, last = start.astimezone(self.timezone).utcoffset(), end.astimezone(self.timezone).utcoffset()
        if first is None or first != last:
            return _VARIES
        return first // _ONE_MICROSECOND

    @staticmethod
    def _remember(cache: dict[int, int], hour: int, offset: int) -> None:
        if len(cache) >= _HOURS_CACHED:  # bounded, as the days are
            cache.clear()
        cache[hour] = offset


def _second_of_day(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1_000_000
