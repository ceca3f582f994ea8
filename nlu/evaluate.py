"""Scoring a backend against labelled messages (the `xiaoer nlu eval` report)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.categories import CATEGORIES, INTENTS
from nlu.types import ENTITY_KEYS, Parse


@dataclass
class Report:
    total: int = 0
    intent_correct: int = 0
    urgent_correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    category_pairs: list[tuple[str, str | None]] = field(default_factory=list)
    entity_counts: dict[str, Counter[str]] = field(default_factory=dict)  # key -> tp / fp / fn
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.total if self.total else 0.0

    @property
    def urgent_accuracy(self) -> float:
        return self.urgent_correct / self.total if self.total else 0.0

    def category_f1(self) -> dict[str, float]:
        scores = {}
        for category in CATEGORIES:
            tp = sum(1 for g, p in self.category_pairs if g == category and p == category)
            fp = sum(1 for g, p in self.category_pairs if g != category and p == category)
            fn = sum(1 for g, p in self.category_pairs if g == category and p != category)
            if tp + fp + fn:
                scores[category] = 2 * tp / (2 * tp + fp + fn)
        return scores

    @property
    def category_macro_f1(self) -> float:
        scores = self.category_f1()
        return sum(scores.values()) / len(scores) if scores else 0.0

    def entity_scores(self) -> dict[str, tuple[float, float, float, int]]:
        """key -> (precision, recall, F1, gold count)."""
        scores = {}
        for key in ENTITY_KEYS:
            counts = self.entity_counts.get(key, Counter())
            tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
            if not (tp or fp or fn):
                continue
            precision = tp / (tp + fp) if tp + fp else 1.0
            recall = tp / (tp + fn) if tp + fn else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            scores[key] = (precision, recall, f1, tp + fn)
        return scores

    def latency(self, quantile: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] if ordered else 0.0


def score(gold: dict[str, Any], parse: Parse, report: Report, elapsed_ms: float) -> None:
    report.total += 1
    report.latencies_ms.append(elapsed_ms)
    report.confusion[(gold["intent"], parse.intent)] += 1
    report.intent_correct += gold["intent"] == parse.intent
    report.urgent_correct += bool(gold.get("urgent")) == parse.urgent
    if gold.get("category"):
        report.category_pairs.append((gold["category"], parse.category))
    elif parse.category:
        report.category_pairs.append(("", parse.category))
    gold_entities = gold.get("entities") or {}
    for key in ENTITY_KEYS:
        counts = report.entity_counts.setdefault(key, Counter())
        expected, got = gold_entities.get(key), parse.entities.get(key)
        if expected is not None and got is not None and expected == got:
            counts["tp"] += 1
        else:
            if got is not None:
                counts["fp"] += 1
            if expected is not None:
                counts["fn"] += 1


def evaluate(backend_parse: Any, rows: Iterable[dict[str, Any]]) -> Report:
    report = Report()
    for row in rows:
        start = time.perf_counter()
        parse = backend_parse(row["text"])
        score(row, parse, report, (time.perf_counter() - start) * 1000)
    return report


def format_report(report: Report) -> str:
    lines = [
        f"messages: {report.total}",
        f"intent accuracy: {report.intent_accuracy:.4f}",
        f"category macro-F1: {report.category_macro_f1:.4f}",
        f"urgency accuracy: {report.urgent_accuracy:.4f}",
        "entities (precision / recall / F1 / gold):",
    ]
    for key, (p, r, f1, n) in report.entity_scores().items():
        lines.append(f"  {key:<13} {p:.4f} / {r:.4f} / {f1:.4f} / {n}")
    lines.append("category F1: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(report.category_f1().items())))
    present = [i for i in INTENTS if any(g == i or p == i for g, p in report.confusion)]
    width = max(len(i) for i in present) if present else 10
    lines.append("confusion (rows gold, columns predicted):")
    lines.append(" " * (width + 1) + " ".join(f"{i[:6]:>6}" for i in present))
    for gold in present:
        cells = " ".join(f"{report.confusion[(gold, p)]:>6}" for p in present)
        lines.append(f"{gold:<{width}} {cells}")
    lines.append(f"latency p50: {report.latency(0.5):.3f} ms, p99: {report.latency(0.99):.3f} ms")
    return "\n".join(lines)


def read_jsonl(lines: Sequence[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.strip()]
