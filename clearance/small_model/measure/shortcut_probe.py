"""Step 3's shortcut probe, the pure part: each shortcut step 1 suspected (a token, a span, a surface property)
taken out of valid texts, or neutralised, and the model's answers on the texts it touched set against the same
texts intact.

Step 1's judging lists its suspects in reports/inspect/shortcuts.json; the stage (stages/probe_shortcuts.py,
through ``shortcut_run``) brings the model. Nothing here imports torch: a model is anything with
``predict(texts) -> DataFrame`` as ``clearance.neural.serving.TextPredictor`` has.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.task import MULTI_LABEL, REGRESSION
from clearance.core.text.patterns import PATTERNS
from clearance.core.text.units import WordUnit

TOKENS, SPAN, PROPERTY = "tokens", "span", "property"
LENGTHS = ("words", "chars")  # cut to the median length
PATTERNED = ("url", "hashtag", "mention", "html_entity")  # removed with step 1's own regexes
EXAMPLES = 3  # texts shown per suspect: flipped ones first
# Regression: a prediction that moves by more than this share of the train target's standard deviation flips
# (a quarter of a std is a change a user would notice; less is noise the model makes on any edit).
TOLERANCE_STD = 0.25
Predict = Callable[[list[str]], list[Any]]


@dataclass(frozen=True)
class Neutraliser:
    """How one suspect is taken out of a text, in words, and the function that does it."""

    how: str
    apply: Callable[[str], str]


def removing(patterns: Sequence[re.Pattern[str]]) -> Callable[[str], str]:
    """A function that deletes every match of ``patterns`` with the whitespace before it (the text's other
    whitespace is left as it is, so only the suspect changes)."""
    def apply(text: str) -> str:
        found = 0
        for pattern in patterns:
            text, n = pattern.subn("", text)
            found += n
        return text.strip() if found else text  # a text without the suspect is left byte for byte
    return apply


def token_pattern(token: str, unit: WordUnit) -> re.Pattern[str]:
    """``token`` as a word of ``unit``, any case: whole words where words are spaced (``fresh`` is not taken from
    ``freshly``, nor ``fail`` from ``#fail``), the characters anywhere in an unspaced script."""
    word = re.escape(str(token))
    if not unit.spaced:
        return re.compile(rf"\s*{word}", re.IGNORECASE)
    return re.compile(rf"\s*(?<![\w#@]){word}(?!\w)", re.IGNORECASE)


def span_pattern(span: str) -> re.Pattern[str]:
    """``span`` any case, with any run of whitespace where it has one (a template re-wrapped still matches)."""
    pieces = [re.escape(piece) for piece in str(span).split()]
    return re.compile(r"\s*" + r"\s+".join(pieces), re.IGNORECASE)


def word_ends(text: str, unit: WordUnit) -> list[int]:
    """Where each word of ``text`` ends, as step 1 counts words: whitespace-separated runs in a spaced unit
    (``WordUnit.count``), the unit's words found in order in an unspaced one."""
    if unit.spaced:
        return [m.end() for m in re.finditer(r"\S+", text)]
    lowered, ends, at = text.lower(), [], 0
    for word in unit.words(text):
        # the unit drops the spaces between two unspaced characters: let them be there again
        found = re.compile(r"\s*".join(re.escape(ch) for ch in word)).search(lowered, at)
        if found is None:
            continue
        at = found.end()
        ends.append(at)
    return ends


def cut_to_words(limit: int, unit: WordUnit) -> Callable[[str], str]:
    """A function that keeps a text's first ``limit`` words (a shorter text is kept whole)."""
    def apply(text: str) -> str:
        ends = word_ends(text, unit)
        return text[:ends[limit - 1]] if len(ends) > limit else text
    return apply


def median_limit(suspect: dict[str, Any]) -> int:
    """The length a property suspect's texts are cut to: its median, whole, at least 1."""
    return max(1, math.floor(float(suspect["median"])))


def property_neutraliser(suspect: dict[str, Any], unit: WordUnit) -> Neutraliser | str:
    """How a property suspect is neutralised, or why it cannot be."""
    name = str(suspect.get("property"))
    if name == "words":
        limit = median_limit(suspect)
        return Neutraliser(f"texts longer than {limit} words ({unit.name}) cut to their first {limit}",
                           cut_to_words(limit, unit))
    if name == "chars":
        limit = median_limit(suspect)
        return Neutraliser(f"texts longer than {limit} characters cut to their first {limit}",
                           lambda text: text[:limit])
    if name in PATTERNED:
        return Neutraliser(f"every {name.replace('_', ' ')} removed",
                           removing([re.compile(r"\s*(?:" + PATTERNS[name] + ")")]))
    return (f"the property {name!r} has no neutral form the probe can give a text (it can take out tokens, spans, "
            f"URLs, hashtags, mentions and HTML entities, and cut lengths): read its rows in step 1's report")


def neutraliser(suspect: dict[str, Any], unit: WordUnit) -> Neutraliser | str:
    """How a suspect is taken out of a text, or why it cannot be (an unknown kind is named, not refused)."""
    kind = suspect.get("kind")
    if kind == TOKENS:
        tokens = [str(t) for t in suspect["tokens"]]
        shown = ", ".join(repr(t) for t in tokens)
        where = "as words, any case" if unit.spaced else "wherever they occur, any case"
        return Neutraliser(f"{shown} removed {where}", removing([token_pattern(t, unit) for t in tokens]))
    if kind == SPAN:
        return Neutraliser("the span removed (any case, any whitespace)", removing([span_pattern(suspect["span"])]))
    if kind == PROPERTY:
        return property_neutraliser(suspect, unit)
    return f"a suspect of kind {kind!r} is not one the probe knows ({TOKENS}, {SPAN}, {PROPERTY})"


def perturb(texts: Sequence[str], apply: Callable[[str], str]) -> tuple[list[str], np.ndarray]:
    """Every text with the suspect taken out, and the positions of those it changed (the texts it touched)."""
    changed = [apply(text) for text in texts]
    touched = np.array([i for i, (a, b) in enumerate(zip(texts, changed)) if a != b], dtype=np.int64)
    return changed, touched


def sample_of(touched: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """At most ``cap`` of the touched positions, drawn with ``seed``, in order."""
    if len(touched) <= cap:
        return touched
    return np.sort(np.random.default_rng(seed).choice(touched, size=cap, replace=False))


def answers_of(frame: pd.DataFrame, task: str) -> list[Any]:
    """Comparable answers from a predictor's ``predict`` frame: a class, a label set (sorted tuple), a number."""
    if task == REGRESSION:
        return [float(v) for v in frame["prediction"]]
    if task == MULTI_LABEL:
        return [tuple(sorted(labels)) for labels in frame["labels"]]
    return [str(v) for v in frame["label"]]


def flipped(intact: Sequence[Any], perturbed: Sequence[Any], task: str, tolerance: float) -> np.ndarray:
    """Whether each answer changed: another class, another label set, or a number moved beyond ``tolerance``."""
    if task == REGRESSION:
        return np.abs(np.asarray(perturbed, dtype=float) - np.asarray(intact, dtype=float)) > tolerance
    return np.array([a != b for a, b in zip(intact, perturbed)], dtype=bool)


def regression_tolerance(train_targets: Sequence[float]) -> float:
    """How far a regression prediction may move before it counts as a flip: TOLERANCE_STD train stds."""
    values = np.asarray(train_targets, dtype=float)
    std = float(np.std(values)) if len(values) > 1 else 0.0
    return round(TOLERANCE_STD * std, 6) if math.isfinite(std) else 0.0


def shown(answer: Any) -> Any:
    """An answer as the report shows it (a label set as a list, a number rounded)."""
    if isinstance(answer, tuple):
        return list(answer)
    return round(answer, 4) if isinstance(answer, float) else answer


def examples(rows: np.ndarray, flips: np.ndarray, texts: Sequence[str], changed: Sequence[str],
             intact: Sequence[Any], perturbed: Sequence[Any], cut: Callable[[str], str]) -> list[dict[str, Any]]:
    """A few probed texts, intact and perturbed with both answers: the flipped ones first, in row order."""
    order = [i for i in range(len(rows)) if flips[i]] + [i for i in range(len(rows)) if not flips[i]]
    return [{"text": cut(texts[rows[i]]), "perturbed": cut(changed[rows[i]]), "intact_prediction": shown(intact[i]),
             "perturbed_prediction": shown(perturbed[i]), "flipped": bool(flips[i])} for i in order[:EXAMPLES]]


@dataclass(frozen=True)
class ProbeInputs:
    """What probing needs beside the suspects: valid's texts, the task, the word unit, the cap and the seed."""

    texts: list[str]
    task: str
    unit: WordUnit
    max_texts: int
    seed: int
    tolerance: float = 0.0  # regression only: see TOLERANCE_STD
    cut: Callable[[str], str] = str  # how a text is copied into the record (long ones cut)


def planned(suspect: dict[str, Any], inputs: ProbeInputs) -> dict[str, Any]:
    """A suspect's perturbed texts and the positions to probe, or why it cannot be probed."""
    how = neutraliser(suspect, inputs.unit)
    if isinstance(how, str):
        return {"not_probed": how}
    changed, touched = perturb(inputs.texts, how.apply)
    return {"how": how.how, "changed": changed, "touched": touched,
            "rows": sample_of(touched, inputs.max_texts, inputs.seed)}


def probe_all(suspects: list[dict[str, Any]], inputs: ProbeInputs, predict: Predict) -> list[dict[str, Any]]:
    """Each suspect with what the probe found: how it was taken out, the valid texts it touched, those probed,
    how many answers flipped and their share, a few examples. The intact texts are predicted once for all."""
    plans = [planned(s, inputs) for s in suspects]
    needed = sorted({int(r) for p in plans if "rows" in p for r in p["rows"]})
    intact_all = dict(zip(needed, predict([inputs.texts[r] for r in needed]))) if needed else {}
    out = []
    for suspect, plan in zip(suspects, plans):
        if "not_probed" in plan:
            out.append({**suspect, "not_probed": plan["not_probed"], "touched": None, "probed": 0, "flipped": 0,
                        "flip_share": None, "examples": []})
            continue
        rows = plan["rows"]
        intact = [intact_all[int(r)] for r in rows]
        perturbed = predict([plan["changed"][r] for r in rows]) if len(rows) else []
        flips = flipped(intact, perturbed, inputs.task, inputs.tolerance)
        out.append({**suspect, "neutralised": plan["how"], "touched": int(len(plan["touched"])),
                    "probed": int(len(rows)), "flipped": int(flips.sum()),
                    "flip_share": round(float(flips.mean()), 6) if len(rows) else None,
                    "examples": examples(rows, flips, inputs.texts, plan["changed"], intact, perturbed, inputs.cut)})
    return out


def predictor_answers(predictor: Any, task: str) -> Predict:
    """``predict`` for ``probe_all`` from anything with ``predict(texts) -> DataFrame`` (TextPredictor's)."""
    return lambda texts: answers_of(predictor.predict(list(texts)), task)
