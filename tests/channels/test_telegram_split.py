"""Issue 21 item 9: the pieces of a long message are never empty, so the buttons that ride on
the last piece are never lost to Telegram refusing an empty text."""

from __future__ import annotations

import pytest

from bot.channels.telegram.adapter import split_text


@pytest.mark.parametrize(
    "text",
    ["a" * 4096 + "\n", "a" * 4096 + "\n\n \n", "a" * 4000 + "\n" + " " * 200, "b\n" + "\n" * 5000 + "c"],
)
def test_no_piece_is_empty_or_only_white_space(text: str) -> None:
    pieces = split_text(text)
    assert all(len(p) <= 4096 for p in pieces)
    assert all(p.strip() for p in pieces), [p[:10] for p in pieces]
    assert "".join(pieces).split() == text.split()


def test_a_text_exactly_at_the_limit_is_one_piece() -> None:
    assert split_text("a" * 4096) == ["a" * 4096]
