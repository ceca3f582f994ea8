"""Bot text in zh-CN and en catalogues. Handlers ask for a key; they never hold text themselves."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh-CN", "en")
_HERE = Path(__file__).parent


def normalize_lang(code: str | None, default: str = "zh-CN") -> str:
    """Map a platform language code (zh-hans, zh-TW, en-GB, ...) onto a catalogue we have."""
    if not code:
        return default
    lowered = code.lower()
    if lowered.startswith("zh"):
        return "zh-CN"
    if lowered.startswith("en"):
        return "en"
    return default


# libyaml's loader where PyYAML was built with it: the two catalogues load in ~15 ms of CPU
# instead of ~180 (the first message a process answers waited for them)
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def catalogue(lang: str) -> dict[str, str]:
    with (_HERE / f"{lang}.yaml").open(encoding="utf-8") as f:
        return _flatten(yaml.load(f, Loader=_LOADER))  # a safe loader either way


def load_catalogues() -> None:
    """Every language's catalogue read now rather than for the first message said in it."""
    for lang in LANGUAGES:
        catalogue(lang)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


# A language code as callers pass it (a person's, an officer's, "zh-CN") -> its catalogue, found
# once per code: `t` is called for every line of every reply (a sweep's messages call it 600 times),
# and normalising the code and asking the cache each time was a third of its cost. Codes come from
# platforms and settings, a handful in practice; past the cap a code is simply resolved each time.
_BY_CODE: dict[str | None, dict[str, str]] = {}
_CODES_KEPT = 64


def _texts(lang: str | None) -> dict[str, str]:
    texts = _BY_CODE.get(lang)
    if texts is None:
        texts = catalogue(normalize_lang(lang))
        if len(_BY_CODE) < _CODES_KEPT:
            _BY_CODE[lang] = texts
    return texts


def t(lang: str, key: str, **params: Any) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled. A key missing from a
    catalogue is a bug the catalogue test catches; at run time it falls back to Chinese."""
    template = _texts(lang).get(key) or catalogue("zh-CN").get(key)
    if template is None:
        raise KeyError(f"no text for {key!r}")
    return template.format(**params) if params else template


def tn(lang: str, key: str, count: int, **params: Any) -> str:
    """`t` for a phrase about `count` things: `key.one` for one, else `key.other` (English has two
    forms; Chinese says both alike)."""
    return t(lang, f"{key}.{'one' if count == 1 else 'other'}", count=count, **params)
