"""Reading centres' spreadsheets (bot/org_sheets.py, handlers/roster): CSV as Excel saves it on a
Chinese Windows (GB18030) or as UTF-8 with a BOM, headers in Chinese or English, and the template's
notes on its headers."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.org_sheets import SheetError, read_sheet, write_sheet
from handlers.roster import exporting
from handlers.roster.columns import match_headers
from handlers.roster.records import Known, Problem, Problems, read_records

ROWS = (
    "统一社会信用代码,企业名称,标签,重点帮扶\n"
    "91350206MA2Y3K8P13,厦门鑫源精密机械有限公司,高新技术、专精特新,是\n"
)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_the_encodings_centres_save(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(ROWS.encode(encoding))
    sheet = read_sheet(path)
    assert sheet.headers == ["统一社会信用代码", "企业名称", "标签", "重点帮扶"]
    columns, unknown = match_headers("enterprises", sheet.headers, ())
    assert unknown == []
    records = read_records("enterprises", columns, sheet.rows, Known(), "zh-CN")
    assert list(records.problems) == []
    [(row, record)] = records.rows
    assert row == 2
    assert record == {
        "uscc": "91350206MA2Y3K8P13",
        "name": "厦门鑫源精密机械有限公司",
        "tags": ["专精特新", "高新技术"],
        "key_support": True,
    }


def test_english_headers_and_unknown_ones(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("Officer id,Name,Department,telegram id,Shoe size\nwu,吴,tax,42,44\n", encoding="utf-8")
    sheet = read_sheet(path)
    columns, unknown = match_headers("officers", sheet.headers, ("telegram", "wecom"))
    assert unknown == ["Shoe size"]
    records = read_records("officers", columns, sheet.rows, Known(departments={"tax": "税务局"}), "en")
    assert records.rows[0][1] == {
        "id": "wu",
        "name": "吴",
        "department_id": "tax",
        "identities": {"telegram": "42"},
    }


def test_not_a_sheet(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match=r"not a \.xlsx or \.csv"):
        read_sheet(tmp_path / "e.txt")
    broken = tmp_path / "e.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(SheetError, match=r"not a readable \.xlsx"):
        read_sheet(broken)


def test_the_template_says_what_each_column_holds(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    channels = ("telegram",)
    write_sheet(
        path,
        "officers",
        exporting.headers("officers", channels, "zh-CN"),
        [],
        exporting.notes("officers", channels, "zh-CN"),
    )
    sheet = load_workbook(path).worksheets[0]
    header = list(next(sheet.iter_rows()))
    assert [c.value for c in header] == [
        "干部编号",
        "姓名",
        "所属部门",
        "角色",
        "语言",
        "在岗",
        "telegram账号",
    ]
    assert header[0].comment is not None
    assert header[0].comment.text.startswith("必填。")
    assert header[6].comment is not None
    assert "telegram" in header[6].comment.text


def test_a_sheet_of_bad_rows_keeps_the_first_problems_and_counts_the_rest() -> None:
    """Every bad row's message kept made a 3-million-row bad sheet take 2 GB to list 200."""
    rows = ((n, list[object](["91350206MA2Y3K8P1X", f"企业{n}"])) for n in range(2, 50_002))
    columns, _ = match_headers("enterprises", ["统一社会信用代码", "企业名称"], ())
    records = read_records("enterprises", columns, rows, Known(), "en")
    assert len(records.problems) == 50_000
    assert [p.row for p in records.problems] == list(range(2, 202))
    assert records.problems.not_shown == 50_000 - 200
    late = Problems(keep=3)
    for row in (9, 4, 12, 2, 7):  # a plan's problems come after the rows': still the first by row
        late.add(Problem(row, "bad"))
    assert ([p.row for p in late], late.not_shown) == ([2, 4, 7], 2)


def test_a_csv_is_read_row_by_row_not_held_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "统一社会信用代码,企业名称\n" + "91350206MA2Y3K8P13,厦门鑫源精密机械有限公司\n" * 100_000, "utf-8"
    )
    tracemalloc.start()
    try:
        sheet = read_sheet(path)
        first = next(sheet.rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first == (2, ["91350206MA2Y3K8P13", "厦门鑫源精密机械有限公司"])
    assert sheet.size == 100_000
    assert peak < 1_000_000  # the file is 5 MB: held whole, its text alone is several times that
