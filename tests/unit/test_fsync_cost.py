"""benchmarks/fsync_cost.py: each transaction is timed, and nothing is left on disk."""

from pathlib import Path

from benchmarks.fsync_cost import percentile, transaction_times


def test_each_transaction_timed_in_order_and_its_database_removed(tmp_path: Path) -> None:
    times = transaction_times(str(tmp_path), "FULL", 5)
    assert len(times) == 5
    assert times == sorted(times)
    assert all(seconds > 0 for seconds in times)
    assert list(tmp_path.iterdir()) == []


def test_percentiles_pick_from_the_ordered_times() -> None:
    ordered = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(ordered, 0.5) == 3.0
    assert percentile(ordered, 0.0) == 1.0
    assert percentile(ordered, 0.99) == 5.0
