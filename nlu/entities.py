"""Rule-based entity extraction: credit codes, phones, yuan amounts, ticket references, companies.

Extractors run in a fixed order and blank out what they matched, so a credit code is never read
as a phone number and a phone number never as an amount. Each key keeps its first occurrence.
"""

from __future__ import annotations

import re
import unicodedata

from nlu.companies import companies
from nlu.numbers import CHINESE_NUMERAL_CHARS, parse_number
from nlu.types import Span
from nlu.uscc import is_valid


def normalize(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms, one character for one,
    so that offsets into the result are offsets into the original text."""
    if unicodedata.is_normalized("NFKC", text):  # then every character folds to itself
        return text
    return text.translate(_FOLDS)


class _FoldTable(dict[int, str]):
    """Each character's fold, computed once (the Basic Multilingual Plane is kept: at most
    65,536 entries); str.translate asks it character by character."""

    def __missing__(self, code: int) -> str:
        folded = _fold(chr(code))
        if code < 0x10000:
            self[code] = folded
        return folded


_FOLDS = _FoldTable()


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


_USCC = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{2}\d{6}[0-9A-Za-z]{10}(?![0-9A-Za-z])")

# Each pattern opens with the characters it can start with: most positions are refused at once.
_TICKET = re.compile(
    r"(?=[#＃工\d编单受tn])(?:"
    r"(?:#|＃)\s?(?P<a>\d{1,9})(?!\d)"
    r"|工单\s*(?:号|编号)?\s*[:：]?\s*[#＃]?\s*(?P<b>\d{1,9})(?!\d)"
    r"|(?<!\d)(?P<c>\d{1,9})\s*号\s*(?:工单|诉求|单子)"
    r"|(?:编号|单号|受理号)\s*(?:是|为)?\s*[:：]?\s*[#＃]?\s*(?P<d>\d{1,9})(?!\d)"
    r"|(?<![A-Za-z])ticket\s*(?:no\.?|number|num|id|#)?\s*[:：]?\s*#?\s*(?P<e>\d{1,9})(?!\d)"
    r"|(?<![A-Za-z])no\.\s*(?P<f>\d{1,9})(?!\d))",
    re.IGNORECASE,
)

_PHONE = re.compile(
    # not inside a longer run of digit groups (a bank account "3502 0100 1234 5678")
    r"(?=[+(\d])(?<![\d+])(?<!\d[\s-])(?:"
    r"(?P<intl>\+\s?\d{1,3}[\s-]?(?:\(\d{1,4}\)[\s-]?)?\d{2,4}(?:[\s-]?\d{2,4}){1,3})"
    r"|(?:(?:86|0086)[\s-]?)?(?P<mobile>1[3-9]\d(?:[\s-]?\d{4}){2})"
    # Chinese area codes: 010, 02x, 0xxx (a "0123456789" contract number is none of them)
    r"|(?P<land>\(?0(?:10|2\d|[3-9]\d{2})\)?[\s-]?(?:[2-9]\d{6,7}|[2-9]\d{2,3}[\s-]\d{4}))"
    r"|(?P<service>[48]00[\s-]?\d{3}[\s-]?\d{4})"
    r")(?![\d-]|\s\d)"
)
# What every number the two patterns here take has: seven digits or more, with nothing between
# them but spaces, dashes, brackets and plus signs (the international form's eight and more
# digits, a mobile's eleven, a landline's ten, a local number's seven in a row). A text without
# such a run has no phone number, so the patterns need not be tried on it: most texts, and most
# of the group posts masked for officers (their dates and times are digits cut by 月, 日 and :).
_MAYBE_PHONE = re.compile(r"\d(?:[\s()+-]*\d){6}")
# A local number without its area code, recognisable only by the word before it.
_LOCAL_PHONE = re.compile(
    r"(?:电话|座机|手机|联系方式|tel|phone)\s*[:：]?\s*(?P<local>[2-9]\d{6,7})(?!\d)", re.IGNORECASE
)

# Arabic numbers start at a digit boundary; Chinese ones may hold 万 inside (一万二千) and must not
# follow a word that makes them vague (几十万, 上百万, 数千万, 好几万, 多万).
_CN_DIGITS = f"[{CHINESE_NUMERAL_CHARS}]"
# Every number pattern is bounded (at most 24 digits and separators, 6 decimals, 12 numerals) and
# starts only where a number starts (not after a digit, a point or "digit,"): each position is
# tried in constant time, so "1,1,1,…" or a 400-digit run costs time linear in the text.
_ARABIC = r"(?<![\d.])(?<!\d,)\d[\d,]{0,23}(?:\.\d{1,6})?(?!,?\d)"
_CN_RUN = rf"(?<![几数多好上近{CHINESE_NUMERAL_CHARS}]){_CN_DIGITS}{{1,12}}"
_CHINESE_NUMBER = rf"{_CN_RUN}(?:万{_CN_DIGITS}{{1,12}})?"
_NUMBER = rf"{_ARABIC}|{_CHINESE_NUMBER}"
_FOREIGN_BEFORE = re.compile(
    r"(?:港币|港元|美元|美金|欧元|日元|英镑|新台币|台币|澳门币|泰铢|USD|US\$|HKD|EUR|JPY|GBP|TWD|[$€£])"
    r"\s*(?:约|大约|近|共)?\s*$",
    re.IGNORECASE,
)
_FOREIGN = (
    r"\s*(?:美元|美金|欧元|港币|港元|日元|英镑|韩元|卢布|澳元|加元|新加坡元|新台币|台币|澳门币|澳门元|泰铢|卢比|越南盾|林吉特|"
    r"USD|US\$|EUR|HKD|JPY|GBP|dollars?|euros?)"
)
_QUANTITY = (
    r"\s*(?:平方米|平方|平米|㎡|亩|吨|人|名|位|台|套|件|个|辆|次|公里|千米|米|户|家|只|箱|株|头|份|张|"
    r"吨|度|千瓦|kw|kwh|小时|天|年|月|条|篇|项|份|倍|股|册|盒)"
)
_ZH_AMOUNT = re.compile(
    rf"(?=[¥￥RC人\d{CHINESE_NUMERAL_CHARS}])(?:(?P<cur>[¥￥]|RMB|CNY|人民币)\s{{0,3}})?(?P<num>{_NUMBER})\s{{0,3}}(?:多|余)?"
    r"(?P<unit>个?亿元|个?亿|千万元|千万|百万元|百万|十万元|十万|万元|万块|万|(?<=\d)[wW](?![A-Za-z])|千元|千块|元|块钱|块)"
    rf"(?!{_FOREIGN})(?!{_QUANTITY})",
    re.IGNORECASE,
)
_ZH_PREFIXED = re.compile(rf"(?P<cur>[¥￥]|人民币)\s*(?P<num>{_ARABIC})(?!\s*[万亿千百])")
_EN_SCALE = r"(?P<scale>million|mn|m|billion|bn|b|thousand|k)?"
_EN_WORDS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "half a": 0.5,
}
_EN_WORD = "|".join(sorted(_EN_WORDS, key=len, reverse=True))
_EN_AMOUNT = re.compile(
    r"(?:(?=[¥￥])|(?<![A-Za-z])(?=[rc\daotfsenh]))(?:"
    rf"(?:(?<![A-Za-z])(?:RMB|CNY)|[¥￥])\s*(?P<num>{_ARABIC})\s*{_EN_SCALE}(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?P<num2>{_ARABIC}|(?:{_EN_WORD})(?=\s+(?:hundred|thousand|million|billion)))\s*"
    r"(?P<scale2>(?:hundred\s+)?(?:million|thousand)|hundred|mn|m|billion|bn|k)?\s*"
    r"(?:RMB|CNY|yuan|renminbi)(?![A-Za-z]))",
    re.IGNORECASE,
)
_EN_CURRENCY_WORDS = ("rmb", "cny", "yuan", "renminbi", "¥", "￥")
# 三万五, 1万5, 2万5千元: a lone digit after 万 counts thousands
_WAN_TAIL = re.compile(
    rf"([1-9]|[一二两三四五六七八九])千?(?:元|块钱|块)?(?![\d{CHINESE_NUMERAL_CHARS}万亿])(?!{_QUANTITY})"
)
_ZH_UNITS = {"亿": 10**8, "千万": 10**7, "百万": 10**6, "十万": 10**5, "万": 10**4, "千": 10**3}
_EN_SCALES = {
    "hundred": 100,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "thousand": 10**3,
    "k": 10**3,
}


def extract(text: str, *, shown: str | None = None) -> tuple[dict[str, object], list[Span]]:
    """Entities by key (first occurrence) and every span found, in text order. Company names are
    cut from `shown` (the text as written, of the same length) when it is given."""
    work = normalize(text)
    spans: list[Span] = []
    work = _codes(work, spans)
    work = _tickets(work, spans)
    if _MAYBE_PHONE.search(work) is not None:  # most texts have no run of digits a phone needs
        work = _phones(work, spans)
    work = _amounts(work, spans)
    spans += companies(shown if shown is not None and len(shown) == len(text) else text, work)
    spans.sort(key=lambda s: s.start)
    found: dict[str, object] = {}
    for span in spans:
        found.setdefault(span.key, span.value)
    return found, spans


def phones(text: str) -> list[Span]:
    """The phone numbers `extract` finds, without looking for what comes after them (amounts,
    companies): codes and ticket numbers are still taken out first, as there."""
    work = normalize(text)
    # Taking codes and ticket numbers out only blanks what a phone number cannot hold (two spaces
    # or more where a number has one separator at most): a text with no run here has none after.
    if _MAYBE_PHONE.search(work) is None:
        return []
    spans: list[Span] = []
    work = _tickets(_codes(work, spans), spans)
    _phones(work, spans)
    return [span for span in spans if span.key == "phone"]


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _codes(text: str, spans: list[Span]) -> str:
    for m in _USCC.finditer(text):
        code = m.group(0).upper()
        if sum(c.isdigit() for c in code) < 8:  # an 18-letter word, not a code
            continue
        if not is_valid(code) and (_is_id_card(code) or "身份证" in text[max(0, m.start() - 8) : m.start()]):
            continue  # a resident ID number (GB 11643), not a credit code gone wrong
        spans.append(Span("uscc" if is_valid(code) else "uscc_invalid", code, m.start(), m.end()))
        text = _blank(text, m.start(), m.end())
    return text


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _is_id_card(code: str) -> bool:
    if not (code[:17].isdigit() and (code[17].isdigit() or code[17] == "X")):
        return False
    total = sum(int(c) * w for c, w in zip(code[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == code[17]


def _tickets(text: str, spans: list[Span]) -> str:
    for m in _TICKET.finditer(text):
        digits = next(g for g in m.groups() if g is not None)
        spans.append(Span("ticket_ref", int(digits), m.start(), m.end()))
        text = _blank(text, m.start(), m.end())
    return text


def _phones(text: str, spans: list[Span]) -> str:
    for m in _PHONE.finditer(text):
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        if m.group("intl"):
            if len(digits) < 8:
                continue
            value = "+" + digits
        else:
            value = digits
        spans.append(Span("phone", value, m.start(), m.end()))
        text = _blank(text, m.start(), m.end())
    for m in _LOCAL_PHONE.finditer(text):
        start, end = m.span("local")
        spans.append(Span("phone", m.group("local"), start, end))
        text = _blank(text, start, end)
    return text


def _amounts(text: str, spans: list[Span]) -> str:
    for m in _ZH_AMOUNT.finditer(text):
        number = parse_number(m.group("num"))
        if number is None or _FOREIGN_BEFORE.search(text[max(0, m.start() - 5) : m.start()]):
            continue  # 港币100万: another currency written before the number
        if m.group("unit") == "块" and number < 10:
            continue  # 一块地, 3块电池: 块 counts things; money in 块 is rarely under ten
        unit = m.group("unit").removeprefix("个").removesuffix("元").removesuffix("块钱").removesuffix("块")
        unit = "万" if unit in ("w", "W") else unit  # 200w: chat shorthand for 200万
        if unit == "千" and not m.group("unit").endswith(("元", "块")):
            continue
        value, end = round(number * _ZH_UNITS.get(unit, 1)), m.end()
        tail = _WAN_TAIL.match(text, end) if m.group("unit") == "万" else None
        if tail is not None:
            value += round((parse_number(tail.group(1)) or 0) * 1000)
            end = tail.end()
        spans.append(Span("amount_yuan", value, m.start(), end))
        text = _blank(text, m.start(), end)
    for m in _ZH_PREFIXED.finditer(text):
        number = parse_number(m.group("num"))
        if number is not None:
            spans.append(Span("amount_yuan", round(number), m.start(), m.end()))
            text = _blank(text, m.start(), m.end())
    # every English amount names its currency: a text without one is not scanned
    lowered = text.lower()
    if not any(word in lowered for word in _EN_CURRENCY_WORDS):
        return text
    for m in _EN_AMOUNT.finditer(text):
        written = m.group("num") or m.group("num2")
        number = parse_number(written)
        if number is None:
            number = _EN_WORDS.get(written.lower().strip())
        scale = " ".join((m.group("scale") or m.group("scale2") or "").lower().split())
        if number is None:
            continue
        multiplier = 1
        for part in scale.split():
            multiplier *= _EN_SCALES.get(part, 1)
        spans.append(Span("amount_yuan", round(number * multiplier), m.start(), m.end()))
        text = _blank(text, m.start(), m.end())
    return text
