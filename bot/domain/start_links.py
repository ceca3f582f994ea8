"""Links that open a chat with Xiaoer and redeem an invite in one tap, per channel that has them.

Telegram's deep link `https://t.me/<bot username>?start=<code>` sends `/start <code>` when the
person presses Start. The username is the bot's own: from the configuration, or learnt by the
channel from the platform (getMe) when it starts; until a channel knows its link, invites give the
code to send instead. Handlers read the links here and so need no channel."""

from __future__ import annotations


def telegram_start_link(username: str, code: str) -> str:
    """Usernames are letters, digits and _, codes URL-safe base64 (handlers/binding.new_code):
    nothing to quote."""
    return f"https://t.me/{username.lstrip('@')}?start={code}"


class StartLinks:
    """What each channel has told of its deep link: a username, by channel name."""

    def __init__(self, usernames: dict[str, str] | None = None) -> None:
        self._usernames = {k: v.lstrip("@") for k, v in (usernames or {}).items()}

    def learn(self, channel: str, username: str) -> None:
        self._usernames[channel] = username.lstrip("@")

    def username(self, channel: str) -> str | None:
        return self._usernames.get(channel)

    def telegram(self, code: str) -> str | None:
        username = self._usernames.get("telegram")
        return telegram_start_link(username, code) if username else None
