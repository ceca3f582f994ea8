"""Issue 16 item 4: the shipped nginx site (deploy/nginx/xiaoer.conf) terminating TLS in front of two
`xiaoer run` processes in webhook mode on one PostgreSQL database, as deployed.

nginx is the Debian package, started by the test with a prefix and configuration of its own in a
temporary directory; the only changes to the shipped site are its ports, certificate, log paths and
monitoring allow-list (each replacement checked to have happened). The certificate is self-signed,
made with `cryptography`, and the client trusts exactly it. Telegram updates (from the fake Bot API)
and WeCom callbacks (encrypted by the fake WeCom server) go through nginx over HTTPS; each is
handled once and answered, by whichever process nginx picked, and both processes get some.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import re
import shutil
import signal
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.channels.test_wecom import DEMAND, wecom_document
from tests.conftest import ROOT, in_ci
from tests.fake_telegram import FakeBotApi
from tests.fake_wecom import FakeWecom
from tests.processes import (
    SECRET,
    XIAOER,
    ended,
    environment,
    free_port,
    healthy,
    said,
    start_webhook,
)

SITE = ROOT / "deploy" / "nginx" / "xiaoer.conf"
HIRING = "我们公司招工难，缺50个普工，能不能帮忙对接人社局的招聘会"
TELEGRAM_PEOPLE = [810_001 + i for i in range(4)]
WECOM_PEOPLE = ["DeployZhang", "DeployLi"]
MONITOR = "127.0.0.2"  # the test's "Prometheus server": a loopback address other than the default


def nginx_binary() -> str:
    """The Debian package's nginx, or skip (fail under CI=true: .ci/run installs it)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        reason = "nginx is not installed (apt-get install nginx)"
        if in_ci():
            pytest.fail(f"{reason}; CI must run the deployment test", pytrace=False)
        pytest.skip(reason)
    return found


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xiaoer deployment test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    private.chmod(0o600)
    return cert, private


def replace_once(site: str, old: str, new: str) -> str:
    assert site.count(old) == 1, f"deploy/nginx/xiaoer.conf no longer has {old!r} once: update the test"
    return site.replace(old, new)


def site_for_test(https: int, http: int, upstreams: list[int], cert: Path, key: Path, logs: Path) -> str:
    """The shipped site with the test's ports, certificate, logs and allow-list; nothing else."""
    site = SITE.read_text(encoding="utf-8")
    site = replace_once(site, "server 127.0.0.1:8080 ", f"server 127.0.0.1:{upstreams[0]} ")
    site = replace_once(site, "server 127.0.0.1:8081 ", f"server 127.0.0.1:{upstreams[1]} ")
    site = replace_once(site, "    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{http};\n")
    site = replace_once(
        site, "    listen 443 ssl;\n    listen [::]:443 ssl;\n", f"    listen 127.0.0.1:{https} ssl;\n"
    )
    site = replace_once(site, "/etc/ssl/xiaoer/fullchain.pem", str(cert))
    site = replace_once(site, "/etc/ssl/xiaoer/privkey.pem", str(key))
    site = replace_once(site, "/var/log/nginx/xiaoer.access.log", str(logs / "access.log"))
    site = replace_once(site, "/var/log/nginx/xiaoer.error.log", str(logs / "error.log"))
    allow_list = re.search(r"geo \$xiaoer_monitoring \{\n    default 0;\n(.*?)\}", site, re.S)
    assert allow_list is not None, "the monitoring allow-list moved: update the test"
    return site.replace(allow_list.group(1), f"    {MONITOR} 1;\n")


def nginx_conf(prefix: Path, site: Path) -> str:
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private temporary
    # directories (mode 700): keep them root here. Not for production, where the Debian package's
    # own nginx.conf (user www-data) includes the site.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = {name: prefix / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for directory in temp.values():
        directory.mkdir()
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    client_body_temp_path {temp['client_body']};\n    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n"
        f"    include {site};\n"
        "}\n"
    )


@contextmanager
def nginx_running(prefix: Path, site: str) -> Iterator[None]:
    binary = nginx_binary()
    (prefix / "xiaoer.conf").write_text(site, encoding="utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, prefix / "xiaoer.conf"), encoding="utf-8")
    command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr  # the shipped site is valid nginx configuration
    process = subprocess.Popen([*command, "-g", "daemon off;"])  # it logs to error.log
    try:
        yield
    finally:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def until_listening(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nginx never listened on {port}")


@asynccontextmanager
async def client(cert: Path, local: str | None = None) -> AsyncIterator[aiohttp.ClientSession]:
    """HTTPS that trusts exactly the test's certificate (and checks the host name against it)."""
    context = ssl.create_default_context(cafile=str(cert))
    connector = aiohttp.TCPConnector(ssl=context, local_addr=(local, 0) if local else None)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


async def handled(database: str) -> tuple[int, int, int]:
    """(tickets, updates handled, updates waiting) in the shared database."""
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            tickets = (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
            done = (await connection.execute(text("SELECT count(*) FROM inbox WHERE done"))).scalar_one()
            waiting = (
                await connection.execute(text("SELECT count(*) FROM inbox WHERE NOT done"))
            ).scalar_one()
    finally:
        await engine.dispose()
    return int(tickets), int(done), int(waiting)


@pytest.mark.postgres
async def test_nginx_terminates_tls_in_front_of_two_processes(tmp_path: Path, postgres_database: str) -> None:
    nginx_binary()  # skip (or fail in CI) before starting anything
    telegram, wecom = FakeBotApi(), FakeWecom()
    await telegram.start()
    await wecom.start()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(wecom_document(wecom.base), allow_unicode=True), encoding="utf-8")
    upgrade = await asyncio.create_subprocess_exec(
        XIAOER, "db", "upgrade", "--database", postgres_database, env=environment(telegram, config)
    )
    assert await upgrade.wait() == 0
    https, http, upstreams = free_port(), free_port(), [free_port(), free_port()]
    base = f"https://127.0.0.1:{https}"
    cert, key = self_signed(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    running: list[asyncio.subprocess.Process] = []
    try:
        for port in upstreams:
            # Telegram is told the public URL, nginx's; each process listens on its own port
            hook = f"{base}/telegram/hook"
            running.append(await start_webhook(telegram, config, postgres_database, port, hook))
        for port in upstreams:
            await healthy(port)
        with nginx_running(prefix, site_for_test(https, http, upstreams, cert, key, logs)):
            await until_listening(https)
            async with client(cert) as session:
                # Telegram: each person's demand, posted to the webhook through nginx
                updates = []
                for person in TELEGRAM_PEOPLE:
                    update = await telegram.user_sends(person, DEMAND)
                    updates.append(update)
                    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    async with session.post(f"{base}/telegram/hook", json=update, headers=headers) as answer:
                        assert answer.status == 200, await answer.text()
                # a redelivery (Telegram repeats an update it got no answer for): handled once
                async with session.post(
                    f"{base}/telegram/hook",
                    json=updates[0],
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                ) as answer:
                    assert answer.status == 200
                # without the secret nginx passes the request on and xiaoer refuses it
                async with session.post(f"{base}/telegram/hook", json=updates[0]) as answer:
                    assert answer.status == 401
                # WeCom: encrypted, signed callbacks through nginx
                for member in WECOM_PEOPLE:
                    query, body = wecom.callback(wecom.text_xml(member, HIRING))
                    async with session.post(
                        f"{base}/wecom/callback?{urlencode(query)}",
                        data=body,
                        headers={"Content-Type": "text/xml"},
                    ) as answer:
                        assert answer.status == 200, await answer.text()
                for person in TELEGRAM_PEOPLE:
                    await telegram.wait_text(person, "贵公司的全称", within=60)
                for member in WECOM_PEOPLE:
                    await wecom.wait_text(member, "贵公司的全称", within=60)

                # monitoring: only the allow-list reaches /healthz and /metrics; nothing else is served
                async with session.get(f"{base}/healthz") as answer:
                    assert answer.status == 403
                async with session.get(f"{base}/metrics") as answer:
                    assert answer.status == 403
                async with session.get(f"{base}/") as answer:
                    assert answer.status == 404
            async with client(cert, local=MONITOR) as monitor, monitor.get(f"{base}/healthz") as answer:
                assert (answer.status, await answer.text()) == (200, "ok")
            async with (
                aiohttp.ClientSession() as plain,
                plain.get(f"http://127.0.0.1:{http}/telegram/hook", allow_redirects=False) as answer,
            ):
                assert answer.status == 301
                assert answer.headers["Location"].startswith("https://")
    finally:
        for process in running:
            process.send_signal(signal.SIGINT)
        for process in running:
            err = await ended(process)
            assert process.returncode == 0, err[-2000:]
        await telegram.stop()
        await wecom.stop()

    for person in TELEGRAM_PEOPLE:  # answered, once each
        assert said(telegram, person, "工单号") == 1, telegram.to(person)
        assert said(telegram, person, "贵公司的全称") == 1
    for member in WECOM_PEOPLE:
        texts = [s.content for s in wecom.to(member)]
        assert len([t for t in texts if "工单号" in t]) == 1, texts
    people = len(TELEGRAM_PEOPLE) + len(WECOM_PEOPLE)
    assert await handled(postgres_database) == (people, people, 0)  # every update handled, once
    # both processes answered some: nginx balanced over the two
    answered_by = re.findall(
        r"upstream=127\.0\.0\.1:(\d+) upstream_status=200", (logs / "access.log").read_text()
    )
    assert {int(port) for port in answered_by} == set(upstreams), answered_by
    assert "msg_signature" not in (logs / "access.log").read_text()  # no query strings logged
