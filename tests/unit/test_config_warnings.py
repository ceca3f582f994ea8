"""Issue 21 item 22: a WeCom robot that no `groups[]` entry names receives no policy notices,
whatever its tags; the configuration says so instead of reaching 0 groups in silence."""

from __future__ import annotations

from pathlib import Path

from bot.config import config_warnings, load_settings
from tests.e2e.test_shell import xiaoer
from tests.unit.test_config import shipped, write


def _robots_config(tmp_path: Path, named_by_a_group: bool) -> Path:
    document = shipped()
    channels = document["channels"]
    assert isinstance(channels, dict)
    channels["wecom"]["robots"] = [{"key": "k1", "name": "huli_park", "tags": ["manufacturing"]}]
    document["groups"] = (
        [{"id": "huli", "name": "湖里园区", "channel": "wecom", "chat_id": "huli_park"}]
        if named_by_a_group
        else []
    )
    return write(tmp_path, document)


def test_a_robot_no_group_names_is_warned_about(tmp_path: Path) -> None:
    [warning] = config_warnings(load_settings(_robots_config(tmp_path, named_by_a_group=False)))
    assert "channels.wecom.robots[0]" in warning
    assert "huli_park" in warning
    assert "groups[]" in warning


def test_a_robot_a_group_names_is_fine(tmp_path: Path) -> None:
    assert config_warnings(load_settings(_robots_config(tmp_path, named_by_a_group=True))) == []


def test_the_command_line_prints_the_warning(tmp_path: Path) -> None:
    config = _robots_config(tmp_path, named_by_a_group=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    listed = xiaoer("policy", "list", "-d", url, cwd=tmp_path, config=config)
    assert listed.returncode == 0, listed.stderr
    assert "huli_park" in listed.stderr


def test_binding_by_mobile_without_a_public_address_is_warned_about(tmp_path: Path) -> None:
    document = shipped()
    channels = document["channels"]
    assert isinstance(channels, dict)
    channels["wecom"].update(
        enabled=True,
        corp_id="ww8a0c3d5e7f901234",
        agent_id=1000002,
        secret="s",
        token="XiaoerCallback2026",
        encoding_aes_key="kX9qT2mVb7LcR4nWz8pYh3sDf6gJa1eUo5iKt0rNv2Q",
    )
    [warning] = config_warnings(load_settings(write(tmp_path, document)))
    assert warning.startswith("channels.wecom.bind_by_mobile: web.url is not set")
    web = document.setdefault("web", {})
    assert isinstance(web, dict)
    web["url"] = "https://bot.example.gov.cn"
    assert config_warnings(load_settings(write(tmp_path, document))) == []
    web.pop("url")
    channels["wecom"]["bind_by_mobile"] = False
    assert config_warnings(load_settings(write(tmp_path, document))) == []
