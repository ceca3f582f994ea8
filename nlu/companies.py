"""Company names in free text, bounded by a legal form at the end and a proper-name start.

A Chinese name is found from its legal form backwards (有限公司, 厂 …), at most 40 characters, and
starts after the last word that cannot be part of a name ("我们是", "采访过", "今天上午"). A bare
form (公司, 厂, 集团) also follows descriptions ("生物医药公司", "污水处理厂", "全公司"): such a
name must keep a proper part once its industry words and determiners are taken off. Work is
linear: the legal forms are found in one scan and each looks back a bounded distance.
"""

from __future__ import annotations

import re

from nlu.types import Span

_ZH_LEGAL = (
    r"(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|分公司|集团|公司|"
    r"工厂|厂(?![房区长家商址内外里子])|合作社|工作室|事务所|研究院|商行|经营部)"
)
_ZH_LEGAL_FORM = re.compile(_ZH_LEGAL)
_LEGAL_AT_END = re.compile(rf"{_ZH_LEGAL}$")
# Bare forms (公司, 厂, 集团) follow generic nouns too (担保公司, 供电公司): a name needs 4 characters.
_BARE_FORMS = ("公司", "工厂", "厂", "集团")
_LONGEST_NAME = 40
_NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9()（）·&]")
# Where a company name cannot start: the words before it in a sentence ("我们是…", "欠我们…").
_ZH_BOUNDARY = re.compile(
    r".*(?:我们是|我是|我们|我司|本司|本公司|贵公司|该公司|这家|那家|一家|那个|这个|之前|来自|代表|关于|这边|这里|"
    r"咱们|请问|您好|你好|协调|希望|麻烦|帮忙|对接|联系|"
    r"采访过|采访|拜访过|拜访|去过|到过|来到|位于|起诉|投诉|举报|状告|收购|签约|入驻|就职于|任职于|供职于|"
    r"时至今日|今天|昨天|明天|上午|下午|晚上|目前|现在|记者|来看|周[一二三四五六日]|今年|明年|去年|"
    r"是|的|在|被|向|欠|跟|给|与|对|帮|找|和|把|让|替|了|说|由|从|到|等|及|或|为|有)"
)
# What describes a company rather than names it, before a bare form: 全公司, 大型整车厂, 污水处理厂.
_DESCRIPTION = re.compile(
    r"^(?:全|本|该|此|各|每|某|贵|总|分|子|母|大型|中型|小型|国有|国营|民营|私营|外资|合资|台资|港资|当地|本地|附近|隔壁|"
    r"有|家|个|间|客户|上游|下游|对方|合作|"
    r"生物|医药|制药|工程|建筑|建设|科技|贸易|外贸|物流|运输|建材|机械|电子|五金|制品|加工|处理|整车|污水|化工|水泥|"
    r"食品|服装|包装|印刷|软件|网络|信息|房地产|装饰|汽车|设备|材料|塑料|家具|纺织|物业|咨询|投资|担保|供电|电力|"
    r"燃气|自来水|进出口|制造|生产|铸造|模具|钢铁|配件|零部件|电器|家电|玩具|鞋|茶|酒|木材|石材|陶瓷|玻璃|纸|"
    r"印染|电镀|冶炼|矿|砖|养殖|农业|科技型|初创|新|老|旧)*$"
)
_EN_LEGAL = (
    r"(?:Co\.,?\s?Ltd\.?|Co\.\s?Limited|Company\s+Limited|Limited|Ltd\.?|Inc\.?|LLC|L\.L\.C\.|Corp\.?|Co\.|"
    r"Corporation|Group(?:\s+(?:Co\.,?\s?Ltd\.?|Limited|Ltd\.?|Inc\.?))?|GmbH|PLC)"
)
_EN_COMPANY = re.compile(
    rf"(?<![\w&'.-])(?:[A-Z][\w&'.-]{{0,30}},?\s{{1,3}}|\([A-Z][a-z]{{1,30}}\)\s{{1,3}}|(?:and|of|&)\s{{1,3}}){{1,8}}"
    rf"{_EN_LEGAL}(?![\w])"
)
_EN_LEADING = re.compile(
    r"^(?:(?:We|We're|We’re|Were|Our|I|I'm|Im|Hi|Hello|Dear|This|It's|From|At|For|My|Hey|Please|Thanks|Thank|"
    r"Is|Are|Can|Could|of|and|&|"
    r"Hey|Regarding|Re|About|Sir|Madam|Mr|Ms|Mrs|Yes|No|OK|Ok|So|And|But|Also|The\s+(?=[A-Z]\w*\s+[A-Z]))"
    r"[,.]?\s+)+"
)


def companies(original: str, work: str) -> list[Span]:
    """Company spans in `work` (the normalised text), their text cut from `original`."""
    found: list[Span] = []
    last_end = 0
    for m in _ZH_LEGAL_FORM.finditer(work):
        start = m.start()
        while start > max(last_end, m.start() - _LONGEST_NAME) and _NAME_CHAR.match(work, start - 1):
            start -= 1
        span = _chinese_name(original, work, start, m.start(), m.end())
        if span is not None:
            found.append(span)
        last_end = m.end()  # a name never reaches back over another legal form
    for m in _EN_COMPANY.finditer(work):
        leading = _EN_LEADING.match(m.group(0))
        start = m.start() + (leading.end() if leading else 0)
        name = original[start : m.end()].strip()
        if name and len(name.split()) >= 2:
            found.append(Span("company", name, start, m.end()))
    return found


def _chinese_name(original: str, work: str, start: int, legal_start: int, end: int) -> Span | None:
    boundary = _ZH_BOUNDARY.match(work, start, legal_start)
    if boundary is not None:
        start = boundary.end()
    while start < end and original[start] in "(（":
        start += 1  # an opening bracket before the name: （南安市恒通石材厂）
    core = original[start:end]
    legal = _LEGAL_AT_END.search(core)
    if legal is None:
        return None
    name = core[: legal.start()]
    bare = legal.group(0) in _BARE_FORMS
    if len(name) < 2 or (bare and (len(name) < 4 or _DESCRIPTION.match(name))) or name[0].isdigit():
        return None
    return Span("company", core, start, end)
