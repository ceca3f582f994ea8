"""An interim keyword rule behind the NLU interface, until the statistical model lands.

It only has to tell a demand from a greeting or chatter and guess a category; it is deliberately
simple and says so through low confidences.
"""

from __future__ import annotations

import re

from nlu.lang import detect_lang
from nlu.types import Parse

_GREETING = re.compile(
    r"^\s*(你好|您好|嗨|哈喽|在吗|在不在|hi|hello|hey|good (morning|afternoon|evening)|/start)\W*$",
    re.IGNORECASE,
)
_DEMAND = re.compile(
    r"急需|需要|帮忙|帮助|协调|解决|困难|问题|申请|办理|反映|投诉|希望|请求|恳请|麻烦|咨询|缺|难|"
    r"\b(need|help|problem|issue|apply|request|assist|difficult|shortage|please)\b",
    re.IGNORECASE,
)
_URGENT = re.compile(r"急|紧急|尽快|马上|立即|停产|停工|\b(urgent|asap|immediately)\b", re.IGNORECASE)

_CATEGORY_WORDS: dict[str, str] = {
    "finance": r"贷款|融资|授信|担保|银行|流动资金|\b(loan|credit|financing|bank)\b",
    "talent": r"招工|招聘|用工|人才|培训|社保|缺人|\b(recruit\w*|hiring|workers|staff|training)\b",
    "land_space": r"用地|土地|厂房|办公室|扩产|场地|\b(land|factory building|office space|premises)\b",
    "utilities": r"用电|停电|限电|供水|停水|燃气|天然气|供暖|宽带|网络|\b(power|electricity|water|gas)\b",
    "approval": r"审批|许可|执照|证照|登记|认证|消防|环评|备案|\b(permit|licen[cs]e|approval)\b",
    "tax": r"税|发票|退税|\b(tax|invoice|vat)\b",
    "subsidy": r"补贴|补助|奖励|奖补|兑现|\b(subsid\w+|grant|award)\b",
    "trade": r"出口|进口|报关|海关|外贸|订单|展会|电商|\b(export|import|customs|orders?)\b",
    "transport": r"交通|道路|停车|物流|班车|\b(traffic|road|parking|logistics)\b",
    "living": r"住房|公寓|宿舍|入学|上学|就医|\b(housing|dormitor\w+|school)\b",
    "legal": r"纠纷|欠款|合同|侵权|律师|法律|\b(dispute|contract|lawsuit|legal)\b",
    "innovation": r"研发|高新|专精特新|数字化|转型|高校|专家|\b(r&d|high-tech|innovation)\b",
}
_CATEGORY_PATTERNS = {name: re.compile(words, re.IGNORECASE) for name, words in _CATEGORY_WORDS.items()}


class KeywordNlu:
    def parse(self, text: str) -> Parse:
        lang = detect_lang(text)
        urgent = bool(_URGENT.search(text))
        if _GREETING.match(text):
            return _parse(text, lang, "greeting", 0.9, None, 0.0, urgent)
        hits = {name: len(p.findall(text)) for name, p in _CATEGORY_PATTERNS.items()}
        best = max(hits, key=lambda name: hits[name])
        if hits[best] > 0 or _DEMAND.search(text):
            category = best if hits[best] > 0 else "other"
            return _parse(text, lang, "report_demand", 0.6, category, 0.5 if hits[best] else 0.2, urgent)
        return _parse(text, lang, "out_of_scope", 0.4, None, 0.0, urgent)


def _parse(
    text: str,
    lang: str,
    intent: str,
    confidence: float,
    category: str | None,
    category_confidence: float,
    urgent: bool,
) -> Parse:
    return Parse(
        text=text,
        lang="zh" if lang == "zh" else "en",
        intent=intent,
        confidence=confidence,
        intent_ranking=((intent, confidence),),
        category=category,
        category_confidence=category_confidence,
        urgent=urgent,
    )
