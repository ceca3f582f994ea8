"""Does the writer signal urgency? Production stopped, daily losses, a deadline within days,
急 / 尽快 / ASAP — unless they say it is not urgent."""

from __future__ import annotations

import re

_NOT_URGENT = re.compile(
    r"不急|不着急|不太急|不是很急|不用急|不用着急|不紧急|并不急|不赶|慢慢来|有空再|"
    r"not urgent|no rush|no hurry|whenever (?:you|it)|not in a hurry|not a rush",
    re.IGNORECASE,
)
_URGENT_ZH = re.compile(
    r"(?<!应)(?<!燃眉之)急(?!救)|紧急|加急|尽快|尽早|马上|立刻|立即|火速|赶紧|赶快|抓紧|加快|快点|刻不容缓|十万火急|"
    r"停产|停工|停线|停机|停摆|断供|断货|断电|停电|停水|停气|被迫停|关停|停供|线停了|全线停|救命|"
    r"这几天就|只剩.{0,4}天|(?:明天|后天)(?:就|起|开庭|到期|截止|必须)|开庭就在|本月底(?:前)?必须|月底前必须|"
    r"(?:每天|每日|一天|日)(?:都)?(?:在)?(?:损失|亏损?|赔|罚)|损失.{0,8}(?:每天|一天)|"
    r"(?<!\d)(?:[1-7]|[一二两三四五六七几])天(?:内|之内|后)|(?:明天|后天|今晚|今天).{0,4}(?:到期|截止|就要|必须|交货|停|前)|"
    r"今天之内|本周内|这周[内五六日]|"
    r"下周[一二三四五]前?|月底前(?:必须|就要)|(?:下|这|本)(?:周|礼拜|星期)(?:一|二|三|四|五)?(?:就|必须)"
)
# \b would not separate "需要urgent": Chinese characters count as word characters.
_LATIN_EDGE = r"(?:(?<![A-Za-z])(?=[A-Za-z])|(?<=[A-Za-z])(?![A-Za-z]))"
_URGENT_EN_WORDS = (
    r"\burgent(?:ly)?\b|\basap\b|a\.s\.a\.p|as soon as possible|immediately|right away|emergency|expedite|"
    r"\bhurry\b|time[- ]sensitive|can't wait|cannot wait|running out of time|right now|"
    r"(?:send|come|help|fix|handle)\b.{0,20}\bnow\b|(?:find|help|act|move|fix)\b.{0,25}\bfast\b|tonight|from tomorrow|(?:is|are) today|"
    r"will stop|stops? (?:on )?(?:monday|tuesday|wednesday|thursday|friday|tomorrow)|days? of .{0,25}left|"
    r"(?:penalt\w+|fines?|demurrage|costs?|losses) .{0,15}(?:every|each|per|a) day|"
    r"\b(?:halt(?:ed)?|shut(?:\s|-)?down|stopped production|production (?:has |is )?(?:stopped|halted)|"
    r"(?:line|lines|factory|plant) (?:has |is |are )?(?:stopped|down|idle))\b|"
    r"(?:losing|costing|costs|lose) .{0,25}(?:a|per|every) day|daily loss|(?:a|per|every) day .{0,15}los|"
    r"within (?:[1-7]|\d+ hours|a few|two|three|four|five|a couple of) (?:days|hours)?|by tomorrow|(?:due|expires?|closes?) "
    r"(?:tomorrow|tonight)|tomorrow is the deadline|"
    r"\b(?:on|by|this|next) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
    r"(?:due|deadline) (?:is )?(?:this|next) (?:week|monday|tuesday|wednesday|thursday|friday)|"
    r"by (?:this |next )?(?:monday|tuesday|wednesday|thursday|friday)\b|in (?:[1-7]|two|three|a few) days"
)
_URGENT_EN = re.compile(_URGENT_EN_WORDS.replace(r"\b", _LATIN_EDGE), re.IGNORECASE)


def is_urgent(text: str) -> bool:
    if _NOT_URGENT.search(text):
        stripped = _NOT_URGENT.sub(" ", text)
        # "不急，但下周就停产了" is still urgent: only the negated words are discounted
        return bool(_URGENT_ZH.search(stripped.replace("急", "")) or _URGENT_EN.search(stripped))
    return bool(_URGENT_ZH.search(text) or _URGENT_EN.search(text))
