"""Reading training data in Rasa's YAML NLU format (`nlu/data/*.yml`).

Labels beyond the intent ride in block metadata: `category` and `urgent`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    category: str | None
    urgent: bool | None


def load_examples(directory: Path = DATA_DIR) -> list[Example]:
    examples: list[Example] = []
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []):
            if "intent" not in block:
                continue  # synonyms, lookup tables: not used by the builtin model
            metadata = block.get("metadata") or {}
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip()
                if not text.startswith("- "):
                    continue
                examples.append(
                    Example(
                        text=text[2:].strip(),
                        intent=block["intent"],
                        category=metadata.get("category"),
                        urgent=metadata.get("urgent"),
                    )
                )
    return examples


def data_fingerprint(directory: Path = DATA_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
