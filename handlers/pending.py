"""Whether a message answers the question Xiaoer or an officer is waiting on, or does a thing of
its own (issue 13: a new demand is never swallowed by a pending question).

The NLU decides only where it is sure, and only for texts of the size its reading needs: a
greeting, thanks, urging, withdrawing, a progress question or a call for a person is short; a
demand describes a difficulty. Everything else is left to the shape of the expected answer."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.domain.messages import Reply, ToSender
from nlu.types import Parse

TICKET_INTENTS = frozenset({"report_demand", "policy_inquiry"})
SURE = 0.9  # NLU confidence from which a short message is a greeting, thanks, urging … not an answer
SHORT = 15  # size up to which such a reading is trusted; longer texts carry content
DEMAND_SIZE = 8  # size from which a text can describe a difficulty
FACTS = ("phone", "amount_yuan", "uscc", "uscc_invalid", "company")  # what answers are made of


# A Chinese character carries about what a word of letters or digits does.
_UNITS = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)


def size(text: str) -> int:
    """How much a text says: its Chinese characters and its words of letters or digits (spaces,
    punctuation and emoji say nothing)."""
    return len(_UNITS.findall(text))


def clearly_other(parse: Parse | None, text: str, clarify_below: float) -> bool:
    """The NLU is sure the message does a thing of its own: a short greeting, thanks, urging,
    withdrawal, progress question or call for a person, said with confidence; or a text long
    enough to describe a difficulty, read as a demand without asking back."""
    if parse is None or parse.intent == "out_of_scope":
        return False
    said = size(text)
    if parse.intent in TICKET_INTENTS:
        return parse.confidence >= clarify_below and said >= DEMAND_SIZE
    return parse.confidence >= SURE and said <= SHORT


def carries_facts(parse: Parse | None) -> bool:
    return parse is not None and any(key in parse.entities for key in FACTS)


def followed_by(replies: list[Reply], again: list[Reply]) -> list[Reply]:
    """The replies, then the question asked again: written into the sender's last reply when
    that one offers choices, so they stay the last choices shown (on WeCom a bare number answers
    only the choices of the latest message)."""
    own = [i for i, reply in enumerate(replies) if isinstance(reply.to, ToSender)]
    if not again or not own or not replies[own[-1]].buttons:
        return replies + again
    last = replies[own[-1]]
    merged = replace(last, text="\n\n".join([last.text, *(reply.text for reply in again)]))
    return [*replies[: own[-1]], merged, *replies[own[-1] + 1 :]]
