"""A department as a command names it (handlers/org_names.py): the same name or alias given to
two departments is listed to choose from, not one of them taken."""

from __future__ import annotations

import pytest

from bot.domain.errors import AmbiguousDepartment
from bot.domain.org import Department, Directory
from handlers.org_names import department_and_rest

MARKET = Department("market", "市场监督管理局", "Market Regulation", aliases=("市监局",))
# a second bureau the same short name was given (a county's, say): nothing stops it in the sheet
COUNTY_MARKET = Department(
    "county_market", "县市场监督管理局", "County Market Regulation", aliases=("市监局",)
)
TAX = Department("tax", "税务局", "Tax Bureau")
TAX_OFFICE = Department("tax_office", "税务所", "Tax Office", aliases=("tax",))


def _directory(*departments: Department) -> Directory:
    return Directory.build(departments, [], {})


@pytest.mark.parametrize("order", [(MARKET, COUNTY_MARKET, TAX), (TAX, COUNTY_MARKET, MARKET)])
def test_an_alias_two_departments_share_lists_both_instead_of_taking_one(
    order: tuple[Department, ...],
) -> None:
    directory = _directory(*order)
    with pytest.raises(AmbiguousDepartment) as refused:
        department_and_rest("市监局 属于市场监管", directory, "zh-CN")
    candidates = refused.value.params["candidates"]
    assert "market（市场监督管理局）" in candidates
    assert "county_market（县市场监督管理局）" in candidates
    assert refused.value.params["name"] == "市监局"


def test_a_shared_alias_does_not_stand_in_the_way_of_a_longer_name() -> None:
    directory = _directory(MARKET, COUNTY_MARKET)
    assert department_and_rest("县市场监督管理局 原因", directory, "zh-CN") == ("county_market", "原因")


@pytest.mark.parametrize("order", [(TAX, TAX_OFFICE), (TAX_OFFICE, TAX)])
def test_a_departments_own_id_wins_over_the_same_word_as_anothers_alias(
    order: tuple[Department, Department],
) -> None:
    directory = _directory(*order)
    assert department_and_rest("tax 原因", directory, "en") == ("tax", "原因")
    assert department_and_rest("Tax Office 原因", directory, "en") == ("tax_office", "原因")


def test_an_alias_only_one_department_has_is_taken() -> None:
    assert department_and_rest("市监局 原因", _directory(MARKET, TAX), "zh-CN") == ("market", "原因")
