"""Group posts mask ID-card and bank-account numbers beside phones; phone numbers compare in one form."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.phones import comparable_phone
from handlers.render import mask_private
from nlu import entities


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


# Digits, every separator a phone number may hold, what ticket references and credit codes are
# made of (those are taken out before phones are looked for), the words before a local number,
# and full-width forms that fold to all of these.
_PIECES = st.sampled_from(
    [
        *"0123456789",
        *"0123456789",
        *" -()+#＃:：１３８－（）\u3000\n\tAMX月日，",
        *("工单", "号", "编号", "电话", "tel", "no.", "ticket"),
    ]
)


# Phone numbers as written (and nearly: a digit short, a separator doubled), each separator
# one of those a number may hold or one it may not.
_SEPARATOR = "([ \\n\\t\u3000\\-－()（）]|[:#]|  )?"
_NUMBER_LIKE = st.from_regex(
    rf"(\+86|0086|86)?{_SEPARATOR}1[3-9][0-9]{_SEPARATOR}[0-9]{{3,4}}{_SEPARATOR}[0-9]{{3,4}}"
    rf"|\(?0[0-9]{{2,3}}\)?{_SEPARATOR}[0-9]{{3,4}}{_SEPARATOR}[0-9]{{4}}"
    rf"|[48]00{_SEPARATOR}[0-9]{{3}}{_SEPARATOR}[0-9]{{4}}"
    rf"|\+[0-9]{{1,3}}{_SEPARATOR}[0-9]{{2,4}}{_SEPARATOR}[0-9]{{2,4}}{_SEPARATOR}[0-9]{{2,4}}"
    rf"|(电话|tel)[:：]?[2-9][0-9]{{5,7}}",
    fullmatch=True,
)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_PIECES, _NUMBER_LIKE), max_size=30).map("".join))
def test_the_quick_look_for_digits_never_hides_a_phone_number(text: str) -> None:
    """`phones` gives up on a text without seven digits set apart only by separators: what it
    finds is what it finds when it looks at every text in full."""
    found = [(span.value, span.start, span.end) for span in entities.phones(text)]
    extracted = entities.extract(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(entities, "_MAYBE_PHONE", re.compile(""))  # matches every text: no quick look
        in_full = [(span.value, span.start, span.end) for span in entities.phones(text)]
        extracted_in_full = entities.extract(text)
    assert found == in_full
    assert extracted == extracted_in_full  # the NLU's own look (after codes and tickets) too


def test_a_group_post_with_dates_and_ticket_numbers_but_no_phone_is_left_as_it_is() -> None:
    post = "📥 新工单 #12 · 未认证企业\n提交：12月07日 22:38\n响应时限：12月08日 14:30\n发送 /take 12 签收。"
    assert entities._MAYBE_PHONE.search(entities.normalize(post)) is None
    assert mask_private(post) == post
    assert mask_private(post + "\n电话 138 0000 1234") == post + "\n电话 138****1234"


@pytest.mark.parametrize("separator", [" ", "-", "\n", "\t", "\r", "\u3000", "－", "\u00a0"], ids=repr)
def test_a_number_split_by_any_separator_a_phone_may_hold_is_still_looked_at(separator: str) -> None:
    for number in (f"138{separator}0000{separator}1234", f"010{separator}6512{separator}3456"):
        assert entities.phones(number), number
        assert "****" in mask_private(f"请联系 {number}")
