"""`writing()`, which every `xiaoer` command that writes a file goes through: a command that fails
after it began writing left an empty (or half-written) file behind under the name asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from bot.cli_common import writing


def test_a_command_that_fails_part_way_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"

    def export() -> None:
        with writing(target, "another FILE") as out:
            out.write_bytes(b"half a workbook")
            raise RuntimeError("a cell the writer refused")

    with pytest.raises(RuntimeError):
        export()
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_was_there_stays_as_it_was_when_the_command_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("last month's export", encoding="utf-8")

    def export() -> None:
        with writing(target, "another FILE") as out:
            out.write_text("half", encoding="utf-8")
            raise OSError(28, "No space left on device")

    with pytest.raises(typer.Exit):
        export()
    assert target.read_text(encoding="utf-8") == "last month's export"
    assert list(tmp_path.iterdir()) == [target]


def test_the_file_is_there_when_the_command_ends_well(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("last month's export", encoding="utf-8")
    with writing(target, "another FILE") as out:
        assert out.parent == target.parent
        assert out.suffix == ".csv"  # the writers choose the format by it
        out.write_text("this month's", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "this month's"
    assert list(tmp_path.iterdir()) == [target]
