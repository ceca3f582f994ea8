"""Group posts mask ID-card and bank-account numbers beside phones; phone numbers compare in one form."""

from __future__ import annotations

from bot.domain.phones import comparable_phone
from handlers.render import mask_private


def test_id_cards_bank_accounts_and_phones_are_masked_codes_are_not() -> None:
    text = "身份证350206199001011239，卡号 6222 0210 0101 2345 678，电话13800001234，代码91350206MA2Y3K8P13"
    assert mask_private(text) == (
        "身份证350206********1239，卡号 6222 **** **** 5678，电话138****1234，代码91350206MA2Y3K8P13"
    )
    assert mask_private("11010519491231002X") == "110105********002X"
    assert mask_private("350206199001011238") == "3502 **** **** 1238"  # a wrong check character: a number
    assert mask_private("订单号 123456789012345") == "订单号 123456789012345"  # 15 digits: neither


def test_phones_compare_with_the_country_code() -> None:
    assert comparable_phone("13800001234") == "8613800001234"
    assert comparable_phone("+86 138-0000-1234") == "8613800001234"
    assert comparable_phone("8613800001234") == "8613800001234"
    assert comparable_phone("4915112345678", international=True) == "4915112345678"
    assert comparable_phone("4915112345678") is None  # without "+", a local number is ambiguous
    assert comparable_phone("call me") is None


def test_chinese_mobile_formats_compare_alike() -> None:
    # as people type them, as spreadsheets keep them, and as WeCom's `mobile` field gives them
    for written in (
        "13800001234",
        "138 0000 1234",
        "138-0000-1234",
        "+86 13800001234",
        "+86-138-0000-1234",
        "(+86)13800001234",
        "（+86）138 0000 1234",  # full-width brackets
        "１３８００００１２３４",  # full-width digits
        "+８６ １３８００００１２３４",
        "86 13800001234",
        "0086 13800001234",
        "008613800001234",
        " 13800001234\u00a0",  # a no-break space copied from a web page
    ):
        assert comparable_phone(written) == "8613800001234", written


def test_what_is_not_a_comparable_mobile() -> None:
    assert comparable_phone("") is None
    assert comparable_phone("+") is None
    assert comparable_phone("138 0000 123") is None  # ten digits: no country, no mainland mobile
    assert comparable_phone("0592-5123456") is None  # a landline with its area code: local
    assert comparable_phone("138０000１234x") is None
    assert comparable_phone("+852 6123 4567") == "85261234567"  # Hong Kong, as WeCom writes it
