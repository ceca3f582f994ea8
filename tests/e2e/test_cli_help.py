"""Issue 21 item 17: `--help` names what each option takes (URL, ISO-TIME, FILE …) and shows no
type at all for a flag, never `<bool>` or `<str>`."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli import app
from tests.e2e.test_shell import xiaoer

PYTHON_TYPES = ("<bool>", "<str>", "<int>", "<float>", "<path>", "<Path>")


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's and group's path, walking the command tree typer builds."""
    found = [path]
    commands: dict[str, object] = getattr(group, "commands", {})
    for name, command in commands.items():
        found += _commands(command, (*path, name))
    return found


def test_no_help_page_shows_python_types() -> None:
    root = typer.main.get_command(app)
    pages = _commands(root)
    assert len(pages) > 15  # every command and group, policy and nlu included
    runner = CliRunner()
    for page in pages:
        helped = runner.invoke(app, [*page, "--help"], terminal_width=100)
        assert helped.exit_code == 0, (page, helped.output)
        shown = [t for t in PYTHON_TYPES if t in helped.output]
        assert not shown, (page, shown, helped.output)


def test_value_options_name_what_they_take(tmp_path: Path) -> None:
    sweep = xiaoer("sweep", "--help", cwd=tmp_path).stdout
    assert "--now ISO-TIME" in sweep
    assert "--database URL" in sweep
    assert "--dry-run " in sweep
    report = xiaoer("report", "--help", cwd=tmp_path).stdout
    assert "--from DATE" in report
    assert "--format md|csv|xlsx|png" in report
