"""Whether a message answers the question Xiaoer or an officer is waiting on, or does a thing of
its own (issue 13: a new demand is never swallowed by a pending question).

The NLU decides only where it is sure, and only for texts of the size its reading needs: a
greeting, thanks, urging, withdrawing, a progress question or a call for a person is short; a
demand describes a difficulty. Everything else is left to the shape of the expected answer."""

from __future__ import annotations

import unicodedata

from nlu.types import Parse

TICKET_INTENTS = frozenset({"report_demand", "policy_inquiry"})
SURE = 0.9  # NLU confidence from which a short message is a greeting, thanks, urging … not an answer
SHORT = 15  # meaningful characters up to which such a reading is trusted; longer texts carry content
DEMAND_SIZE = 8  # meaningful characters from which a text can describe a difficulty
FACTS = ("phone", "amount_yuan", "uscc", "uscc_invalid", "company")  # what answers are made of


def meaningful(text: str) -> str:
    """The letters and digits of a text: its size without spaces, punctuation and emoji."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def clearly_other(parse: Parse | None, text: str, clarify_below: float) -> bool:
    """The NLU is sure the message does a thing of its own: a short greeting, thanks, urging,
    withdrawal, progress question or call for a person, said with confidence; or a text long
    enough to describe a difficulty, read as a demand without asking back."""
    if parse is None or parse.intent == "out_of_scope":
        return False
    size = len(meaningful(text))
    if parse.intent in TICKET_INTENTS:
        return parse.confidence >= clarify_below and size >= DEMAND_SIZE
    return parse.confidence >= SURE and size <= SHORT


def carries_facts(parse: Parse | None) -> bool:
    return parse is not None and any(key in parse.entities for key in FACTS)
