"""Buttons for a chat that has none that call back (WeCom app messages, DingTalk robot messages).

A staff button (`cmd:take:12`) does what typing its command does, so it is shown as that command
("签收：发送 /take 12"), which works anywhere, group chats included. Any other button becomes a
numbered choice under the message ("回复数字即可选择：1. 补充信息 …"), only in a member's private
chat, where the number comes back to us: the member's next bare number picks it. A button asking
for the person's phone number has no text form (such a platform cannot ask): codes bind instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.messages import SHARE_PHONE, Button
from bot.i18n import t


def typed_command(payload: str) -> str:
    """`cmd:take:12` is what `/take 12` does: the command a member can type instead."""
    name, _, args = payload.removeprefix("cmd:").partition(":")
    return f"/{name} {args.replace(':', ' ')}".rstrip()


KEPT = 10_000  # members whose last choices are remembered; the oldest are forgotten first


class TextButtons:
    def __init__(self) -> None:
        self._choices: dict[str, tuple[Button, ...]] = {}  # the numbered choices last shown to a member

    def for_member(self, user_id: str, text: str, buttons: Sequence[Button], lang: str) -> str:
        """The text with its buttons written out; its choices are remembered for that member."""
        rendered, choices = _render(text, buttons, lang, numbered=True)
        # a later message without choices: a number now answers it, not an old menu
        self._choices.pop(user_id, None)
        if choices:
            self._choices[user_id] = choices
            if len(self._choices) > KEPT:
                del self._choices[next(iter(self._choices))]
        return rendered

    def for_group(self, text: str, buttons: Sequence[Button], lang: str) -> str:
        """In a group chat only commands can be answered: other buttons are left out."""
        return _render(text, buttons, lang, numbered=False)[0]

    def pick(self, user_id: str, text: str) -> str | None:
        """A bare number answers the numbered choices last shown to that member."""
        choices = self._choices.get(user_id, ())
        stripped = text.strip()
        if choices and stripped.isdecimal() and len(stripped) <= 2 and 1 <= int(stripped) <= len(choices):
            del self._choices[user_id]
            return choices[int(stripped) - 1].payload
        return None


def _render(
    text: str, buttons: Sequence[Button], lang: str, numbered: bool
) -> tuple[str, tuple[Button, ...]]:
    """Buttons as text: commands to send for staff buttons, numbered choices for the rest
    (only in a private chat, where the number comes back to us)."""
    lines, choices = [], []
    for button in buttons:
        if button.payload == SHARE_PHONE:
            continue  # the platform cannot ask for the member's number; the code binds instead
        if button.payload.startswith("cmd:"):
            command = typed_command(button.payload)
            if command not in text:  # a notice that already says "send /take 12" says enough
                lines.append(t(lang, "text_buttons.command", label=button.label, command=command))
        elif numbered:
            choices.append(button)
    if choices:
        listed = "\n".join(f"{i}. {b.label}" for i, b in enumerate(choices, start=1))
        lines.append(t(lang, "text_buttons.choose", choices=listed))
    return "\n\n".join([text, *lines]) if lines else text, tuple(choices)
