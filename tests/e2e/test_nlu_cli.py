"""`xiaoer nlu parse | eval | train` as scripts use them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_shell import xiaoer

KEYS = ["text", "lang", "intent", "confidence", "category", "urgent", "entities"]


def test_parse_writes_one_object_per_line_with_exactly_the_keys(tmp_path: Path) -> None:
    lines = [
        "我们公司急需一笔200万的流动资金贷款，电话0592-5678123",
        json.dumps({"text": "工单42进度怎么样了？", "id": 7}, ensure_ascii=False),
        "hello, what can you do?",
    ]
    result = xiaoer("nlu", "parse", stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(p) for p in parsed] == [KEYS] * 3
    assert parsed[0]["entities"] == {"amount_yuan": 2000000, "phone": "05925678123"}
    assert (parsed[0]["intent"], parsed[0]["category"], parsed[0]["urgent"]) == (
        "report_demand",
        "finance",
        True,
    )
    assert parsed[1]["entities"] == {"ticket_ref": 42}
    assert (parsed[1]["text"], parsed[1]["category"]) == ("工单42进度怎么样了？", None)
    assert parsed[2]["lang"] == "en"


def test_parse_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    result = xiaoer("nlu", "parse", stdin='{"txt": 1}\n你好\n', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "line 1" in result.stderr
    error, parsed = (json.loads(line) for line in result.stdout.splitlines())
    assert error == {"line": 1, "error": 'a JSON line needs a string field "text"'}
    assert parsed["text"] == "你好"


def test_parse_never_fails_on_hostile_lines(tmp_path: Path) -> None:
    lines = [
        "贷款" + "9" * 309 + "万元",  # raised OverflowError and ended the batch
        "1," * 2000,
        "RMB " + "1," * 2000,
        '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}",  # too deep for the JSON reader
        json.dumps({"text": ["not", "text"]}),
        "工单42进度？",
    ]
    result = xiaoer("nlu", "parse", stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == len(lines)  # one output line for each input line, in order
    assert [sorted(o) for o in objects[:3]] == [sorted(KEYS)] * 3
    assert "amount_yuan" not in objects[0]["entities"]
    assert objects[3]["line"] == 4
    assert "error" in objects[3]
    assert objects[4] == {"line": 5, "error": 'a JSON line needs a string field "text"'}
    assert objects[5]["entities"] == {"ticket_ref": 42}


def test_eval_prints_the_report(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "text": "工单3进度？",
            "lang": "zh",
            "intent": "query_status",
            "category": None,
            "urgent": False,
            "entities": {"ticket_ref": 3},
        },
        {
            "text": "急需贷款500万",
            "lang": "zh",
            "intent": "report_demand",
            "category": "finance",
            "urgent": True,
            "entities": {"amount_yuan": 5000000},
        },
    ]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    result = xiaoer("nlu", "eval", str(gold), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for heading in (
        "intent accuracy:",
        "category macro-F1:",
        "urgency accuracy:",
        "ticket_ref",
        "confusion",
        "p99",
    ):
        assert heading in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n', encoding="utf-8")
    refused = xiaoer("nlu", "eval", str(bad), cwd=tmp_path)
    assert refused.returncode == 2
    assert "bad.jsonl:1: missing intent" in refused.stderr


def test_train_writes_a_model(tmp_path: Path) -> None:
    target = tmp_path / "model.npz"
    result = xiaoer("nlu", "train", "--out", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 100_000
    assert "trained on" in result.stdout


def test_parse_takes_any_bytes_and_brace_lines(tmp_path: Path) -> None:
    data = (
        "\ufeff{紧急} 工厂停电了\n".encode()
        + b"\xb4\xfb\xbf\xee \xe8\xb4\xb7\xe6\xac\xbe\n"
        + b'{"text": ""}\n'
    )
    result = xiaoer("nlu", "parse", stdin=data, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "line 3: the text is empty" in result.stderr
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    assert parsed[0]["text"] == "{紧急} 工厂停电了"
    assert parsed[2] == {"line": 3, "error": "the text is empty"}
    assert len(parsed) == 3
