"""`similarity_to(a)` scores each text as `similarity(a, ·)` does (the shared-problem check
compares one new demand with sixty recent ones through it)."""

from __future__ import annotations

from bot.domain.similarity import similarity, similarity_to

TEXTS = [
    "园区限电，生产线停了",
    "园区又限电了，我们的线停了",
    "我们公司急需一笔200万的流动资金贷款",
    "Power cut in the park, our line stopped",
    "power cut again in the PARK",
    "我们公司",  # common words only: no shingles, alike to nothing
    "",
]


def test_similarity_to_a_text_is_its_similarity_with_each_other_text() -> None:
    for a in TEXTS:
        to_a = similarity_to(a)
        assert [to_a(b) for b in TEXTS] == [similarity(a, b) for b in TEXTS]
    assert similarity_to(TEXTS[0])(TEXTS[1]) > 0.3 > similarity_to(TEXTS[0])(TEXTS[2])
