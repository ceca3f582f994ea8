"""`xiaoer import` given spreadsheets nobody here wrote: a sheet whose <dimension> is stale (some
programs write one), a sheet damaged part-way, an old .xls named .xlsx. Every row there is gets
read, and what cannot be read is said (file, row, what to do) with a non-zero exit, never a
traceback."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook

from tests import org_sheets_data as data
from tests.e2e.test_shell import xiaoer

SHEET = "xl/worksheets/sheet1.xml"
HEADERS = ["统一社会信用代码", "企业名称", "所属行业"]


def workbook(path: Path, rows: int) -> Path:
    """As Excel saves one: with the <dimension> of its used range (openpyxl's write-only mode,
    which `xiaoer export` uses, writes none)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for n in range(1, rows + 1):
        sheet.append([data.credit_code(n), f"测试企业{n}", "制造业"])
    book.save(path)
    return path


def rewrite_sheet(
    path: Path,
    change: bytes | None = None,
    *,
    dimension: str | None = None,
    swap: tuple[bytes, bytes] | None = None,
) -> Path:
    """The workbook with its first sheet's XML changed: a stale <dimension>, cut short, or a part
    swapped for another."""
    source = zipfile.ZipFile(path)
    parts = {item.filename: source.read(item.filename) for item in source.infolist()}
    source.close()
    xml = parts[SHEET]
    if dimension is not None:
        xml = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", f'<dimension ref="{dimension}"/>'.encode(), xml)
        assert f'<dimension ref="{dimension}"/>'.encode() in xml
    if change is not None:
        xml = xml[: xml.index(change)]  # the file ends there, mid-sheet
    if swap is not None:
        assert swap[0] in xml
        xml = xml.replace(*swap)
    parts[SHEET] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in parts.items():
            out.writestr(name, content)
    return path


def import_enterprises(tmp_path: Path, file: Path) -> tuple[int, str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'centre.db'}"
    done = xiaoer("import", "enterprises", file.name, "--dry-run", "-d", url, cwd=tmp_path)
    return done.returncode, done.stdout, done.stderr


def test_a_stale_dimension_leaves_no_row_out(tmp_path: Path) -> None:
    stale = rewrite_sheet(workbook(tmp_path / "stale.xlsx", 30), dimension="A1:C2")
    code, out, err = import_enterprises(tmp_path, stale)
    assert code == 0, out + err
    assert "共 30 行：新增 30" in out, out


def test_a_sheet_damaged_part_way_is_said_not_a_traceback(tmp_path: Path) -> None:
    # cut inside row 2000's cells: the rows before it parse, the XML ends unclosed
    damaged = rewrite_sheet(workbook(tmp_path / "damaged.xlsx", 3000), b'<row r="2000"')
    code, out, err = import_enterprises(tmp_path, damaged)
    assert code == 2, out + err
    assert "Traceback" not in err, err
    assert re.search(r"damaged\.xlsx: the sheet cannot be read from row \d+ on", err), err
    assert "save it again" in err


def test_an_old_xls_named_xlsx_is_named_as_such(tmp_path: Path) -> None:
    old = tmp_path / "old.xlsx"
    old.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4096))  # an OLE file: Excel 97-2003
    code, out, err = import_enterprises(tmp_path, old)
    assert (code, out) == (2, "")
    assert "old.xlsx: an Excel 97-2003 (.xls) workbook named .xlsx: save it as .xlsx" in err


def test_a_formula_never_saved_is_said_so_not_missing(tmp_path: Path) -> None:
    """A sheet written by a script has formulas and no results until Excel saves it: the cell
    reads as empty, and the row was said to be missing its name."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append([data.credit_code(1), '="测试"&"企业一"', "制造业"])  # never computed
    sheet.append([data.credit_code(2), '="测试"&"企业二"', "制造业"])  # its result saved, as Excel does
    book.save(tmp_path / "script.xlsx")
    unsaved = '<c r="B3"><f>"测试"&amp;"企业二"</f><v></v>'.encode("ascii", "xmlcharrefreplace")
    saved = '<c r="B3" t="str"><f>"测试"&amp;"企业二"</f><v>测试企业二</v>'.encode()
    path = rewrite_sheet(tmp_path / "script.xlsx", swap=(unsaved, saved))
    code, out, err = import_enterprises(tmp_path, path)
    assert code == 2, out + err
    assert "有问题 1" in out, out
    assert '第 2 行：企业名称是公式（="测试"&"企业一"），但文件里没有保存它的计算结果' in out, out
    assert "缺少企业名称" not in out
    assert "第 3 行" not in out


def test_a_control_character_in_a_cell_is_dropped_and_the_sheet_exports(tmp_path: Path) -> None:
    """A \\x01 pasted into a name was kept, and every later `xiaoer export` to .xlsx ended in
    openpyxl's IllegalCharacterError traceback (an .xlsx cannot hold it)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'centre.db'}"
    (tmp_path / "pasted.csv").write_text(
        f"统一社会信用代码,企业名称\n{data.credit_code(1)},测试\x01企业\x0b一\n{data.credit_code(2)},测试企业二\n",
        encoding="utf-8",
    )
    done = xiaoer("import", "enterprises", "pasted.csv", "-d", url, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(tmp_path / "centre.db") as db:  # kept before names were cleaned as they came
        db.execute(
            "UPDATE enterprises SET name = '测试' || char(2) || '企业二' WHERE uscc = ?",
            [data.credit_code(2)],
        )
    done = xiaoer("export", "enterprises", "out.xlsx", "-d", url, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    sheet = load_workbook(tmp_path / "out.xlsx", read_only=True).worksheets[0]
    names = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names[data.credit_code(1)] == "测试企业一"
    assert names[data.credit_code(2)] == "测试企业二"
