"""`xiaoer import` at a large district's scale: 50,000 enterprises and 100,000 contacts from
.xlsx, on SQLite and on PostgreSQL, run as an operator runs it (the real command in a subprocess,
its peak RSS from the kernel's accounting of that child).

Printed per database: the first import of each file, the same files again (every row unchanged),
and the baseline, reading the same workbook with openpyxl alone in read-only mode, in the same
way; each as seconds, peak RSS and the ratio to the baseline. Goals (issue 14): ≤ 60 s and
≤ 500 MiB per import.

    .venv/bin/python -m benchmarks.import_bench [--enterprises 50000] [--per-enterprise 2]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests import org_sheets_data as data

XIAOER = str(Path(sys.executable).parent / "xiaoer")
ROOT = Path(__file__).resolve().parent.parent
OFFICERS = 60


@dataclass
class Run:
    what: str
    seconds: float
    peak_mib: float
    output: str


def measured(what: str, command: list[str], env: dict[str, str]) -> Run:
    """The command's wall time and peak resident memory (os.wait4 gives the child's own rusage)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{what} failed ({process.returncode}):\n{output}")
    return Run(
        what, seconds, usage.ru_maxrss / 1024, output.strip().splitlines()[0] if output.strip() else ""
    )


_READ_ONLY = """
import sys
from openpyxl import load_workbook
rows = 0
for path in sys.argv[1:]:
    book = load_workbook(path, read_only=True, data_only=True)
    for row in book.worksheets[0].iter_rows(values_only=True):
        rows += 1
print(rows, "rows read")
"""


def run_database(label: str, url: str, files: dict[str, Path], env: dict[str, str]) -> list[Run]:
    def xiaoer(kind: str, what: str) -> Run:
        return measured(what, [XIAOER, "import", kind, str(files[kind]), "-d", url], env)

    runs = [
        measured(
            "baseline: openpyxl read", [sys.executable, "-c", _READ_ONLY, str(files["enterprises"])], env
        ),
        xiaoer("officers", "officers (60)"),
        xiaoer("enterprises", "enterprises, first import"),
        xiaoer("contacts", "contacts, first import"),
        xiaoer("enterprises", "enterprises, again (unchanged)"),
        xiaoer("contacts", "contacts, again (unchanged)"),
    ]
    base = runs[0].seconds
    print(f"\n{label}: {url.split('@')[-1]}")
    print(f"{'':36} {'seconds':>8} {'peak MiB':>9} {'× baseline':>11}")
    for run in runs:
        print(
            f"{run.what:36} {run.seconds:8.1f} {run.peak_mib:9.0f} {run.seconds / base:11.1f}   {run.output}"
        )
    return runs


async def _postgres_database(url: str, name: str, create: bool) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(
            text(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}"')
        )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--per-enterprise", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_") or k == "XIAOER_NLU_CACHE"}
    env["XIAOER_CONFIG"] = str(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = {
            "officers": data.write(
                folder / "officers.xlsx", data.OFFICER_HEADERS, data.officer_rows(OFFICERS)
            ),
            "enterprises": data.write(
                folder / "enterprises.xlsx",
                data.ENTERPRISE_HEADERS,
                data.enterprise_rows(args.enterprises, OFFICERS),
            ),
            "contacts": data.write(
                folder / "contacts.xlsx",
                data.CONTACT_HEADERS,
                data.contact_rows(args.enterprises, args.per_enterprise),
            ),
        }
        print(
            f"{args.enterprises:,} enterprises, {args.enterprises * args.per_enterprise:,} contacts, "
            f"{OFFICERS} officers: files written in {time.perf_counter() - started:.1f} s; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        run_database("SQLite", f"sqlite+aiosqlite:///{folder / 'bench.db'}", files, env)
        if not args.no_postgres:
            name = f"xiaoer_import_{uuid.uuid4().hex[:8]}"
            base, _, _ = args.postgres.rpartition("/")
            asyncio.run(_postgres_database(args.postgres, name, create=True))
            try:
                url = f"{base}/{name}"
                measured("schema", [XIAOER, "db", "upgrade", "-d", url], env)
                run_database("PostgreSQL", url, files, env)
            finally:
                asyncio.run(_postgres_database(args.postgres, name, create=False))
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
