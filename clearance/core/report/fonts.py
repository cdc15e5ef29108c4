"""Fonts for the PNG plots: a fallback chain that covers the scripts of the data, and keys for the rest.

Matplotlib draws with one family unless given a list (>= 3.6), and warns "Glyph … missing from
font(s)" for every character its fonts lack. ``chain()`` puts an installed font for each script
of ``SAMPLES`` that matplotlib's own DejaVu Sans (Latin, Greek, Cyrillic, Hebrew, basic Arabic)
lacks behind it: Noto Sans CJK from Debian's fonts-noto-cjk, Noto Sans Thai from fonts-noto-core …
``drawable`` says whether a text has a glyph in that chain (right-to-left and Indic text only where
matplotlib shapes it, >= 3.11); ``keyed`` swaps labels that have none for short keys ("class 1",
"token 3") that the report's tables explain. Nothing is read before the first call.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

BASE = "DejaVu Sans"  # ships with matplotlib: always there, and its default
# One sample per script the chain looks for; a font joins the chain when it has every sample character.
SAMPLES = {
    "Han": "中文字漢語", "Kana": "ひらがなカタカナ", "Hangul": "한국어", "Thai": "ภาษาไทย",
    "Arabic": "العربية", "Hebrew": "עברית", "Devanagari": "हिन्दी",
}
# Words in a font file's name that mark a variant (weight, width, style): the regular face is preferred.
VARIANTS = ("Bold", "Italic", "Oblique", "Light", "Thin", "Black", "Medium", "Heavy", "Condensed", "Semi",
            "Extra", "Demi", "Mono", "Serif", "Display", "Slanted")
# Matplotlib's Last Resort font maps every code point to a box naming its block: a fallback, not a glyph.
EXCLUDED = ("LastResort",)
# Characters matplotlib lays out without a glyph of their own.
LAYOUT = frozenset("\n")

F = TypeVar("F", bound=Callable[..., Any])


class Font(NamedTuple):
    """One link of the chain: the family matplotlib knows it by, and the file (and face) it resolves to."""

    family: str
    path: str
    index: int = 0


def _shapes_text() -> bool:
    """Whether matplotlib shapes text (bidi, joining, marks): it lays out with libraqm since 3.11."""
    import matplotlib

    major, minor = re.match(r"(\d+)\.(\d+)", matplotlib.__version__).groups()
    return (int(major), int(minor)) >= (3, 11)


def _needs_shaping(char: str) -> bool:
    # Right-to-left letters and Indic clusters come out unjoined and in the wrong order without shaping.
    return unicodedata.bidirectional(char) in ("R", "AL") or "\u0900" <= char <= "\u0dff"


@functools.cache
def _codepoints(path: str, index: int = 0) -> frozenset[int]:
    """The code points a font file maps to glyphs (empty when matplotlib cannot use it for text)."""
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(path, face_index=index) if index else ft2font.FT2Font(path)
    except (OSError, RuntimeError, ValueError, TypeError):
        return frozenset()
    if not font.scalable:  # bitmap-only (colour emoji): matplotlib cannot scale it
        return frozenset()
    return frozenset(font.get_charmap())


def _rank(path: str) -> tuple[int, int, str, str]:
    """Sort key of a candidate file: regular faces first, then Noto Sans, other sans, the rest."""
    name = Path(path).stem
    variant = any(word in name for word in VARIANTS)
    family = 0 if name.startswith("NotoSans") else 1 if "Sans" in name else 2
    return int(variant), family, name, path


def _candidates() -> list[str]:
    """Every font file matplotlib knows or the system has, best first.

    The system's files count too: matplotlib caches its font list, so a font installed after
    that cache was written (``apt-get install fonts-noto-cjk``) is missing from it.
    """
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    paths = known | set(font_manager.findSystemFonts())
    return sorted((p for p in paths if not Path(p).name.startswith(EXCLUDED)), key=_rank)


def _covers(path: str, sample: str) -> bool:
    return all(ord(c) in _codepoints(path) for c in sample)


def _script_fonts() -> list[str]:
    """The first candidate file that covers each script, in the order of ``SAMPLES``."""
    base = _codepoints(_resolve(BASE).path)
    missing = [s for s in SAMPLES.values() if not all(ord(c) in base for c in s)]
    chosen: list[str] = []
    for path in _candidates():
        if not missing:
            break
        covered = [s for s in missing if _covers(path, s)]
        if covered:
            chosen.append(path)
            missing = [s for s in missing if s not in covered]
    return chosen


def _family_of(path: str) -> str:
    """The family name matplotlib knows a file by, registering the file first when it does not know it."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    names = [e.name for e in manager.ttflist if e.fname == path]
    if not names:
        manager.addfont(path)
        names = [e.name for e in manager.ttflist if e.fname == path]
    # A collection of faces (NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK): Chinese forms of the Han
    # characters, as the HTML reports' font stack names them; the first face where there is no SC.
    return min(names, key=lambda name: not name.endswith(" SC"))


def _resolve(family: str) -> Font:
    """The file (and face) matplotlib draws ``family`` with: the chain's glyphs are that file's."""
    from matplotlib import font_manager

    found = font_manager.fontManager.findfont(font_manager.FontProperties(family=[family]),
                                              fallback_to_default=False)
    return Font(family, str(found), getattr(found, "face_index", 0))


@functools.cache
def chain() -> tuple[Font, ...]:
    """DejaVu Sans, then one installed font per script it lacks (read once per process)."""
    fonts = [_resolve(BASE)]
    for path in _script_fonts():
        try:
            font = _resolve(_family_of(path))
        except (OSError, RuntimeError, ValueError):
            continue  # matplotlib cannot register or find it: its script stays with the keys
        if font.family not in [f.family for f in fonts]:
            fonts.append(font)
    return tuple(fonts)


def families() -> list[str]:
    """The chain's family names, for matplotlib's ``font.family`` (it falls back glyph by glyph)."""
    return [font.family for font in chain()]


def drawable(text: str) -> bool:
    """True when every character of ``text`` has a glyph in the chain (and is drawn in the right order)."""
    maps = [_codepoints(font.path, font.index) for font in chain()]
    shaped = _shapes_text()
    return all(c in LAYOUT or (any(ord(c) in m for m in maps) and (shaped or not _needs_shaping(c)))
               for c in str(text))


def keyed(labels: Iterable[Any], kind: str) -> dict[str, str]:
    """Each distinct label -> what a figure shows for it: itself, or "<kind> <n>" when it is not drawable.

    ``n`` is the label's place (from 1) among the distinct labels in the order given, the order
    of the report's table, so the key is found there whichever labels needed one.
    """
    distinct = list(dict.fromkeys(str(label) for label in labels))
    return {text: text if drawable(text) else f"{kind} {n}" for n, text in enumerate(distinct, 1)}


def safe(text: Any) -> str:
    """``text`` with each character the chain cannot draw written as its code (\\u4e2d): for names, not data."""
    text = str(text)
    if drawable(text):
        return text
    return "".join(c if drawable(c) else f"\\u{ord(c):04x}" for c in text)


def with_chain(draw: F) -> F:
    """Run a drawing function with the chain as matplotlib's font family (restored afterwards)."""

    @functools.wraps(draw)
    def drawing(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        with matplotlib.rc_context({"font.family": families()}):
            return draw(*args, **kwargs)

    return drawing  # type: ignore[return-value]
