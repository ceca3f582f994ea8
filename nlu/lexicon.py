"""Domain cue words, as extra features: what each category is about and how each intent tends
to be said, in Chinese and English. They carry knowledge the training sentences may not (an
unseen bank's name still says 银行), so the model generalises past its examples."""

from __future__ import annotations

import re

_CUES: dict[str, str] = {
    # categories (the taxonomy's own descriptions, widened with common synonyms)
    "cat:finance": r"贷款|融资|授信|信贷|担保|银行|转贷|续贷|抽贷|流动资金|资金周转|过桥|放款|利率|征信|上市|"
    r"\b(loans?|credit|financ\w*|banks?|guarantee\w*|working capital|ipo|interest rate)\b",
    "cat:talent": r"招工|招聘|招人|用工|缺人|缺工|人才|技工|工人|员工培训|培训|社保|社会保险|公积金|劳动力|稳岗|"
    r"\b(recruit\w*|hiring|hire|workers?|labou?r|talents?|training|social insurance|staff shortage)\b",
    "cat:land_space": r"用地|土地|厂房|办公室|办公楼|场地|扩产|扩建|租金|园区载体|仓库|标准厂房|闲置|"
    r"\b(land|factory building|plant space|office space|premises|warehouse|site|expansion|lease|rent)\b",
    "cat:utilities": r"用电|停电|限电|电力|电压|变压器|供水|停水|水压|燃气|天然气|供暖|供热|宽带|网络|光纤|5g|"
    r"\b(power|electricity|outage|water supply|gas supply|heating|broadband|internet|grid)\b",
    "cat:approval": r"审批|许可|执照|证照|登记|认证|消防|环评|施工许可|备案|营业执照|资质|验收|变更|ccc|"
    r"\b(permits?|licen[cs]e\w*|approvals?|registration|certificat\w*|fire safety|inspection|eia)\b",
    "cat:tax": r"税|发票|退税|留抵|减免|缴费|费用减免|社保费|"
    r"\b(tax\w*|invoices?|vat|rebate|refund|fees?|levy)\b",
    "cat:subsidy": r"补贴|补助|奖励|奖补|兑现|资助|扶持资金|专项资金|返还|"
    r"\b(subsid\w+|grants?|awards?|funding|incentive payment|reimburse\w*)\b",
    "cat:trade": r"出口|进口|报关|海关|外贸|订单|展会|广交会|电商|跨境|出口转内销|关税|物流清关|海外|"
    r"\b(export\w*|import\w*|customs|overseas|trade fair|orders?|e-?commerce|tariff\w*|buyers?)\b",
    "cat:transport": r"交通|道路|修路|路口|红绿灯|停车|车位|物流|班车|公交|货车|限行|通勤|"
    r"\b(traffic|roads?|parking|logistics|shuttle|bus|trucks?|commut\w*|route)\b",
    "cat:living": r"住房|公寓|人才房|宿舍|入学|上学|学位|子女|就医|医疗|看病|食堂|"
    r"\b(housing|apartments?|dormitor\w+|schools?|schooling|children|kids|medical|hospital|doctor)\b",
    "cat:legal": r"纠纷|欠款|拖欠|货款|合同|侵权|专利侵权|商标|律师|法律|起诉|仲裁|诉讼|维权|"
    r"\b(disputes?|contracts?|lawsuits?|legal|lawyers?|infring\w+|trademarks?|arbitration|unpaid|owes?)\b",
    "cat:innovation": r"研发|高新|专精特新|数字化|智能化|转型|高校|科研|专家|技术攻关|专利|小巨人|"
    r"\b(r&d|research|high-tech|innovation|digital\w*|universit\w+|experts?|patents?|technolog\w+)\b",
    # intents
    "int:progress": r"进度|进展|到哪一步|怎么样了|结果出来|有消息|有回复|处理到|查询|"
    r"\b(status|progress|update|any news|what's happening|where are we)\b",
    "int:urge": r"催|加快|快点|抓紧|尽快处理|还没人|没人理|没人联系|等了|多久|一直没|拖了|"
    r"\b(hurry|speed up|expedite|push|chase|still waiting|no one|nobody|how long|been waiting|weeks)\b",
    "int:cancel": r"撤回|撤销|取消|不用了|不需要了|不办了|作废|算了|"
    r"\b(withdraw\w*|cancel\w*|never ?mind|no longer need|drop (it|the request))\b",
    "int:feedback": r"谢谢|感谢|满意|点赞|好评|差评|不满意|太慢|敷衍|打分|星|给力|辛苦了|"
    r"\b(thanks?|thank you|appreciate\w*|satisf\w+|rating|stars?|great job|disappoint\w*|unhappy|not happy)\b",
    "int:human": r"人工|真人|客服|打电话|来电|电话联系|联系我|包联干部|工作人员|见面|上门|"
    r"\b(human|real person|agent|call me|phone call|talk to (someone|a person)|liaison|officer|meet)\b",
    "int:greeting": r"你好|您好|在吗|在不在|哈喽|能做什么|怎么用|干什么的|"
    r"\b(hi|hello|hey|good (morning|afternoon|evening)|what can you do|how (do i|to) use)\b",
    "int:policy": r"政策|条件|标准|申报|怎么申请|如何申请|符合|是否可以|有没有.{0,8}(补贴|政策|优惠|奖励)|哪些|多少|"
    r"\b(policy|policies|eligib\w+|criteria|requirements?|how (do we|to|can we) apply|what (support|incentives))\b",
}


def _split(words: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """A cue's Chinese words and its Latin words, as two patterns over lowercased text. Without
    IGNORECASE and with the Chinese words first, the regex engine skips at once to where one of
    them can start; the Latin words are looked for only in text that has Latin letters. "\\b"
    would not separate "需要loan" (Chinese characters count as word characters): Latin words end
    where Latin letters end."""
    chinese, _, latin = words.partition(r"\b(")
    latin = latin.removesuffix(r")\b")
    latin_pattern = re.compile(rf"(?=[a-z])(?<![a-z])(?:{latin})(?![a-z])") if latin else None
    return re.compile(chinese.rstrip("|")), latin_pattern


_PATTERNS = {name: _split(words) for name, words in _CUES.items()}
_LATIN = re.compile("[a-z]")


def cue_features(lowered: str) -> list[str]:
    """The cues in a lowercased text."""
    latin = _LATIN.search(lowered) is not None
    return [
        name
        for name, (chinese, words) in _PATTERNS.items()
        if chinese.search(lowered) or (latin and words is not None and words.search(lowered))
    ]


def _category_words() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Every category cue in one Chinese and one Latin pattern: one scan each, whatever the
    number of categories."""
    chinese, latin = [], []
    for name, words in _CUES.items():
        if name.startswith("cat:"):
            zh, _, en = words.partition(r"\b(")
            chinese.append(zh.rstrip("|"))
            latin.append(en.removesuffix(r")\b"))
    alternatives = "|".join(chinese).split("|")
    starts = "".join(sorted({re.escape(word[0]) for word in alternatives}))
    return (
        re.compile(f"(?=[{starts}])(?:{'|'.join(chinese)})"),
        re.compile(rf"(?=[a-z])(?<![a-z])(?:{'|'.join(latin)})(?![a-z])"),
    )


_CATEGORY_WORDS = _category_words()


def category_cue_starts(lowered: str) -> list[int]:
    """Where in a lowercased text a category cue starts."""
    found = [m.start() for m in _CATEGORY_WORDS[0].finditer(lowered)]
    if _LATIN.search(lowered):
        found += (m.start() for m in _CATEGORY_WORDS[1].finditer(lowered))
    return found
