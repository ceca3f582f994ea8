"""`xiaoer shell` as a person or a script uses it: the real command, piped stdin, a real database."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage import migrate
from tests.conftest import ROOT, run_in_thread

XIAOER = str(Path(sys.executable).parent / "xiaoer")
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"


def xiaoer(
    *args: str, stdin: str | bytes = "", cwd: Path, config: Path | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_") or k == "XIAOER_NLU_CACHE"}
    env["XIAOER_CONFIG"] = str(config or ROOT / "config.yaml")
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [*prefix, XIAOER, *args], input=data, capture_output=True, cwd=cwd, env=env, timeout=120, check=False
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    )


def xiaoer_ok(*args: str, cwd: Path, config: Path | None = None) -> str:
    """`xiaoer ARGS`, which must succeed: its stdout (a failure shows both streams)."""
    done = xiaoer(*args, cwd=cwd, config=config)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def audit(db: Path, number: int) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT action FROM ticket_events WHERE ticket_id = ? ORDER BY id", (number,))
        return [row[0] for row in rows]


def test_quickstart_demand_then_status(tmp_path: Path) -> None:
    result = xiaoer("shell", stdin=f"{DEMAND}\n/status\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    acknowledged = re.search(r"工单号 (#\d+)", result.stdout)
    assert acknowledged is not None, result.stdout
    ref = acknowledged.group(1)
    listing = result.stdout.split("> /status", 1)[1]
    assert f"{ref} 【急】[已派单] 融资信贷" in listing
    assert (tmp_path / "xiaoer.db").exists()  # the default embedded database, upgraded on first run


LOOP = f"""\
{DEMAND}
/as officer wang_lei
/mine
/take 1
/reply 1 您好，已对接建设银行，明天上午带客户经理上门。
/resolve 1 建设银行已审批200万元流动资金贷款，本周内放款。
/as enterprise xinyuan
1
1
/status 1
"""


def test_scripted_session_runs_the_whole_loop(tmp_path: Path) -> None:
    result = xiaoer(
        "shell", "--database", f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}", stdin=LOOP, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "工单号 #1",  # acknowledged
        "已转交您的包联干部 王磊",
        "📥 新工单 #1",  # the officer's inbox on switching
        "待办工单（1 件）",  # /mine
        "您已签收工单 #1",
        "已将回复发送给工单 #1 的企业",
        "工单 #1 已答复，等待企业确认",
        "您的诉求 #1 已由 王磊",  # the enterprise's inbox on switching back
        "已对接建设银行，明天上午带客户经理上门",
        "请问您的诉求是否已经解决",
        "[1] 已解决  [2] 部分解决  [3] 未解决",
        "您对工单 #1 的办理是否满意",
        "[1] 满意  [2] 基本满意  [3] 不满意",
        "感谢您的确认，工单 #1 已办结",
        "[已办结]",
        "最新答复（王磊",
    ]
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"missing or out of order: {step!r}\n{out}"
        position = found
    assert audit(tmp_path / "loop.db", 1) == [
        "create",
        "dispatch",
        "take",
        "reply",
        "resolve",
        "start_survey",
        "answer_resolution",
        "answer_satisfaction",
    ]


def test_unauthorised_actions_change_nothing(tmp_path: Path) -> None:
    db = tmp_path / "auth.db"
    script = f"{DEMAND}\n/take 1\n/as officer wu_bin\n/reply 1 我来答复\n/resolve 1 好了\n"
    result = xiaoer("shell", "--database", f"sqlite+aiosqlite:///{db}", stdin=script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "/take 是工作人员使用的命令" in result.stdout
    assert result.stdout.count("您无权对工单 #1") == 2
    assert audit(db, 1) == ["create", "dispatch"]


def test_as_and_whoami(tmp_path: Path) -> None:
    script = "/whoami\n/as officer nobody\n/as enterprise lanjing\n/whoami\n/as\n"
    result = xiaoer("shell", "-d", f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", stdin=script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "当前身份：陈总 · 厦门鑫源精密机械有限公司" in result.stdout
    # the officers on offer: the database's, in id order
    assert "没有编号为 nobody 的工作人员。可选：admin, cai_qiang, chen_jing" in result.stdout
    assert "Mr. Zhang · 蓝鲸软件科技(厦门)有限公司（企业 lanjing）" in result.stdout
    assert "用法：/as enterprise <企业编号>" in result.stdout


def test_unreachable_server_exits_2_with_the_password_masked(tmp_path: Path) -> None:
    result = xiaoer(
        "shell", "-d", "postgresql+asyncpg://bob:s3cret@127.0.0.1:1/xiaoer", stdin="/status\n", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "postgresql+asyncpg://bob:***@127.0.0.1:1/xiaoer" in result.stderr
    assert "s3cret" not in result.stderr
    assert "Check that the server runs" in result.stderr


def test_missing_directory_exits_2(tmp_path: Path) -> None:
    result = xiaoer(
        "shell", "-d", f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db", stdin="hi\n", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "no").exists()


def test_read_only_database_exits_2_and_nothing_is_written(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    assert xiaoer("db", "upgrade", "-d", f"sqlite+aiosqlite:///{db}", cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = xiaoer(
        "shell", "-d", f"sqlite+aiosqlite:///file:{db}?mode=ro&uri=true", stdin=f"{DEMAND}\n", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "readonly" in result.stderr
    assert "read-only" in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def _as_unprivileged() -> tuple[str, ...]:
    """Root may write anything: run as `nobody` to see permissions work (setpriv, util-linux)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test permissions")
    return (setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups")


@pytest.mark.parametrize("locked", ["file", "directory"])
def test_unwritable_file_or_directory_exits_2(locked: str) -> None:
    base = Path(tempfile.mkdtemp(prefix="xiaoer-perm-"))
    try:
        base.chmod(0o755)
        db = base / "locked.db"
        db.write_bytes(b"")
        if locked == "file":
            db.chmod(0o444)
            base.chmod(0o777)
        else:
            db.chmod(0o666)  # the file may be written, but SQLite cannot make its journal beside it
        result = xiaoer(
            "shell", "-d", f"sqlite+aiosqlite:///{db}", stdin="hi\n", cwd=base, prefix=_as_unprivileged()
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"the {locked} " in result.stderr
        assert "not writable" in result.stderr
        assert db.read_bytes() == b""
    finally:
        shutil.rmtree(base)


def test_odd_input_does_not_end_the_session(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'odd.db'}"
    script = "\n".join(
        [DEMAND, "/as officer wang_lei", "/take 1", "/resolve 1 办好了", "/as enterprise xinyuan"]
    )
    data = script.encode() + "\n²\n".encode() + b"\xb4\xfb\xbf\xee GBK line\n/status\n"
    result = xiaoer("shell", "-d", db, stdin=data, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "您的诉求（1 件）" in result.stdout  # the lines after the odd ones still ran


def test_a_bad_start_identity_exits_2(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'as.db'}"
    officer = xiaoer("shell", "-d", db, "--as", "officer:nobody", stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert officer.returncode == 2
    assert "officers: chen_jing" in officer.stderr
    enterprise = xiaoer("shell", "-d", db, "--as", "enterprise:nobody", stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert enterprise.returncode == 2
    assert "没有编号为 nobody 的企业" in enterprise.stdout
    assert "工单号" not in enterprise.stdout  # the script did not run as someone else


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        (ROOT / "config.yaml")
        .read_text(encoding="utf-8")
        .replace("department: tax_bureau", "department: taxx"),
        encoding="utf-8",
    )
    result = xiaoer("shell", stdin="", cwd=tmp_path, config=config)
    assert result.returncode == 2
    assert "officers[11].department: unknown department 'taxx'" in result.stderr
    assert not (tmp_path / "xiaoer.db").exists()


def test_version_and_help(tmp_path: Path) -> None:
    version = xiaoer("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert re.fullmatch(r"xiaoer \d+\.\d+\.\d+\S*\n", version.stdout)
    helped = xiaoer("--help", cwd=tmp_path)
    assert helped.returncode == 0
    for command in ("shell", "db"):
        assert command in helped.stdout


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A whole fresh database, as an operator would point Xiaoer at."""
    name = f"xiaoer_e2e_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    run_in_thread(admin(f'CREATE DATABASE "{name}"'))
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    run_in_thread(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.mark.postgres
def test_whole_loop_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    refused = xiaoer("shell", "-d", postgres_database, stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert refused.returncode == 2
    assert "xiaoer db upgrade" in refused.stderr
    upgraded = xiaoer("db", "upgrade", "-d", postgres_database, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {migrate.head_revision()}" in upgraded.stdout
    result = xiaoer("shell", "-d", postgres_database, stdin=LOOP, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "感谢您的确认，工单 #1 已办结" in result.stdout
