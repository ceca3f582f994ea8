"""Buttons on DingTalk, where robot messages have none that call back (an action card's buttons
open web pages): a staff button becomes the command to send ("签收：发送 /take 12"), which works
in any conversation, and any other becomes a numbered choice under a private message; the
person's next bare number is that button pressed. In a group the robot hears only messages that
@ it, from anyone, so a group message keeps its commands and leaves its other buttons out."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.messages import Button
from bot.i18n import t

KEPT = 10_000  # people whose last choices are remembered; the oldest are forgotten first


class NumberedChoices:
    def __init__(self) -> None:
        self._shown: dict[str, tuple[Button, ...]] = {}  # user id -> the choices last shown to them

    def render(self, user_id: str | None, text: str, buttons: Sequence[Button], lang: str) -> str:
        """The text with its buttons written out: numbered choices for `user_id` (a private
        chat), remembered for their answer; None for a group, which gets the commands only."""
        lines: list[str] = []
        choices: list[Button] = []
        for button in buttons:
            if button.payload.startswith("cmd:"):
                name, _, args = button.payload.removeprefix("cmd:").partition(":")
                command = f"/{name} {args.replace(':', ' ')}".rstrip()
                if command not in text:  # a notice that already says "send /take 12" says enough
                    lines.append(t(lang, "dingtalk.command", label=button.label, command=command))
            elif user_id is not None:
                choices.append(button)
        if choices:
            listed = "\n".join(f"{i}. {b.label}" for i, b in enumerate(choices, start=1))
            lines.append(t(lang, "dingtalk.choose", choices=listed))
        if user_id is not None:
            self._shown.pop(user_id, None)  # a later message without choices: a number answers nothing
            if choices:
                self._shown[user_id] = tuple(choices)
                if len(self._shown) > KEPT:
                    del self._shown[next(iter(self._shown))]
        return "\n\n".join([text, *lines])

    def pick(self, user_id: str, text: str) -> str | None:
        """The payload of the choice a bare number picks, if the person was shown choices."""
        choices = self._shown.get(user_id, ())
        number = text.strip()
        if choices and number.isdecimal() and len(number) <= 2 and 1 <= int(number) <= len(choices):
            del self._shown[user_id]
            return choices[int(number) - 1].payload
        return None
