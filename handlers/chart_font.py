"""Finding a font that can draw Chinese. A machine may have none: callers then draw in English.

Looked for among the fonts matplotlib knows and the system's font files (matplotlib's own list is
cached on disk and may predate a font installed since), by the glyphs a font really has, so any
font covering the text will do; families known to carry Chinese are tried first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

# Families known to carry Chinese glyphs, tried first (any font covering the labels will do).
_CJK_FAMILIES = (
    "noto sans cjk",
    "noto serif cjk",
    "source han",
    "wenquanyi",
    "wqy",
    "droid sans fallback",
    "ar pl",
    "simhei",
    "simsun",
    "microsoft yahei",
    "pingfang",
    "hiragino sans gb",
    "heiti",
    "songti",
    "sarasa",
)
_SAMPLE = "企业服务专线工作报告受理量按类别考核指标"  # a font that lacks these is no use to us

FontLookup = Callable[[str], str | None]


def cjk_font(text: str) -> str | None:
    """A font file with a glyph for every character of `text`, or None."""
    wanted = {ord(ch) for ch in text if not ch.isspace()}
    for path, charmap in _cjk_candidates():
        if wanted <= charmap:
            return path
    return None


@cache
def _cjk_candidates() -> tuple[tuple[str, frozenset[int]], ...]:
    """Font files with the sample's Chinese glyphs, with their glyphs; looked up once per process."""
    from matplotlib import font_manager

    known = {entry.fname: entry.name for entry in font_manager.fontManager.ttflist}
    paths = dict.fromkeys([*known, *font_manager.findSystemFonts()])

    def likely_cjk(path: str) -> bool:
        name = f"{known.get(path, '')} {path}".lower()
        return any(family in name for family in _CJK_FAMILIES)

    sample = {ord(ch) for ch in _SAMPLE}
    likely = [p for p in paths if likely_cjk(p)]
    return _covering(sorted(likely), sample) or _covering(sorted(set(paths) - set(likely)), sample)


def _covering(paths: list[str], sample: set[int]) -> tuple[tuple[str, frozenset[int]], ...]:
    from matplotlib.ft2font import FT2Font

    found = []
    for path in paths:
        try:
            glyphs = FT2Font(path).get_charmap()
        except (OSError, RuntimeError, ValueError):  # unreadable, or not a font after all
            continue
        # A "last resort" font (matplotlib 3.11 ships one) maps every character of a script to one
        # placeholder box: it covers everything and draws nothing. Real glyphs differ.
        if sample <= glyphs.keys() and len({glyphs[ch] for ch in sample}) == len(sample):
            found.append((path, frozenset(glyphs)))
    return tuple(found)
