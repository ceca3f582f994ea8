"""`xiaoer nlu …`: parse messages, evaluate against labelled data, rebuild the builtin model."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli_common import fail, settings_of, training_shown
from bot.domain.text import storable
from nlu.types import NluBackend, NluUnavailable, Parse

if TYPE_CHECKING:
    from bot.config import Settings
    from nlu.evaluate import Report

nlu_app = typer.Typer(
    help="Message understanding: parse, evaluate, train.", no_args_is_help=True, rich_markup_mode=None
)


def register(app: typer.Typer) -> None:
    app.add_typer(nlu_app, name="nlu")


def _backend(settings: Settings) -> NluBackend:
    from bot.bootstrap import build_nlu

    with training_shown() as on_build:
        return build_nlu(settings, on_build=on_build)


@nlu_app.command("parse")
def nlu_parse(ctx: typer.Context) -> None:
    """Read messages from stdin (plain lines, or JSON objects with a "text" field) and write one
    JSON object per line: text, lang, intent, confidence, category, urgent, entities."""
    status = run_parse(_backend(settings_of(ctx)))
    raise typer.Exit(status)


@nlu_app.command("eval")
def nlu_eval(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE.jsonl", hidden=True),  # described below
) -> None:
    """Score the configured backend on labelled messages: accuracy, macro-F1, entities, latency.

    FILE.jsonl: JSON lines with text, intent, category, urgent, entities."""
    from nlu.evaluate import format_report

    try:
        rows = read_labelled(file)
    except (OSError, ValueError) as exc:
        fail([f"xiaoer: cannot evaluate: {exc}"])
    backend = _backend(settings_of(ctx))
    try:
        report = asyncio.run(evaluate_rows(backend, rows))
    except NluUnavailable as exc:
        fail([f"xiaoer: the NLU backend did not answer: {exc}"])
    typer.echo(format_report(report))


@nlu_app.command("train")
def nlu_train(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", metavar="PATH", help="Where to write the model (default: the cache path)."
    ),
) -> None:
    """Rebuild the builtin model from nlu/data."""
    from rich.console import Console

    from nlu.builtin import build_model, default_model_path
    from nlu.training_data import load_examples

    settings = settings_of(ctx)
    target = out or (Path(settings.nlu.model_path) if settings.nlu.model_path else default_model_path())
    start = time.perf_counter()
    with Console(stderr=True).status("training the NLU model"):
        build_model(target)
    typer.echo(f"trained on {len(load_examples())} examples in {time.perf_counter() - start:.1f} s: {target}")


def parse_output(parse: Parse) -> dict[str, Any]:
    """The `xiaoer nlu parse` line: exactly these keys."""
    return {
        "text": parse.text,
        "lang": parse.lang,
        "intent": parse.intent,
        "confidence": round(parse.confidence, 4),
        "category": parse.category,
        "urgent": parse.urgent,
        "entities": dict(parse.entities),
    }


def _text_of(line: str) -> str:
    """A JSON object's "text", or the line itself: a line that merely starts with a brace
    ("{紧急} 工厂停电了") is plain text, not broken JSON."""
    stripped = line.strip().lstrip("\ufeff")
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError:
            if stripped.startswith('{"'):
                raise
            return stripped
        if not isinstance(document, dict) or not isinstance(document.get("text"), str):
            raise ValueError('a JSON line needs a string field "text"')
        return str(document["text"])
    return line.rstrip("\r\n").lstrip("\ufeff")


async def parse_lines(backend: NluBackend, lines: list[str], out: Any, err: Any) -> int:
    """Parse each line. A line that cannot be parsed gets an error object on its own output line
    (`{"line": N, "error": "..."}`, also told on stderr) and the batch goes on: no line of text
    makes the command fail. Returns the exit status: 2 only when the backend does not answer."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            text = storable(_text_of(line))
            if not text.strip():
                raise ValueError("the text is empty")
            parse = await backend.parse(text)
        except NluUnavailable as exc:
            err.write(f"line {number}: the NLU backend did not answer ({exc})\n")
            return 2
        except Exception as exc:  # whatever one line does, the others are still parsed
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            err.write(f"line {number}: {reason}\n")
            out.write(json.dumps({"line": number, "error": reason}, ensure_ascii=False) + "\n")
            continue
        out.write(json.dumps(parse_output(parse), ensure_ascii=False) + "\n")
    return 0


async def evaluate_rows(backend: NluBackend, rows: list[dict[str, Any]]) -> Report:
    from nlu.evaluate import Report, score

    report = Report()
    for row in rows:
        start = time.perf_counter()
        parse = await backend.parse(row["text"])
        score(row, parse, report, (time.perf_counter() - start) * 1000)
    return report


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Labelled lines for `eval`; raises ValueError naming the first bad line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        missing = [k for k in ("text", "intent") if not isinstance(row, dict) or k not in row]
        if missing:
            raise ValueError(f"{path}:{number}: missing {', '.join(missing)}")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no labelled lines")
    return rows


def run_parse(backend: NluBackend) -> int:
    # Any byte sequence in: a line in another encoding is parsed as best it can be, not fatal.
    source = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    return asyncio.run(parse_lines(backend, source.readlines(), sys.stdout, sys.stderr))
