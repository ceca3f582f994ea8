"""A district's organisation as a centre's spreadsheets hold it, generated: officers, enterprises
with valid credit codes (a shared district prefix, as real codes have) and their contacts, for the
import tests and benchmarks/import_bench.py. Deterministic for a given size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.org_sheets import write_sheet
from nlu.uscc import CHARSET, check_character

DEPARTMENTS = ("service_center", "finance_office", "hr_social", "industry_it", "commerce", "tax_bureau")
INDUSTRIES = ("制造业", "软件和信息技术服务业", "批发和零售业", "建筑业", "交通运输业", "住宿和餐饮业")
DISTRICTS = ("殿前街道", "禾山街道", "江头街道", "湖里街道", "金山街道")
SIZES = ("规上", "小微", "个体工商户")
TAGS = ("高新技术", "专精特新", "外贸", "")

ENTERPRISE_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "所属行业",
    "所属街道",
    "企业规模",
    "标签",
    "重点帮扶",
    "包联干部",
]
CONTACT_HEADERS = ["统一社会信用代码", "联系人", "手机"]
OFFICER_HEADERS = ["干部编号", "姓名", "所属部门", "角色", "telegram账号"]


def credit_code(n: int) -> str:
    """The n-th enterprise's credit code: 9135020 (a Xiamen prefix), ten more, the check character."""
    body = "9135020" + "".join(CHARSET[(n // 31**i) % 31] for i in range(9, -1, -1))
    check = check_character(body)
    assert check is not None
    return body + check


def phone(n: int) -> str:
    return f"139{n:08d}"


def officer_rows(count: int) -> Iterator[list[object]]:
    for i in range(count):
        yield [f"gb{i:03d}", f"干部{i:03d}", DEPARTMENTS[i % len(DEPARTMENTS)], "officer", 9_000_000 + i]


def enterprise_rows(count: int, officers: int) -> Iterator[list[object]]:
    for n in range(count):
        yield [
            credit_code(n),
            f"厦门测试{n:06d}号科技有限公司",
            INDUSTRIES[n % len(INDUSTRIES)],
            DISTRICTS[n % len(DISTRICTS)],
            SIZES[n % len(SIZES)],
            TAGS[n % len(TAGS)],
            "是" if n % 7 == 0 else "否",
            f"gb{n % officers:03d}" if officers else "",
        ]


def contact_rows(enterprises: int, per_enterprise: int) -> Iterator[list[object]]:
    for n in range(enterprises):
        for k in range(per_enterprise):
            yield [credit_code(n), f"联系人{n:06d}-{k}", phone(n * per_enterprise + k)]


def write(path: Path, headers: list[str], rows: Iterator[list[object]]) -> Path:
    write_sheet(path, path.stem, headers, rows)
    return path
