"""Does the writer signal urgency? Urgency words (急 / 尽快 / ASAP), or time pressure and imminent
harm stated in the present or future: production stopped, daily losses, a deadline within days
("明天到期", "下周三之前", "expires this Friday", "the hearing is tomorrow"). Narration does not
count: "矿在关停以后", "城市建设的加快", "立即到账", "solved within two days", "immediately after the
merger in 2019". Unless they say it is not urgent.

Cues are looked for sentence by sentence, so a narrated sentence does not lend its past tense to
the request after it. Every pattern is bounded, so the work is linear in the text.
"""

from __future__ import annotations

import bisect
import re

_NOT_URGENT = re.compile(
    r"不急|不着急|不太急|不是很急|不用急|不用着急|不紧急|并不急|不赶|慢慢来|有空再|"
    r"not urgent|no rush|no hurry|whenever (?:you|it)|not in a hurry|not a rush"  # over lowercased text
)
# Words that say "hurry" wherever they stand (急 not in 燃眉之急, 应急, 急救, 急剧).
_URGENT_WORDS_ZH = (
    r"(?<!应)(?<!燃眉之)急(?![救剧速躁诊性])|紧急|加急|尽快|尽早|(?<!我们)(?<!我)马上|立刻|火速|赶紧|赶快|抓紧|快点|快啲|刻不容缓|十万火急|救命|"
    # 立即 and 加快 ask for speed only as a request or before the thing to speed up: not in
    # "立即到账" or "城市建设的加快"
    r"(?:请|恳请|希望|要求|务必|需要|能否|能不能|帮忙|督促|尽量)[^，。,.!?！？]{0,6}(?:立即|加快)|"
    r"(?:立即|加快)(?:一下|点|速度|处理|协调|解决|派|安排|帮|介入|恢复|放行|整改|到场|上门|审批|办理|进度|推进|放款|拨付|落实|批复)"
)
# Time pressure and harm: these count only when the sentence does not narrate the past.
_PRESSURE_ZH = (
    r"(?:停产|停工|停线|停机|停摆|断供|断货|断电|断水|断气|停电|停水|停气|关停|停供|停咗)(?!以后|之后|以前|的时候|时|期间|过)|"
    r"被迫停|线停了|全线停|"
    r"这几天就|只剩.{0,4}天|(?:明天|后天)(?:就|起|开始|开庭|到期|截止|必须)|开庭就在|本月底(?:前)?必须|月底前(?:必须|就要)|"
    r"(?:每天|每日|一天|日|每小时)(?:都)?(?:在)?(?:损失|亏损?|赔|罚)|损失.{0,8}(?:每天|一天|每小时)|"
    r"(?<!\d)(?:[1-7]|[一二两三四五六七几])天(?:内|之内|后)|(?:明天|后天|今晚|今天).{0,4}(?:到期|截止|就要|必须|交货|停|前)|"
    r"今天之内|本周内|这周[内五六日]|下周[一二三四五六日](?:之?前)?|(?:下|这|本)(?:周|礼拜|星期)(?:一|二|三|四|五)?(?:就|必须)"
)
# Habit and the past: "锅炉常常停机", "去年停产过", "关停以后".
_NARRATION_ZH = re.compile(
    r"常常|经常|时常|偶尔|有时|总是|老是|多次|几次|曾经|曾|以前|去年|前年|当年|当时|那时|过去|往年|上次"
)
_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight)"
_URGENT_WORDS_EN = (
    r"\burgent(?:ly)?\b|\basap\b|a\.s\.a\.p|as soon as possible|immediately(?! (?:after|following|before|upon|when))|"
    r"right away|emergency|expedite|\bhurry\b|time[- ]sensitive|can't wait|cannot wait|running out of time|right now|"
    r"(?:send|come|help|fix|handle)\b.{0,20}\bnow\b|(?:find|help|act|move|fix|handle|process|approve|solve|sort)\b.{0,25}\b(?:fast|quickly)\b"
)
_PRESSURE_EN = (
    r"tonight|from tomorrow|(?:is|are) today|"
    r"will stop|stops? (?:on )?(?:monday|tuesday|wednesday|thursday|friday|tomorrow)|days? of .{0,25}left|"
    r"(?:penalt\w{0,5}|fines?|demurrage|costs?|losses) .{0,15}(?:every|each|per|a) (?:day|hour)|"
    r"\b(?:halt(?:ed)?|shut(?:\s|-)?down|stopped production|production (?:has |is )?(?:stopped|halted)|"
    r"(?:line|lines|factory|plant) (?:has |is |are )?(?:stopped|down|idle))\b|"
    r"(?:losing|costing|costs|lose) .{0,25}(?:a|per|every|each) (?:day|hour)|daily loss|(?:a|per|every) day .{0,15}los|"
    r"within (?:[1-7]|\d+ hours|a few|two|three|four|five|a couple of) (?:days|hours)?|by tomorrow|"
    rf"(?:due|expires?|expiring|closes?|matures?|ends?|starts?|begins?|leaves?|ships?|is|deadline is) (?:work |school )?(?:on |this |next )?{_DAY}|"
    r"tomorrow is the deadline|(?:expires?|due|ends?|closes?) (?:next|this) week|"
    r"\b(?:by|this|next) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
    r"(?:due|deadline) (?:is )?(?:this|next) (?:week|monday|tuesday|wednesday|thursday|friday)|"
    r"in (?:[1-7]|two|three|a few) days"
)
_NARRATION_EN = re.compile(
    r"\b(?:was|were|had|did|last (?:year|month|week|time)|ago|yesterday|(?:in|since|back in) (?:19|20)\d\d|used to|"
    r"solved|fixed|resolved|sorted|worked out|thanks?|thank you)\b",
    re.IGNORECASE,
)


# Within a sentence: a gap of a few characters never reaches over a sentence break.
_GAP = r"[^。！？!?；;\n.]"
_LATIN = re.compile("[a-z]")


# The characters a Chinese cue can start with (tests/nlu/test_urgency.py checks them against the
# patterns): every other position is refused at once, which makes a scan about five times faster.
_URGENT_WORDS_ZH_STARTS = "刻加务十尽希帮快急恳抓救火督立紧能要请赶需马"
_PRESSURE_ZH_STARTS = "1-7一七三下两二五今停全六关几只后四开损断日明月本每线被这"


def _chinese(pattern: str, starts: str) -> re.Pattern[str]:
    # No IGNORECASE: Chinese has no case, and case folding slows the engine several times over.
    bounded = pattern.replace(".{", _GAP + "{")
    return re.compile(f"(?=[{starts}])(?:{bounded})")


def _latin(pattern: str) -> re.Pattern[str]:
    # Over lowercased text, and only at the start of a Latin word: every other position is
    # refused at once.
    edged = pattern.replace(r"\b", r"(?:(?<![a-z])(?=[a-z])|(?<=[a-z])(?![a-z]))").replace(".{", _GAP + "{")
    return re.compile(rf"(?=[a-z])(?<![a-z])(?:{edged})")


_URGENT_WORDS = (_chinese(_URGENT_WORDS_ZH, _URGENT_WORDS_ZH_STARTS), _latin(_URGENT_WORDS_EN))
_PRESSURE = (_chinese(_PRESSURE_ZH, _PRESSURE_ZH_STARTS), _latin(_PRESSURE_EN))
_BREAK = re.compile(r"(?<=[。！？!?；;\n])|(?<=[a-z0-9)][.])\s+")


def is_urgent(text: str) -> bool:
    """Each pattern runs once over the whole text (linear, a fraction of a millisecond at 4,096
    characters); a sentence is looked at only where time pressure was found in it."""
    lowered = text.lower()
    if _NOT_URGENT.search(lowered):
        # "不急，但下周就停产了" is still urgent: only the negated words are discounted
        lowered = _NOT_URGENT.sub(" ", lowered).replace("急", "")
    patterns = (0, 1) if _LATIN.search(lowered) else (0,)
    if any(_URGENT_WORDS[i].search(lowered) for i in patterns):
        return True
    found = sorted(m.start() for i in patterns for m in _PRESSURE[i].finditer(lowered))
    if not found:
        return False
    breaks = [(m.start(), m.end()) for m in _BREAK.finditer(lowered)]
    judged = -1
    for position in found:
        # the sentence around the first time pressure in it: from the last break before it
        # to the next break after it
        at = bisect.bisect_right(breaks, (position, len(lowered)))
        start = breaks[at - 1][1] if at else 0
        if start == judged:
            continue  # a sentence is judged by its first cue, as a reader would
        judged = start
        end = breaks[at][0] if at < len(breaks) else len(lowered)
        sentence = lowered[start:end]
        before = lowered[max(start, position - 12) : position]
        if _NARRATION_ZH.search(before) is None and not _NARRATION_EN.search(sentence):
            return True
    return False
