"""The import contracts refuse what they should: each forbidden import from issue 13, added to a
copy of the source tree, makes `lint-imports` fail on the contract meant to catch it.

A contract that passes everything looks the same as one that holds; only breaking it on purpose
tells them apart. Each case copies bot/, nlu/, handlers/, storage/ and pyproject.toml, appends one
import to one module and runs the installed `lint-imports` on the copy (its own directory first on
PYTHONPATH, so the copy is analysed, not the installed package).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "nlu", "handlers", "storage")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

LAYERS = "Layers: cli, runtime, channels, handlers, nlu and storage, domain"
DATABASE_STACK = "Only storage imports the database stack"
PROTOCOLS_ONLY = "Below the composition root, storage is reached only through its protocols"
ADAPTERS = "Channel adapters only translate: they import nothing of storage"
PURE_DOMAIN = "The domain is pure: no I/O, storage, platform, pydantic or YAML"
AIOGRAM = "Only the Telegram adapter imports aiogram"
SUBCOMMANDS = "The xiaoer subcommands are independent"


@dataclass(frozen=True)
class Forbidden:
    module: str  # a path under the copy
    statement: str
    contract: str  # the contract that must report it

    @property
    def importer(self) -> str:
        return self.module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


FORBIDDEN = [
    Forbidden("handlers/help.py", "import storage.sql", PROTOCOLS_ONLY),
    Forbidden("handlers/help.py", "import sqlalchemy", DATABASE_STACK),
    Forbidden("bot/scheduler.py", "import aiogram", AIOGRAM),
    Forbidden("bot/channels/telegram/adapter.py", "import storage.tables", ADAPTERS),
    Forbidden("bot/channels/telegram/transport.py", "from storage import protocols", ADAPTERS),
    Forbidden("nlu/builtin.py", "import storage.protocols", LAYERS),
    Forbidden("bot/domain/tickets.py", "import pydantic", PURE_DOMAIN),
    Forbidden("bot/domain/tickets.py", "import yaml", PURE_DOMAIN),
    # one subcommand reaching into another, directly or through the root that registers them all
    Forbidden("bot/cli/run.py", "import bot.cli.shell", SUBCOMMANDS),
    Forbidden("bot/cli/report.py", "from bot.cli.policy import policy_app", SUBCOMMANDS),
]


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str


def _copy_tree(destination: Path) -> None:
    destination.mkdir()
    for name in SOURCES:
        shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", destination / "pyproject.toml")


def _lint_imports(tree: Path) -> Run:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[Forbidden | None, Run]:
    """One run on the unmodified copy (key None) and one per forbidden import, side by side."""
    base = tmp_path_factory.mktemp("contracts")
    trees: dict[Forbidden | None, Path] = {}
    for index, case in enumerate([None, *FORBIDDEN]):
        tree = base / f"tree{index}"
        _copy_tree(tree)
        if case is not None:
            with (tree / case.module).open("a", encoding="utf-8") as module:
                module.write(f"\n{case.statement}  # added by test_import_contracts\n")
        trees[case] = tree
    with ThreadPoolExecutor(max_workers=min(4, len(trees))) as pool:
        results = dict(zip(trees, pool.map(_lint_imports, trees.values()), strict=True))
    return results


def test_the_unmodified_tree_keeps_every_contract(runs: dict[Forbidden | None, Run]) -> None:
    clean = runs[None]
    assert clean.returncode == 0, clean.output
    assert "0 broken" in clean.output
    for contract in {case.contract for case in FORBIDDEN}:
        assert f"{contract} KEPT" in clean.output  # the name the cases expect is the contract's


@pytest.mark.parametrize("case", FORBIDDEN, ids=lambda case: f"{case.importer}: {case.statement}")
def test_a_forbidden_import_breaks_its_contract(runs: dict[Forbidden | None, Run], case: Forbidden) -> None:
    run = runs[case]
    assert run.returncode != 0, run.output
    assert f"{case.contract} BROKEN" in run.output, run.output
    assert case.importer in run.output, run.output  # reported at the import we added


def test_every_part_of_bot_has_a_layer() -> None:
    """import-linter checks only the layers it is given: a new module under bot/ that is in none of
    them would be free to import anything. (`exhaustive` needs containers, which cannot span the
    four top-level packages.)"""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(contract["layers"] for contract in contracts["contracts"] if contract["name"] == LAYERS)
    placed = {name.strip().strip("()") for layer in layers for name in layer.replace("|", ":").split(":")}
    parts = {
        f"bot.{path.stem}"
        for path in (ROOT / "bot").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert parts - placed == set(), "place these in the layers contract in pyproject.toml"
    assert {"handlers", "nlu", "storage"} <= placed
