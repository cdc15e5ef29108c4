"""A baseline of the user's own, named in `baselines.run` and run beside the built-in ones.

An entry of `baselines.run` is a built-in name (`tfidf_logreg`), a dotted `module.Class` of plugins/
(`my_baselines.LengthRule`), or a mapping that names one with its settings, as step 3's parts are named
(`{_target_: my_baselines.word_counts_nb, alpha: 0.5}`). A plug-in is located by the same resolver as
step 3's parts (clearance.core.parts: plugins/, never a module DVC does not watch) and built before any
baseline is fitted, so a misspelt entry stops the stage naming `baselines.run[i]` and the fix.

The class follows scikit-learn's classifier contract: ``fit(texts, labels)``, then ``predict(texts)``
and/or ``predict_proba(texts)`` (one column per class, in the order of its ``classes_``; the sorted class
names when it has none). ``PluggedBaseline`` adapts it to step 2's own baselines, so it is fitted on train
only, scored on valid and test, checked and reported exactly as they are. What it returns is checked
(one prediction per text, class names, rows of probabilities): a broken one fails `baselines_ran` with
the reason, and the other baselines still set the bar.

The task (data.task) changes what it is given and must return, as scikit-learn's own estimators take it:
multi-label: ``fit(texts, Y)`` with ``Y`` a (texts, labels) 0/1 matrix, columns in ``classes`` order; ``predict``
returns such a matrix (or each text's list of labels), ``predict_proba`` each label's probability, (texts,
labels). Regression: ``fit(texts, y)`` with the targets as floats; ``predict`` returns a number per text, in the
target's units (``predict_proba`` is not used). A signature that names ``task`` is given its name.
"""

from __future__ import annotations

import difflib
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.baselines.measure.models import Baseline
from clearance.core.errors import UserError
from clearance.core.parts.plugins import plugins_dir
from clearance.core.parts.targets import accepted_names, call_part, effective_signature, partial_of
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task, encode_label_set

FIX = ("name a class of yours in plugins/ with fit(texts, labels) and predict or predict_proba, or a built-in "
       "baseline (docs/plugins.md, \"A baseline of your own\")")
# What the pipeline passes to a plug-in when its signature names it (a setting in the conf wins).
FACTS = ("classes", "seed", "random_state", "task")
# Probabilities of a row may miss 1 by float rounding (float32 models), not by more.
SUM_TOLERANCE = 1e-3


class BrokenContract(ValueError):
    """A plug-in baseline returned something step 2 cannot score (the message says what and the fix)."""


def is_plugged(entry: Any) -> bool:
    """Whether an entry of `baselines.run` names a plug-in (a dotted name or a mapping), not a built-in."""
    return isinstance(entry, dict) or (isinstance(entry, str) and "." in entry)


def plugged(entry: str | dict[str, Any], key: str, classes: list[str], seed: int,
            task: str = SINGLE_LABEL) -> "PluggedBaseline":
    """The baseline an entry names, located in plugins/ and built; every failure a UserError naming ``key``."""
    spec = {"_target_": entry} if isinstance(entry, str) else dict(entry)
    target = spec.get("_target_")
    try:
        function = partial_of(spec, key, "baseline", FIX)
    except UserError as error:
        if isinstance(entry, str):  # said as the user wrote it: `baselines.run[i]=module.Class`
            error.where = error.where.replace(f"{key}._target_=", f"{key}=", 1)
        close = nearest(str(target))
        if close:
            error.fix = f"did you mean {close}? {error.fix}"
        raise
    facts = {"classes": list(classes), "seed": seed, "random_state": seed, "task": task}
    wanted = accepted_names(function)
    passed = {name: facts[name] for name in FACTS if name in wanted and name not in function.keywords}
    signature = effective_signature(function.func)
    if signature is not None:
        try:
            signature.bind(*function.args, **function.keywords, **passed)
        except TypeError as exc:
            raise UserError(f"{key} (_target_={target})", f"the settings do not fit its signature: {exc}",
                            f"make the keys of `{key}` match the arguments of {target}") from None
    model = call_part(function, key, "baseline", FIX, **passed)
    missing = [m for m in ("fit",) if not callable(getattr(model, m, None))]
    if not any(callable(getattr(model, m, None)) for m in ("predict", "predict_proba")):
        missing.append("predict or predict_proba")
    if missing:
        raise UserError(f"{key} (_target_={target})", f"what it builds ({type(model).__name__}) has no "
                        f"{' and no '.join(missing)}", FIX)
    settings = {k: v for k, v in spec.items() if k != "_target_"}
    return PluggedBaseline(model, str(target), described(function.func, str(target)), settings, classes, seed,
                           task)


def nearest(target: str) -> str:
    """A name the imported module has that is close to the one ``target`` misspells ("" if none)."""
    module_name, _, attribute = target.rpartition(".")
    module = sys.modules.get(module_name)
    if module is None or not attribute or hasattr(module, attribute):
        return ""
    close = difflib.get_close_matches(attribute, [n for n in dir(module) if not n.startswith("_")], n=1)
    return f"{module_name}.{close[0]}" if close else ""


def described(func: Any, target: str) -> str:
    """The first line of the class's (or function's) own docstring, else where it comes from."""
    doc = func.__doc__ if isinstance(getattr(func, "__doc__", None), str) else ""
    first = next((line.strip() for line in doc.splitlines() if line.strip()), "")
    return first or f"a baseline of your own ({target})"


class PluggedBaseline(Baseline):
    """A user's scikit-learn-style classifier, with step 2's baseline interface."""

    def __init__(self, model: Any, name: str, description: str, params: dict[str, Any], classes: list[str],
                 seed: int, task: str = SINGLE_LABEL) -> None:
        super().__init__(classes, seed)
        self.model, self.name, self.description, self.params = model, name, description, params
        self.task = Task(task, tuple(classes) if task != REGRESSION else ())

    def fit(self, texts: pd.Series, labels: np.ndarray) -> "PluggedBaseline":
        # Copies: a plug-in that changes its inputs in place must not change what the next baseline sees.
        if self.task.name == MULTI_LABEL:
            self.model.fit(texts.copy(), self.task.indicators(labels))
        elif self.task.name == REGRESSION:
            self.model.fit(texts.copy(), self.task.targets(labels))
        else:
            self.model.fit(texts.copy(), np.array(labels, dtype=object))
        return self

    def predict_scored(self, texts: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
        if self.task.name != SINGLE_LABEL:
            return task_scored(self.model, self.task, texts.copy())
        probs = self.probabilities(texts) if callable(getattr(self.model, "predict_proba", None)) else None
        if callable(getattr(self.model, "predict", None)):
            return self.predictions(texts), probs
        return np.asarray(self.classes, dtype=object)[probs.argmax(axis=1)], probs

    def predictions(self, texts: pd.Series) -> np.ndarray:
        """predict's labels, checked: one per text, each a class name."""
        predicted = np.asarray(self.model.predict(texts.copy()), dtype=object)
        if predicted.shape != (len(texts),):
            raise BrokenContract(f"predict returned shape {predicted.shape} for {len(texts)} texts: return one "
                                 "class name per text")
        named = predicted.astype(str)
        unknown = sorted(set(named) - set(self.classes))
        if unknown:
            raise BrokenContract(f"predict returned {quoted(unknown)}, not among the classes "
                                 f"({', '.join(self.classes[:5])}): return class names as the labels hold them, "
                                 "not indices")
        return named.astype(object)

    def probabilities(self, texts: pd.Series) -> np.ndarray:
        """predict_proba's rows, checked and put in ``classes`` order (a class unseen in train: 0)."""
        raw = np.asarray(self.model.predict_proba(texts.copy()), dtype=float)
        own = getattr(self.model, "classes_", None)
        order = [str(c) for c in (own if own is not None else self.classes)]
        source = "its classes_" if own is not None else "the sorted class names"
        if raw.shape != (len(texts), len(order)):
            raise BrokenContract(f"predict_proba returned shape {raw.shape} for {len(texts)} texts and "
                                 f"{len(order)} classes ({source}): return one row per text and one column "
                                 "per class")
        unknown = sorted(set(order) - set(self.classes))
        if unknown:
            raise BrokenContract(f"classes_ holds {quoted(unknown)}, not among the classes: set classes_ to the "
                                 "labels fit was given")
        sums = raw.sum(axis=1)
        bad = ~np.isfinite(raw).all(axis=1) | (raw < 0).any(axis=1) | (np.abs(sums - 1) > SUM_TOLERANCE)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise BrokenContract(f"predict_proba's row {row} is not probabilities (sum {sums[row]:.4g}, "
                                 f"min {raw[row].min():.4g}): return probabilities that sum to 1, not "
                                 "scores or logits")
        probs = np.zeros((len(texts), len(self.classes)))
        for j, label in enumerate(order):
            probs[:, self.classes.index(label)] = raw[:, j]
        return probs

    def failed_at(self, error: BaseException) -> str:
        """` (plugins/x.py, line N)`: the deepest line of plugins/ an error passed through, or nothing."""
        folder = plugins_dir()
        frames = [f for f in traceback.extract_tb(error.__traceback__)
                  if Path(f.filename).resolve().is_relative_to(folder)]
        if not frames:
            return ""
        path = Path(frames[-1].filename).resolve()
        shown = path.relative_to(folder.parent) if path.is_relative_to(folder.parent) else path
        return f" ({shown.as_posix()}, line {frames[-1].lineno})"


def quoted(values: list[Any]) -> str:
    """The first three of ``values``, quoted as strings."""
    return ", ".join(repr(str(v)) for v in values[:3])


def name_of(entry: Any) -> str:
    """The name an entry reports under: a built-in's name, a plug-in's `_target_` ("" when it names none)."""
    return str(entry.get("_target_") or "") if isinstance(entry, dict) else str(entry)



def task_scored(model: Any, task: Task, texts: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """A multi-label or regression plug-in's predictions in the prepared labels' form, checked."""
    has = {m: callable(getattr(model, m, None)) for m in ("predict", "predict_proba")}
    if task.name == REGRESSION:
        if not has["predict"]:
            raise BrokenContract("a regression baseline needs predict(texts), returning one number per text")
        numbers = np.asarray(model.predict(texts), dtype=float).reshape(-1) if len(texts) else np.zeros(0)
        if numbers.shape != (len(texts),) or not np.isfinite(numbers).all():
            raise BrokenContract(f"predict returned {numbers.shape[0]} values for {len(texts)} texts, or values "
                                 "that are not finite: return one finite number per text, in the target's units")
        return numbers, None
    probs = label_probabilities(model, task, texts) if has["predict_proba"] else None
    if has["predict"]:
        return np.asarray(label_sets(model.predict(texts), task, len(texts)), dtype=object), probs
    return np.asarray(task.from_indicators(probs >= 0.5), dtype=object), probs


def label_sets(predicted: Any, task: Task, rows: int) -> list[str]:
    """Kept label sets of a multi-label predict's output: a (texts, labels) 0/1 matrix or a list of label lists."""
    if isinstance(predicted, np.ndarray) or hasattr(predicted, "toarray"):
        matrix = np.asarray(predicted.toarray() if hasattr(predicted, "toarray") else predicted)
        if matrix.shape != (rows, len(task.classes)):
            raise BrokenContract(f"predict returned shape {matrix.shape} for {rows} texts and {len(task.classes)} "
                                 "labels: return a (texts, labels) 0/1 matrix, or each text's list of labels")
        return task.from_indicators(matrix > 0.5)
    sets = [[str(label) for label in row] for row in predicted]
    unknown = sorted({label for row in sets for label in row} - set(task.classes))
    if len(sets) != rows or unknown:
        raise BrokenContract(f"predict returned {len(sets)} label lists for {rows} texts"
                             + (f", with {quoted(unknown)} not among the labels" if unknown else "")
                             + ": return each text's list of labels, as the data names them")
    return [encode_label_set(row) for row in sets]


def label_probabilities(model: Any, task: Task, texts: pd.Series) -> np.ndarray:
    """A multi-label predict_proba's (texts, labels) matrix, checked."""
    raw = np.asarray(model.predict_proba(texts), dtype=float)
    if raw.shape != (len(texts), len(task.classes)):
        raise BrokenContract(f"predict_proba returned shape {raw.shape} for {len(texts)} texts and "
                             f"{len(task.classes)} labels: return each label's probability, one row per text")
    if not np.isfinite(raw).all() or (raw < 0).any() or (raw > 1).any():
        raise BrokenContract("predict_proba returned values outside [0, 1]: return each label's probability "
                             "(a sigmoid), not scores or logits")
    return raw
