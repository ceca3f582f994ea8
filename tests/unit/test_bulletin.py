"""The leadership bulletin's pure parts: clusters of similar demands across enterprises and their
labels, the blocking points made of ticket marks, the content's round trip through the archive's
JSON, and the formats (a confidential ticket's company never named; PDF refused without a font)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest

from bot.domain.bulletin import (
    Blocking,
    BlockingPoint,
    BulletinContent,
    CategoryCount,
    Cluster,
    Note,
    Quote,
    Resolved,
    TicketMark,
    blocking_points,
    last_week,
    schedule_key,
    scheduled_period,
)
from handlers.bulletin.docx_file import docx_text, to_docx
from handlers.bulletin.pdf_file import NoFontForPdf, to_pdf
from handlers.bulletin.text import to_markdown
from nlu.demand_clusters import Demand, cluster_demands, label_terms

POWER = [
    Demand(1, "园区限电，生产线停了，希望协调供电公司", "a"),
    Demand(2, "园区又限电了，我们的生产线停了", "b"),
    Demand(3, "园区限电导致生产线停了三天", "c"),
    Demand(7, "园区限电，生产线停了", "a"),
]
OTHERS = [
    Demand(4, "希望加快办理出口退税", "d"),
    Demand(5, "招工难，缺技术工人", "e"),
    Demand(6, "招工难，缺少熟练的技术工人", "e"),  # one enterprise twice: not "across enterprises"
]


def test_similar_demands_of_several_enterprises_make_one_cluster() -> None:
    (power,) = cluster_demands(POWER + OTHERS, 0.4)
    assert power.members == (1, 2, 3, 7)
    assert power.enterprises == 3
    assert set(power.terms) == {"园区限电", "生产线停了"}  # shared pairs joined back into words
    assert power.representative in power.members


def test_a_higher_threshold_asks_for_closer_demands() -> None:
    assert cluster_demands(POWER + OTHERS, 0.99) == []
    (strict,) = cluster_demands(POWER + OTHERS, 0.55)
    assert strict.members == (1, 3, 7)  # "园区又限电了，我们的…" is further from each
    assert strict.enterprises == 2


def test_nothing_to_cluster() -> None:
    assert cluster_demands([], 0.4) == []
    assert cluster_demands(POWER[:1], 0.4) == []
    assert cluster_demands([Demand(1, "我们", "a"), Demand(2, "公司", "b")], 0.4) == []  # only common words


def test_label_terms_grow_pairs_into_the_runs_the_texts_share() -> None:
    texts = ["希望协调供电公司扩容", "供电公司迟迟不扩容", "供电公司扩容太慢"]
    weights = {"供电": 3.0, "电公": 2.0, "公司": 2.5, "扩容": 1.0, "slow": 0.5}
    assert label_terms(weights, texts, 3, 2) == ("供电公司", "扩容")
    assert label_terms(weights, texts, 2, 2) == ("供电公司扩容", "slow")  # two texts hold the longer run
    assert label_terms({"power": 1.0, "grid": 2.0}, ["grid power"], 1) == ("grid", "power")


AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _mark(
    number: int, action: str, to_status: str, at: datetime = AT, company: str | None = "甲"
) -> TicketMark:
    return TicketMark(number, company, "finance", "贷款", to_status, action, to_status, at)


def test_blocking_points_one_per_ticket_and_kind_by_kind() -> None:
    later = datetime(2026, 11, 26, tzinfo=UTC)
    points = blocking_points(
        [
            _mark(5, "request_extension", "extension"),
            _mark(3, "return", "returned"),
            _mark(3, "return", "returned", later),  # returned twice: once, the latest
            _mark(4, "answer_satisfaction", "reopened"),
            _mark(4, "answer_resolution", "reopened", later),
            _mark(3, "overdue", "returned"),  # returned and overdue: under each
            _mark(9, "note", "in_progress"),  # not a blocking event
        ]
    )
    assert [(p.kind, p.number, p.at) for p in points] == [
        (Blocking.OVERDUE, 3, AT),
        (Blocking.RETURNED, 3, later),
        (Blocking.EXTENSION, 5, AT),
        (Blocking.REOPENED, 4, later),
    ]


def test_the_scheduled_period_is_the_last_full_week() -> None:
    assert last_week(date(2026, 11, 30)) == (date(2026, 11, 23), date(2026, 11, 30))  # a Monday
    assert last_week(date(2026, 12, 3)) == (date(2026, 11, 23), date(2026, 11, 30))


def test_the_scheduled_period_is_the_last_runs_until_the_next_is_due() -> None:
    monday, nine = 0, time(9, 0)
    week = (date(2026, 11, 23), date(2026, 11, 30))
    assert scheduled_period(datetime(2026, 11, 30, 9, 0), monday, nine) == week  # its run
    # the days after (a run missed while no process was up is made late, by the same key)
    assert scheduled_period(datetime(2026, 12, 1, 9, 0), monday, nine) == week
    assert scheduled_period(datetime(2026, 12, 7, 8, 59), monday, nine) == week
    assert scheduled_period(datetime(2026, 12, 7, 9, 0), monday, nine) == (
        date(2026, 11, 30),
        date(2026, 12, 7),
    )
    # before the first run of the week, the week before last is still the one due
    assert scheduled_period(datetime(2026, 11, 30, 8, 0), monday, nine) == (
        date(2026, 11, 16),
        date(2026, 11, 23),
    )
    thursday = 3  # a Thursday bulletin covers the last full week before that Thursday
    assert scheduled_period(datetime(2026, 12, 3, 17, 30), thursday, time(17, 30)) == week
    assert scheduled_period(datetime(2026, 12, 2, 12, 0), thursday, time(17, 30)) == (
        date(2026, 11, 16),
        date(2026, 11, 23),
    )
    assert schedule_key(date(2026, 11, 23), date(2026, 11, 30)) == "weekly:2026-11-23..2026-11-30"


CONTENT = BulletinContent(
    since=date(2026, 11, 23),
    until=date(2026, 11, 30),
    demands=3,
    enterprises=2,
    categories=(CategoryCount("utilities", 2, 1, 0, 1), CategoryCount("land_space", 1, 1, 0, 0)),
    clusters=(Cluster(("园区限电",), (1, 2), 2, Quote(2, None, "园区又限电了")),),
    quotes=(Quote(1, "厦门鑫源精密机械有限公司", "园区限电，生产线停了"), Quote(3, None, "秘密用地问题")),
    resolved=(Resolved(1, "厦门鑫源精密机械有限公司", "utilities", "resolved", "已协调供电公司"),),
    blocking=(
        BlockingPoint(Blocking.RETURNED, 3, None, "land_space", "秘密用地问题", "returned", AT, "退回"),
    ),
    notes=(Note("plan", "企业乙", "二期扩产"),),
    overdue_days=7,
)


def test_the_content_survives_the_archive() -> None:
    assert BulletinContent.from_dict(json.loads(json.dumps(CONTENT.to_dict()))) == CONTENT


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_markdown_and_docx_say_the_same_and_never_name_a_confidential_company(lang: str) -> None:
    markdown = to_markdown(CONTENT, lang)
    document = docx_text(to_docx(CONTENT, lang))
    anonymous = "某企业" if lang == "zh-CN" else "an enterprise"
    for text in (markdown, document):
        assert "厦门鑫源精密机械有限公司" in text
        assert f"#3 {anonymous}" in text
        assert "秘密用地问题" in text
        assert "园区限电" in text
        assert "二期扩产" in text
    if lang == "zh-CN":
        assert "「园区限电」：2 条诉求，2 家企业（#1, #2）" in markdown
        assert "本期被退回、仍未办结：1 件" in document
        assert "长期超期（办结时限已过 7 天以上，仍未答复）：0 件" in markdown
    for line in markdown.splitlines()[1:]:
        assert line.lstrip("#- ") in document  # every line of the Markdown is a paragraph of the .docx


def test_the_chat_text_quotes_a_few_and_counts_the_rest() -> None:
    many = BulletinContent(
        CONTENT.since,
        CONTENT.until,
        8,
        8,
        (),
        (),
        tuple(Quote(n, f"企业{n}", f"诉求{n}") for n in range(8)),
        (),
        (),
    )
    short = to_markdown(many, "zh-CN", limit=3)
    assert "诉求2" in short
    assert "诉求3" not in short
    assert "……另有 5 条" in short


def test_pdf_without_a_font_for_chinese_says_so() -> None:
    with pytest.raises(NoFontForPdf, match="中文的字体"):
        to_pdf(CONTENT, "zh-CN", find_font=lambda _: None)


def test_pdf_of_latin_text_needs_no_font() -> None:
    latin = BulletinContent(
        CONTENT.since, CONTENT.until, 1, 1, (), (), (Quote(1, "Acme Ltd", "Power cuts"),), (), ()
    )
    data = to_pdf(latin, "en", find_font=lambda _: None)
    assert data.startswith(b"%PDF")


def test_the_docx_has_a_title_headings_and_bullets() -> None:
    import io

    from docx import Document

    paragraphs = Document(io.BytesIO(to_docx(CONTENT, "zh-CN"))).paragraphs
    styles = [p.style.name for p in paragraphs if p.style is not None]
    assert styles[0] == "Title"
    assert styles.count("Heading 1") == 7
    assert set(styles[1:]) == {"Heading 1", "List Bullet"}


def test_a_quote_stored_before_control_characters_were_dropped_still_makes_a_sheet() -> None:
    """Text kept before intake dropped what XML forbids (a pasted \\x01) must not end the .xlsx."""
    import dataclasses
    import io

    from openpyxl import load_workbook

    from handlers.bulletin.xlsx_file import to_xlsx

    old = dataclasses.replace(CONTENT, quotes=(Quote(1, "厦门鑫源精密机械有限公司", "园区\x01限电"),))
    sheet = load_workbook(io.BytesIO(to_xlsx(old, "zh-CN"))).worksheets[0]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any("园区限电" in cell for cell in cells)
