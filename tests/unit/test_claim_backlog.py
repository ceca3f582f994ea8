"""benchmarks/claim_backlog.py: the claims it reports, and storage left as it was."""

from benchmarks.claim_backlog import Claim, summary, watching_claims
from storage.policies_sql import SqlOutbox


def test_the_claim_is_wrapped_only_while_watched() -> None:
    claim = SqlOutbox.claim
    with watching_claims() as claims:
        assert SqlOutbox.claim is not claim
        assert claims == []
    assert SqlOutbox.claim is claim


def test_summary_compares_small_and_large_backlogs_and_skips_empty_claims() -> None:
    claims = [
        Claim(pending=10, taken=10, seconds=0.001),
        Claim(pending=20, taken=10, seconds=0.003),
        Claim(pending=300, taken=10, seconds=0.004),
        Claim(pending=0, taken=0, seconds=0.009),  # found nothing: not counted
    ]
    text = summary(claims)
    assert "claims 3, messages a claim 10.0" in text
    assert "median 20, p90 20, max 300" in text
    assert "2000 us with <50 pending (2 claims), 4000 us with >=200 (1 claims), ratio 2.0" in text


def test_summary_says_when_no_claim_took_anything() -> None:
    assert summary([Claim(pending=0, taken=0, seconds=0.001)]) == "no claim took a message"
