"""The shipped systemd units are ones systemd accepts (`systemd-analyze verify`), and the compose
file points at files that exist. (Whether the image builds is not tested: see deploy/README.md.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

UNITS = ROOT / "deploy" / "systemd"
XIAOER = Path(sys.executable).parent / "xiaoer"


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    copies = []
    for unit in sorted(UNITS.iterdir()):
        # the template as the instance the README enables; the program where this checkout has it
        name = unit.name.replace("@.", "@8080.")
        text = unit.read_text(encoding="utf-8").replace("/opt/xiaoer/.venv/bin/xiaoer", str(XIAOER))
        (tmp_path / name).write_text(text, encoding="utf-8")
        copies.append(str(tmp_path / name))
    assert len(copies) == 3
    done = subprocess.run([analyze, "verify", *copies], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # not even a warning


def test_compose_refers_to_what_is_shipped() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "xiaoer-1", "xiaoer-2", "nginx"} <= set(services)
    build = services["xiaoer-1"]["build"]
    assert (ROOT / "deploy" / build["context"] / build["dockerfile"]).is_file()
    mounted = [v.split(":")[0] for v in services["nginx"]["volumes"]]
    assert "./nginx/xiaoer.conf" in mounted
    assert (ROOT / "deploy" / "nginx" / "xiaoer.conf").is_file()
    ports = {
        services[name]["environment"]["XIAOER_CHANNELS__TELEGRAM__PORT"] for name in ("xiaoer-1", "xiaoer-2")
    }
    site = (ROOT / "deploy" / "nginx" / "xiaoer.conf").read_text(encoding="utf-8")
    assert all(f"server 127.0.0.1:{port} " in site for port in ports)  # the upstreams nginx balances over
