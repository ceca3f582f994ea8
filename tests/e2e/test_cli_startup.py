"""Issue 16 item 6: `xiaoer --help` and every subcommand's help page import nothing heavy.

The database stack, the platform SDKs, the chart and spreadsheet libraries and the NLU model cost
about a second of CPU to import; a help page needs none of them, so each command imports them when
it runs. These tests would fail as soon as a module of the CLI imported one of them at the top.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

# Top-level packages (and our own modules) a help page must not import. (pydantic itself is not
# here: typer uses it to build a command's parameters, so every subcommand's page imports it.)
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "aiosqlite",
    "asyncpg",
    "aiogram",
    "aiohttp",
    "cryptography",
    "apscheduler",
    "matplotlib",
    "openpyxl",
    "numpy",
    "scipy",
    "sklearn",
    "pydantic_settings",
    "holidays",
    "rich",
    "nlu.builtin",
    "nlu.model",
    "bot.config",
    "bot.bootstrap",
    "bot.runtime",
    "storage",
)

# Runs in a fresh interpreter: every help page of the command tree in turn, as the installed
# `xiaoer` script would show it, then prints which modules got imported.
WALK = """
import json, sys
import typer
from bot.cli import app, main

def pages(group, path=()):
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from pages(command, (*path, name))

tree = list(pages(typer.main.get_command(app)))
shown = 0
for page in tree:
    sys.argv = ["xiaoer", *page, "--help"]
    try:
        main()
    except SystemExit as done:
        shown += done.code in (0, None)
print(json.dumps({"pages": len(tree), "shown": shown, "modules": sorted(sys.modules)}))
"""


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_")}


def _walk(cwd: Path, first: str = "") -> dict[str, Any]:
    """WALK's findings in a fresh interpreter, after running `first` there."""
    done = subprocess.run(
        [sys.executable, "-c", first + WALK],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**_environment(), "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_no_help_page_imports_a_heavy_module(tmp_path: Path) -> None:
    walked = _walk(tmp_path)
    assert walked["pages"] > 15  # the root, every group and every command
    assert walked["shown"] == walked["pages"]
    assert _heavy(walked["modules"]) == []


def test_the_installed_script_imports_nothing_heavy_for_help(tmp_path: Path) -> None:
    """`python -X importtime` lists every module the real entry point imports (on stderr)."""
    script = Path(sys.executable).parent / "xiaoer"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(),
        timeout=120,
        check=True,
    )
    assert "Commands:" in done.stdout
    imported = [
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    ]
    assert "typer" in imported  # the listing is what we think it is
    assert _heavy(imported) == []


def test_the_walk_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check itself can fail: a help page run after importing SQLAlchemy is reported."""
    assert "sqlalchemy" in _heavy(_walk(tmp_path, first="import sqlalchemy\n")["modules"])


def test_a_cold_model_cache_is_announced_with_progress(tmp_path: Path) -> None:
    """Issue 16 item 6: before the first answer on a cold cache, the person at the terminal is told
    the model is being trained and sees it progress (a spinner and the time elapsed), then how long
    it took; the answer follows."""
    from tests.e2e.test_shell import DEMAND, XIAOER

    controller, terminal = pty.openpty()  # stderr on a terminal, as for a person; stdin piped
    env = {**_environment(), "XIAOER_CONFIG": str(ROOT / "config.yaml"), "XIAOER_NLU_CACHE": str(tmp_path)}
    process = subprocess.Popen(
        [XIAOER, "shell", "--database", f"sqlite+aiosqlite:///{tmp_path / 'cold.db'}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=tmp_path,
        env=env,
    )
    os.close(terminal)
    shown: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the process closed its end
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    try:
        out, _ = process.communicate(f"{DEMAND}\n".encode(), timeout=600)
    finally:
        reader.join(30)
        os.close(controller)
    assert process.returncode == 0
    terminal_text = b"".join(shown).decode(errors="replace")
    announced = terminal_text.find("training the message-understanding model")
    ready = terminal_text.find("the model is ready (")
    assert 0 <= announced < ready, terminal_text
    assert "training the model" in terminal_text  # the spinner's line …
    assert "0:00:0" in terminal_text  # … with the time elapsed
    assert "工单号" in out.decode()
    assert list(tmp_path.glob("nlu-*")), "the model was trained into the cold cache"
