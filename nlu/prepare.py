"""What the classifier reads of a message: Simplified Chinese, ASCII widths, no salutation or closing,
and of a long letter only the sentences that carry the matter and the request.

Traditional characters (Taiwanese and Hong Kong writers) are converted with OpenCC's `t2s` tables,
shipped inside the `opencc` wheel (no download at run time). A letter's "尊敬的领导…您好！" and
"…谢谢！此致 敬礼" would otherwise pull the intent toward greeting or feedback, and its background
narration toward `other`: the request is what the writer wants handled.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import opencc

from nlu.entities import extract, normalize
from nlu.lexicon import category_cue_starts
from nlu.types import Span

# Work per message is capped: a message is read up to here (a Telegram message is at most 4,096
# characters; a longer CLI line is cut, never slowed down).
MAX_CHARS = 4096
# A long message is reduced to its salient sentences, at most this many characters.
SALIENT_CHARS = 300


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def load_tables() -> None:
    """OpenCC's conversion tables read now rather than for the first message with Chinese in it
    (~4 ms of CPU, ~1.8 MiB)."""
    _converter()


def simplified(text: str) -> str:
    """Traditional to Simplified Chinese, full-width to ASCII; the same length as `text` whenever
    the conversion is character for character (nearly always), so offsets stay valid."""
    # U+FFFD stands where undecodable bytes were: noise, not words
    folded = normalize(text[:MAX_CHARS]).replace("\ufffd", " ")
    if folded.isascii():
        return folded
    return str(_converter().convert(folded))


# An address at the start: 尊敬的领导：, 王局长您好！, 各位好, Dear Sir or Madam, Hi team, … The words
# before a title are a name or an office (王, 区, 市政府), never "我要找…干部，".
_SALUTATION = re.compile(
    r"^\s*(?:(?:尊敬的|敬爱的|亲爱的)?[^\W\d_a-zA-Z我你他她找要的请让给叫和跟与是联系]{0,5}?"
    r"(?:领导|同志|老师|经理|主任|局长|书记|区长|市长|县长|工作人员|小二|客服|负责人|干部|先生|女士)(?:们)?"
    r"(?:您好|你好|好)?|您好|你好|你们好|您们好|各位好|大家好|哈喽|早上好|下午好|晚上好|"
    r"(?:dear|hi|hello|hey|good (?:morning|afternoon|evening))\b[^,.!:\n]{0,40}|to whom it may concern)\s*[,，:：!！.。~～]+\s*",
    re.IGNORECASE,
)
# A closing at the end: 谢谢！, 此致敬礼, 盼复; in English after a sentence break: Thanks, Bob.
_CLOSING = re.compile(
    r"[,，.。!！\s]*(?:(?:再次|非常|十分|万分)?(?:感谢|谢谢|多谢)(?:您|你|领导|各位|政府|小二|你们|大家)?"
    r"(?:的(?:支持|帮助|关心|辛苦付出))?[!！。.~～]*|此致\s*敬礼[!！。.]*|敬礼[!！。.]*|盼复[!！。.]*|望回复[!！。.]*|辛苦了[!！。.]*)\s*$"
    r"|(?:^|[,.!?]\s*)(?:thanks?(?: you)?(?: (?:very|so) much)?(?: for your (?:help|time))?(?: in advance)?|"
    r"many thanks|best regards|kind regards|regards|sincerely|yours sincerely|cheers)[!.,]*(?:\s+[A-Z][\w.]*){0,3}[!.]*\s*$",
    re.IGNORECASE,
)
# Only the end of a message is looked at for a closing: constant work, whatever comes before.
_CLOSING_WINDOW = 80
_CJK = re.compile(r"[\u3400-\u9fff]")
# The writer's own request: what they ask the government to do or tell.
_REQUEST = re.compile(
    r"恳请|请求|希望|盼望|请|麻烦|帮忙|帮助|协调|能否|可否|能不能|可不可以|是否|如何|怎么|怎样|哪些|多少|建议|呼吁|"
    r"\b(?:please|could|can you|can we|would you|we need|request|help|how|what|which|whether|seek|assist|advise)\b"
)  # over lowercased sentences
# A sentence ends after 。！？；, a line break, or ". " before a capital letter (not "Co., Ltd.").
_BREAK = re.compile(r"(?<=[。！？!?；;\n])|(?<=[a-z0-9)][.!?])\s+(?=[A-Z\"'(])")


def for_intent(text: str) -> str:
    """The message without its salutation and closing, when something substantial remains:
    "你好" alone is a greeting and "谢谢" alone is thanks."""
    stripped = text
    for _ in range(2):  # "领导您好！小二你好，…"
        head = _SALUTATION.match(stripped)
        if head is None or len(stripped) - head.end() < 6:
            break
        stripped = stripped[head.end() :]
    offset = max(0, len(stripped) - _CLOSING_WINDOW)
    tail = _CLOSING.search(stripped, offset)
    if tail is not None and tail.start() >= 6:
        stripped = stripped[: tail.start()]
    return stripped.strip() or text


def sentences(text: str) -> list[str]:
    return [part for part in _BREAK.split(text) if part.strip()]


def salient(text: str) -> str:
    """A long letter's request sentences (the last first), then the sentences that name the
    matter (the most category cues first: what kind of help it is), its opening sentence and the
    sentence before each request (the difficulty behind it), in the letter's order, within a
    budget of SALIENT_CHARS Chinese characters (three times as many Latin ones); a message within
    the budget whole, one without a request sentence cut at the budget."""
    budget = SALIENT_CHARS if _is_chinese(text) else SALIENT_CHARS * 3
    if len(text) <= budget:
        return text
    parts = sentences(text)
    lowered = [part.lower() for part in parts]
    requests = [i for i in range(len(parts) - 1, 0, -1) if _REQUEST.search(lowered[i])]
    if len(parts) <= 2 or not requests:
        return text[:budget]
    starts = list(itertools.accumulate(len(part) for part in parts))
    cues = Counter(bisect.bisect_right(starts, at) for at in category_cue_starts("".join(lowered)))
    topical = sorted(cues, key=lambda i: (-cues[i], i))
    wanted = [*requests, *topical, 0, *(i - 1 for i in requests)]
    kept: list[int] = []
    used = 0
    for i in wanted:
        if i in kept or (used + len(parts[i]) > budget and kept):
            continue
        kept.append(i)
        used += len(parts[i])
    return "".join(parts[i] for i in sorted(kept))[: budget * 2]


def _is_chinese(text: str) -> bool:
    return len(_CJK.findall(text[:400])) * 3 >= min(len(text), 400)


def reading(simple: str) -> str:
    """What the intent and category models read of a message already `simplified` (and with its
    entities replaced by placeholders, see `prepare`)."""
    return for_intent(salient(for_intent(simple)))


_PLACEHOLDER = {
    "uscc": "<uscc>",
    "uscc_invalid": "<uscc>",
    "phone": "<phone>",
    "amount_yuan": "<amount>",
    "ticket_ref": "<ticket>",
    "company": "<company>",
}


def with_placeholders(text: str, spans: list[Span]) -> str:
    """Entities replaced by their kind, so that "#42" and "#7" look alike to the model."""
    out, last = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < last:
            continue
        out.append(text[last : span.start])
        out.append(f" {_PLACEHOLDER[span.key]} ")
        last = span.end
    out.append(text[last:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Prepared:
    capped: str  # the message as read: at most MAX_CHARS
    simple: str  # Simplified Chinese, ASCII widths
    entities: dict[str, object]
    read: str  # what the models read: the salient part, entities as placeholders


def prepare(text: str) -> Prepared:
    """Everything the builtin model needs of a message, each pass made once over the text: the
    entities are found once, on the whole message, and the reading is cut from the message with
    their placeholders already in."""
    capped, simple, entities, spans = _entities(text)
    return Prepared(capped, simple, entities, reading(with_placeholders(simple, spans)))


def rule_entities(text: str) -> tuple[str, str, dict[str, object]]:
    """The capped text, its Simplified reading and the entities the rules find in it."""
    capped, simple, entities, _ = _entities(text)
    return capped, simple, entities


def _entities(text: str) -> tuple[str, str, dict[str, object], list[Span]]:
    """Entities are read on the Simplified text (有限公司 as the rules know it) but shown as
    written; a conversion that changed the length would move every offset, so then the text as
    written is read too, and the spans for placeholders come from the Simplified text."""
    capped = text[:MAX_CHARS]
    simple = simplified(capped)
    if len(simple) == len(capped):
        entities, spans = extract(simple, shown=capped)
        return capped, simple, entities, spans
    entities, _ = extract(capped, shown=capped)
    return capped, simple, entities, extract(simple)[1]
