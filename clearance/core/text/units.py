"""How texts are cut into words: whitespace for scripts that write spaces, a segmenter for those that do not.

Chinese, Japanese, Thai and a few other scripts write no spaces between words, so counting
whitespace-separated words measures clauses, not words. The unit is decided once per corpus, when
the data is prepared (``decide``), recorded in data/prepared/summary.json, and every statistic of
steps 1 and 2 (lengths, vocabulary, indicative tokens, the keyword rule, TF-IDF's word features,
near-duplicate keys) uses it.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from clearance.core.errors import UserError

SETTING = "inspect.word_unit"
WHITESPACE, JIEBA, CHARACTERS = "whitespace", "jieba", "characters"
UNITS = (WHITESPACE, JIEBA, CHARACTERS)
CHOICES = ("auto", *UNITS)
# The segmenter behind each unit that needs one: its import name and how to install it.
SEGMENTERS = {JIEBA: ("rjieba", "pip install rjieba")}

# Letters by script, as code-point ranges. "spaceless" scripts write no spaces between words.
SCRIPTS: dict[str, str] = {
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
    "kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "thai": "\u0e00-\u0e7f",
    "lao": "\u0e80-\u0eff",
    "khmer": "\u1780-\u17ff",
    "myanmar": "\u1000-\u109f",
    "hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
    "latin": "A-Za-z\u00c0-\u024f",
    "cyrillic": "\u0400-\u04ff",
    "arabic": "\u0600-\u06ff\u0750-\u077f",
    "greek": "\u0370-\u03ff",
    "devanagari": "\u0900-\u097f",
    "hebrew": "\u0590-\u05ff",
}
SPACELESS = ("han", "kana", "thai", "lao", "khmer", "myanmar")
SPACELESS_CLASS = "".join(SCRIPTS[s] for s in SPACELESS)
# Words: a run of word characters (a leading # or @ kept: "#fail" says more than "fail"), except
# that each character of a spaceless script stands alone when no segmenter cuts them.
CHARACTER_TOKEN = re.compile(rf"[{SPACELESS_CLASS}]|[#@]?(?:(?![{SPACELESS_CLASS}])\w)+")
# Whitespace between two spaceless characters is not a word boundary ("好 用" reads as "好用").
INNER_SPACE = re.compile(rf"(?<=[{SPACELESS_CLASS}])\s+(?=[{SPACELESS_CLASS}])")
HAS_WORD_CHAR = re.compile(r"\w")
# The pattern whitespace-separated text is counted with (scikit-learn's token_pattern).
WORD_PATTERN = r"(?u)[#@]?\b\w+\b"
DETECTION_SAMPLE = 2000  # texts read to decide the unit: enough for stable script shares, fast at 1M rows
DETECTION_CHARS = 2_000  # characters of each text read to tell its script
SPACELESS_MIN = 0.5  # share of letters in spaceless scripts from which whitespace stops meaning "word"


@dataclass(frozen=True)
class WordUnit:
    """A way to cut text into lower-cased words; callable as a scikit-learn ``tokenizer``."""

    name: str

    @property
    def spaced(self) -> bool:
        """Whether words are what lies between spaces (and punctuation)."""
        return self.name == WHITESPACE

    def __call__(self, text: str) -> list[str]:
        return self.words(text)

    def words(self, text: str) -> list[str]:
        """The words of one text, lower-cased, punctuation and spaces left out."""
        text = str(text).lower()
        if self.name == WHITESPACE:
            return re.findall(WORD_PATTERN, text)
        text = INNER_SPACE.sub("", text)
        if self.name == CHARACTERS:
            return CHARACTER_TOKEN.findall(text)
        return [w for w in (piece.strip() for piece in _segmenter(self.name)(text)) if HAS_WORD_CHAR.search(w)]

    def count(self, texts: pd.Series) -> pd.Series:
        """Words per text (integers, same index)."""
        texts = texts.astype("string").fillna("")
        if self.name == WHITESPACE:
            return texts.str.count(r"\S+").astype(int)  # as before segmenters existed: whitespace-separated runs
        return texts.map(lambda t: len(self.words(t))).astype(int)

    def vectorizer_args(self) -> dict[str, Any]:
        """Arguments for scikit-learn's CountVectorizer/TfidfVectorizer that count this unit's words."""
        if self.name == WHITESPACE:
            return {"token_pattern": WORD_PATTERN}
        return {"tokenizer": self, "token_pattern": None}


@dataclass(frozen=True)
class UnitChoice:
    """The unit a corpus is measured in, the setting it came from, why, and the script mix seen."""

    unit: str
    setting: str
    reason: str
    scripts: dict[str, float]  # share of letters per script in the texts read

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "setting": self.setting, "reason": self.reason, "scripts": self.scripts}


def script_shares(texts: pd.Series) -> dict[str, float]:
    """Share of letters in each script (scripts under 1% left out), ``other`` for letters of none listed.

    A script's marks (Thai vowels, say) count with its letters, so shares add up to 1.
    """
    joined = "".join(texts.astype("string").fillna("").tolist())
    counts = {name: len(re.findall(f"[{chars}]", joined)) for name, chars in SCRIPTS.items()}
    rest = re.sub("[" + "".join(SCRIPTS.values()) + "]", "", joined)
    counts["other"] = len(re.findall(r"[^\W\d_]", rest))
    total = sum(counts.values())
    if not total:
        return {}
    shares = {name: round(n / total, 4) for name, n in sorted(counts.items(), key=lambda kv: -kv[1])}
    return {name: share for name, share in shares.items() if share >= 0.01}


def decide(texts: pd.Series, setting: str = "auto") -> UnitChoice:
    """The word unit for a corpus: ``setting`` when it names one, else chosen from the scripts its letters use."""
    if setting not in CHOICES:
        raise UserError(f"{SETTING}={setting}", "is not a word unit",
                        f"set {SETTING} to one of {', '.join(CHOICES)} (conf/inspect/default.yaml)")
    sample = texts.head(DETECTION_SAMPLE) if len(texts) <= DETECTION_SAMPLE else texts.sample(
        n=DETECTION_SAMPLE, random_state=0)
    # Each text's opening tells its script: one huge text neither outweighs the others nor costs a scan of it all.
    shares = script_shares(sample.astype("string").fillna("").str.slice(0, DETECTION_CHARS))
    if setting != "auto":
        require(setting)
        return UnitChoice(setting, setting, f"set in {SETTING}", shares)
    spaceless = sum(shares.get(s, 0.0) for s in SPACELESS)
    mix = ", ".join(f"{name} {share:.0%}" for name, share in list(shares.items())[:3]) or "no letters"
    if spaceless < SPACELESS_MIN:
        return UnitChoice(WHITESPACE, "auto", f"{1 - spaceless:.0%} of letters are in scripts that put spaces "
                          f"between words ({mix})", shares)
    han_led = shares.get("han", 0.0) >= 0.5 * spaceless and shares.get("kana", 0.0) < 0.05
    if han_led and installed(JIEBA):
        return UnitChoice(JIEBA, "auto", f"{spaceless:.0%} of letters are in scripts written without spaces, "
                          f"mostly Chinese characters ({mix}): words cut by jieba's Chinese dictionary", shares)
    why = ("mostly Chinese characters, but the segmenter is not installed (pip install rjieba)" if han_led
           else "and no built-in segmenter fits them")
    return UnitChoice(CHARACTERS, "auto", f"{spaceless:.0%} of letters are in scripts written without spaces "
                      f"({mix}), {why}: each of their characters counts as a word", shares)


def installed(unit: str) -> bool:
    """Whether the segmenter a unit needs can be imported (whitespace and characters need none)."""
    return unit not in SEGMENTERS or importlib.util.find_spec(SEGMENTERS[unit][0]) is not None


def require(unit: str) -> None:
    """Stop, naming the setting and the package, when a named unit's segmenter is missing."""
    if not installed(unit):
        package, command = SEGMENTERS[unit]
        raise UserError(f"{SETTING}={unit}", f"needs the segmenter package `{package}`, which is not installed",
                        f"run `{command}` (it is a dependency of clearance: `make install` installs it), or set "
                        f"{SETTING} to characters or auto")


def unit_of(summary: dict[str, Any]) -> WordUnit:
    """The unit recorded in data/prepared/summary.json (its ``words`` entry)."""
    return WordUnit(summary["words"]["unit"])


@lru_cache(maxsize=None)
def _segmenter(name: str) -> Any:
    """The segmenting function of a unit, imported once."""
    require(name)
    import rjieba  # jieba's dictionary and algorithm in Rust: ~28x faster than jieba with the same cuts

    return rjieba.cut
