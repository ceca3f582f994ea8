"""channels.wecom: off by default, secrets from the environment, problems named by their key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, Settings, load_settings
from tests.conftest import ROOT

AES_KEY = "kX9qT2mVb7LcR4nWz8pYh3sDf6gJa1eUo5iKt0rNv2Q"


def with_wecom(tmp_path: Path, wecom: dict[str, Any], **department: Any) -> Path:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["channels"]["wecom"] = wecom
    for key, value in department.items():
        document["departments"][0][key] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return caught.value.problems


def test_wecom_is_off_in_the_shipped_config(settings: Settings) -> None:
    wecom = settings.channels.wecom
    assert not wecom.enabled
    assert wecom.api_base == "https://qyapi.weixin.qq.com"
    assert wecom.callback_path == "/wecom/callback"


def test_enabled_without_credentials_names_every_key_and_variable(tmp_path: Path) -> None:
    problems = problems_of(with_wecom(tmp_path, {"enabled": True}))
    for key in ("corp_id", "agent_id", "secret", "token", "encoding_aes_key"):
        assert any(
            p.startswith(f"channels.wecom.{key}: required") and f"XIAOER_CHANNELS__WECOM__{key.upper()}" in p
            for p in problems
        ), key


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = with_wecom(tmp_path, {"enabled": True, "corp_id": "ww1", "agent_id": 1000002})
    monkeypatch.setenv("XIAOER_CHANNELS__WECOM__SECRET", "app-secret")
    monkeypatch.setenv("XIAOER_CHANNELS__WECOM__TOKEN", "CallbackToken1")
    monkeypatch.setenv("XIAOER_CHANNELS__WECOM__ENCODING_AES_KEY", AES_KEY)
    monkeypatch.setenv(
        "XIAOER_CHANNELS__WECOM__ROBOTS", '[{"key": "k-1", "name": "园区企业群", "tags": ["export"]}]'
    )
    wecom = load_settings(path).channels.wecom
    assert (wecom.corp_id, wecom.agent_id, wecom.secret) == ("ww1", 1000002, "app-secret")
    assert wecom.robots[0].tags == ("export",)


def test_a_mistyped_key_or_token_says_what_it_should_look_like(tmp_path: Path) -> None:
    wecom = {
        "enabled": True,
        "corp_id": "ww1",
        "agent_id": 1,
        "secret": "s",
        "token": "has spaces!",
        "encoding_aes_key": AES_KEY[:-1],
        "api_base": "qyapi.weixin.qq.com",
    }
    problems = problems_of(with_wecom(tmp_path, wecom))
    assert any(p.startswith("channels.wecom.encoding_aes_key: must be the 43") for p in problems)
    assert any(p.startswith("channels.wecom.token: must be the 1-32 letters") for p in problems)
    assert any(p.startswith("channels.wecom.api_base: must start with https://") for p in problems)


def test_robot_shapes_and_group_chat_ids_are_checked(tmp_path: Path) -> None:
    robots = [{"key": "k", "name": "一群"}, {"key": "k2", "name": ""}]
    problems = problems_of(with_wecom(tmp_path, {"robots": robots}, chats={"wecom": "not-allowed-chars"}))
    assert any(p.startswith("channels.wecom.robots[1].name:") for p in problems)
    assert any(p.startswith("departments[0].chats: Value error, wecom:") for p in problems)


def test_robots_are_not_configured_twice(tmp_path: Path) -> None:
    robots = [{"key": "k", "name": "一群"}, {"key": "k", "name": "二群"}, {"key": "k3", "name": "一群"}]
    problems = problems_of(with_wecom(tmp_path, {"robots": robots}))
    assert "channels.wecom.robots[].key: 'k' appears more than once" in problems
    assert "channels.wecom.robots[].name: '一群' appears more than once" in problems
