"""Reports in chat and for the scheduler: who may ask, which period, where the weekly one goes,
how its words and chart come out, and what the console does with a photo."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.console import ConsoleShell, officer_identity
from bot.config import ConfigError, Settings, load_settings
from bot.domain.kpi import KpiCounts
from bot.domain.messages import Sender, ToDepartment, ToOfficer, ToSender
from bot.domain.periods import Period, last_full_week, month_to_date, recent_days
from bot.domain.report import OverdueTicket, ResolveTimes, VolumeCount, build_report
from bot.domain.tickets import Status
from handlers.chart_font import cjk_font
from handlers.report_files import render_file
from handlers.report_format import ReportWords
from handlers.reports import weekly_report
from tests.conftest import NOW, ROOT, Clock
from tests.unit.test_config import shipped, write
from tests.world import DEMAND, HAIYUE, WU, XINYUAN, World, make_world

XIAMEN = ZoneInfo("Asia/Shanghai")
LIN = Sender("console", "officer:lin_hui")  # head of the Financial Affairs Office
FANG = Sender("console", "officer:fang_yi")  # an officer who reads English
PNG = b"\x89PNG\r\n\x1a\n"


def period_of(first: str, end: str) -> Period:
    return Period(date.fromisoformat(first), date.fromisoformat(end), XIAMEN)


# --- periods --------------------------------------------------------------------------------


def test_periods_are_whole_local_days() -> None:
    # NOW is Monday 23 November 2026, 10:00 in Xiamen
    assert last_full_week(NOW, XIAMEN) == period_of("2026-11-16", "2026-11-23")
    assert recent_days(NOW, XIAMEN) == period_of("2026-11-17", "2026-11-24")
    assert month_to_date(NOW, XIAMEN) == period_of("2026-11-01", "2026-11-24")
    november = period_of("2026-11-01", "2026-12-01")
    assert november.since == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert november.until == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert november.last_day == date(2026, 11, 30)


def test_the_local_date_decides_the_week() -> None:
    # 17:00 UTC on Sunday 22 November is already Monday 01:00 in Xiamen: last week has ended
    assert last_full_week(datetime(2026, 11, 22, 17, 0, tzinfo=UTC), XIAMEN) == period_of(
        "2026-11-16", "2026-11-23"
    )
    # 15:00 UTC the same Sunday is 23:00 in Xiamen: the week before is the last full one
    assert last_full_week(datetime(2026, 11, 22, 15, 0, tzinfo=UTC), XIAMEN) == period_of(
        "2026-11-09", "2026-11-16"
    )


def test_a_period_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="must end after"):
        period_of("2026-11-02", "2026-11-02")


# --- the report's arithmetic and words --------------------------------------------------------


def overdue(number: int, hours: float) -> OverdueTicket:
    return OverdueTicket(number, "tax", "tax_bureau", None, Status.SIGNED, NOW, hours * 3600)


def a_report(**kw: object) -> ReportWords:
    report = build_report(
        since=NOW,
        until=NOW + timedelta(days=7),
        as_of=NOW + timedelta(days=7),
        volume=[
            VolumeCount(None, "service_center", 2),
            VolumeCount("other", "service_center", 1),
            VolumeCount("tax", "tax_bureau", 3),
            VolumeCount("finance", None, 1),
        ],
        counts=KpiCounts(dispatched=6, responded_in_time=3),
        resolve_times=ResolveTimes(closed=2, total_seconds=3 * 3600),
        most_overdue=[overdue(4, 1), overdue(2, 30), replace(overdue(3, 30), confidential=True)],
    )
    return ReportWords(report, "zh-CN", load_settings(ROOT / "config.yaml").bootstrap_directory(), XIAMEN)


def test_build_report_groups_ranks_and_orders() -> None:
    report = a_report().report
    assert report.opened == 7
    assert report.by_category == (("other", 3), ("tax", 3), ("finance", 1))  # no category counts as other
    assert report.by_department == (("service_center", 3), ("tax_bureau", 3), (None, 1))
    assert report.rates.response_rate == 3 / 6
    assert report.rates.resolution_rate is None  # nothing rated: no data, not 0
    assert report.average_resolve == timedelta(hours=1.5)
    assert [o.number for o in report.most_overdue] == [2, 3, 4]  # ties: the lower number first
    with pytest.raises(ValueError, match="must end after"):
        build_report(
            since=NOW,
            until=NOW,
            as_of=NOW,
            volume=[],
            counts=KpiCounts(),
            resolve_times=ResolveTimes(),
            most_overdue=[],
        )


@pytest.mark.parametrize(
    ("hours", "zh", "en"),
    [
        (None, "无数据", "no data"),
        (0.5, "0.5小时", "0.5 h"),
        (21, "21小时", "21 h"),
        (23.97, "1天", "1 d"),  # rounds to a whole day
        (24 * 5 + 13.8, "5天14小时", "5 d 14 h"),
    ],
)
def test_durations_read_naturally(hours: float | None, zh: str, en: str) -> None:
    words = a_report()
    span = None if hours is None else timedelta(hours=hours)
    assert words.duration(span) == zh
    assert replace(words, lang="en").duration(span) == en


def test_markdown_says_no_data_and_hides_confidential_categories() -> None:
    words = a_report()
    text = render_file(words, "md").data.decode()
    assert "| 解决率 | 无数据 | 企业评价已解决 0 / 已评价 0 |" in text
    assert "| 未派单 | 1 | 14.3% |" in text
    assert "| #2 | 税费 | 区税务局 | 已签收 |" in text
    assert "| #3 | 🔒 保密工单 | 区税务局 | 已签收 |" in text  # readers may not all see it


def test_markdown_table_cells_are_escaped() -> None:
    words = a_report()
    tax = words.directory.departments["tax_bureau"]
    departments = {**words.directory.departments, "tax_bureau": replace(tax, name_zh="税务|局")}
    words = replace(words, directory=replace(words.directory, departments=departments))
    assert "| 税务\\|局 | 3 | 42.9% |" in render_file(words, "md").data.decode()


# --- the chart's font ---------------------------------------------------------------------------


def test_without_a_chinese_font_the_chart_speaks_english() -> None:
    chart = render_file(a_report(), "png", find_font=lambda text: None)
    assert chart.lang == "en"  # and no "missing glyph" warning, which the test settings make an error
    assert chart.data.startswith(PNG)


def test_with_a_chinese_font_the_chart_speaks_chinese() -> None:
    words = a_report()
    if cjk_font(words.title()) is None:
        pytest.skip("no font with Chinese glyphs on this machine (e.g. apt install fonts-noto-cjk)")
    chart = render_file(words, "png")
    assert chart.lang == "zh-CN"
    assert chart.data.startswith(PNG)


def test_no_font_is_claimed_for_characters_nobody_has() -> None:
    assert cjk_font("报告\U000f0000") is None  # a private-use plane character


# --- /report in chat --------------------------------------------------------------------------


async def busy_world(settings: Settings, clock: Clock) -> World:
    w = await make_world(settings, clock)
    clock.now = NOW - timedelta(days=7)  # Monday of last week
    await w.say(XINYUAN, DEMAND)
    clock.now = NOW
    await w.say(HAIYUE, "出口退税一直没到账，资金很紧张，希望帮忙协调")
    return w


async def test_heads_get_the_summary_and_the_chart(settings: Settings, clock: Clock) -> None:
    w = await busy_world(settings, clock)
    summary, chart = await w.say(LIN, "/report")
    assert summary.to == ToSender()
    assert summary.text.startswith("企业服务专线工作报告 · 2026-11-17 至 2026-11-23")
    assert "本期按提交时间计入受理工单 1 件" in summary.text  # the last 7 days hold the tax demand
    assert chart.to == ToSender()
    assert chart.attachment is not None
    assert chart.attachment.kind == "photo"
    assert chart.attachment.data.startswith(PNG)
    assert "2026-11-17 至 2026-11-23" in chart.text  # the caption


@pytest.mark.parametrize(
    ("args", "title"),
    [
        (" week", "2026-11-16 至 2026-11-22"),
        (" month", "2026-11-01 至 2026-11-23"),
        (" 2026-11-01 2026-12-01", "2026-11-01 至 2026-11-30"),
    ],
)
async def test_periods_by_name_or_dates(settings: Settings, clock: Clock, args: str, title: str) -> None:
    w = await make_world(settings, clock)
    summary, _ = await w.say(LIN, "/report" + args)
    assert title in summary.text.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (" 2026-11-31 2026-12-01", "“2026-11-31”不是日期"),
        (" 2026-12-01 2026-11-01", "结束日期 2026-11-01 须晚于开始日期 2026-12-01"),
        (" 2026-11-01 2026-11-01", "须晚于开始日期"),
        (" 2026-11-24 2026-12-01", "开始日期 2026-11-24 还没到"),  # tomorrow: a report of zeros
        (" yesterday", "用法：/report"),
    ],
)
async def test_bad_periods_say_how_to_write_them(
    settings: Settings, clock: Clock, args: str, says: str
) -> None:
    w = await make_world(settings, clock)
    replies = await w.say(LIN, "/report" + args)
    assert len(replies) == 1
    assert says in replies[0].text


async def test_officers_and_enterprises_may_not(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    (refused,) = await w.say(WU, "/report")
    assert "工作报告仅供部门负责人" in refused.text
    assert "/mine" in refused.text
    (staff_only,) = await w.say(XINYUAN, "/report")
    assert "/report 是工作人员使用的命令" in staff_only.text


async def test_configured_leaders_may_and_read_their_language(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    w.deps = replace(w.deps, directory=replace(w.deps.directory, leaders=("fang_yi",)))
    summary, chart = await w.say(FANG, "/report")
    assert summary.text.startswith("Enterprise service hotline report")
    assert chart.attachment is not None


async def test_help_offers_report_to_those_who_may(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "/report" in (await w.say(LIN, "/help"))[0].text
    assert "/report" not in (await w.say(WU, "/help"))[0].text


# --- the weekly report ------------------------------------------------------------------------


async def test_weekly_report_goes_to_the_leadership_group(settings: Settings, clock: Clock) -> None:
    w = await busy_world(settings, clock)
    replies = await weekly_report(w.deps, NOW)
    assert [r.to for r in replies] == [ToDepartment("service_center")] * 2
    summary, chart = replies
    assert summary.text.startswith("📊 每周工作报告\n\n企业服务专线工作报告 · 2026-11-16 至 2026-11-22")
    assert "受理工单 1 件" in summary.text  # last week's demand; this Monday's is next week's
    assert chart.attachment is not None
    assert chart.attachment.data.startswith(PNG)


async def test_weekly_report_to_leaders_each_in_their_language(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    directory = replace(w.deps.directory, leadership_department=None, leaders=("fang_yi", "chen_jing"))
    replies = await weekly_report(replace(w.deps, directory=directory), NOW)
    assert [r.to for r in replies] == [ToOfficer("fang_yi")] * 2 + [ToOfficer("chen_jing")] * 2
    assert replies[0].text.startswith("📊 Weekly report")
    assert replies[2].text.startswith("📊 每周工作报告")


async def test_a_leader_outside_the_leadership_group_gets_it_privately(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    # chen_jing heads the service centre, whose group gets the report: she reads it there
    directory = replace(w.deps.directory, leaders=("chen_jing", "fang_yi"))
    replies = await weekly_report(replace(w.deps, directory=directory), NOW)
    assert [r.to for r in replies] == [ToDepartment("service_center")] * 2 + [ToOfficer("fang_yi")] * 2


async def test_weekly_report_without_leadership_goes_to_admins(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    directory = replace(w.deps.directory, leadership_department=None, leaders=())
    replies = await weekly_report(replace(w.deps, directory=directory), NOW)
    assert {r.to for r in replies} == {ToOfficer("admin")}


def test_leadership_must_be_configured_people(tmp_path: Path) -> None:
    document = shipped()
    document["leadership"] = {"department": "politburo", "officers": ["chen_jing", "nobody"]}
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, document))
    assert caught.value.problems == [
        "leadership.officers[1]: unknown officer 'nobody'",
        "leadership.department: unknown department 'politburo'",
    ]


def test_the_replaced_leadership_keys_are_refused_with_what_to_write(tmp_path: Path) -> None:
    document = shipped()
    reminders = document["reminders"]
    assert isinstance(reminders, dict)
    document["reminders"] = {**reminders, "leaders": ["chen_jing"]}
    document["reports"] = {"leadership_department": "service_center", "leaders": ["fang_yi"]}
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, document))
    problems = caught.value.problems
    assert [problem.split(":")[0] for problem in problems] == [
        "reminders.leaders",
        "reports.leaders",
        "reports.leadership_department",
    ]
    assert all("leadership." in problem for problem in problems)


# --- the console and attachments --------------------------------------------------------------


async def test_the_console_saves_a_photo_and_says_where(
    settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    w = await make_world(settings, clock)
    out = io.StringIO()
    shell = ConsoleShell(
        deps=w.deps,
        out=out,
        interactive=False,
        storage_failure=lambda exc: None,
        identity=officer_identity("lin_hui"),
        attachments_dir=tmp_path,
    )
    await shell.say("/report")
    line = next(x for x in out.getvalue().splitlines() if x.startswith("📎"))
    path = Path(line.split("已保存到 ", 1)[1])
    assert path.parent == tmp_path
    assert path.name.endswith("report.png")
    assert (await asyncio.to_thread(path.read_bytes)).startswith(PNG)
