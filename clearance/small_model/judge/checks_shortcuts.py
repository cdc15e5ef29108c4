"""Step 3's check of the shortcut probe (reports/model/shortcuts.json, stage probe_shortcuts): does the trained
model rest on a shortcut step 1 found, i.e. do its answers change when the suspect is taken out of the texts?"""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult

SHORTCUT_FIX = ("the model rests on a shortcut step 1 found: remove it from the texts in preprocessing "
                "(conf/preprocess/) if it will not exist in the texts the model will meet, or say at the gate why it "
                "will")
UNTRAINED_FIX = "run the real training to the end (`dvc repro`): the probe needs a trained model"
SHOWN = 3  # suspects named in a message


def rests_on(named: list[dict[str, Any]]) -> str:
    """The fix naming the suspects the model rests on."""
    names = " and ".join(repr(s.get("name") or s.get("check")) for s in named[:SHOWN])
    return (f"the model rests on {names}: remove it from the texts in preprocessing (conf/preprocess/) if it will "
            f"not exist in the texts the model will meet, or say at the gate why it will")


def said(s: dict[str, Any]) -> str:
    """One suspect's flip share in words."""
    return (f"{s.get('name') or s.get('check')} ({s.get('check')}): taking it out flips {s['flipped']} of "
            f"{s['probed']} answers ({s['flip_share']:.0%})")


def unjudged(suspects: list[dict[str, Any]], min_texts: int) -> str:
    """What the message adds about the suspects not graded: not probeable, or too few valid texts."""
    parts = []
    if thin := [s for s in suspects if "not_probed" not in s and s.get("probed", 0) < min_texts]:
        parts.append(f"{len(thin)} touched fewer than {min_texts} valid texts (shown, not graded)")
    if unprobed := [s for s in suspects if "not_probed" in s]:
        parts.append(f"{len(unprobed)} could not be taken out of a text: "
                     + ", ".join(str(s.get("name") or s.get("check")) for s in unprobed[:SHOWN]))
    return "; ".join(parts)


@check("shortcut_reliance", reads="shortcuts", section="shortcuts", question="shortcuts", fix=SHORTCUT_FIX,
       limits=[Limit("shortcut_flip_warn", 0.2, "warn",
                     "taking a shortcut step 1 suspected out of the valid texts that hold it (the token, the span, "
                     "the URLs; a length cut to the median) flips more than this share of the model's answers: warns"),
               Limit("shortcut_min_texts", 10, "",
                     "suspects touching fewer valid texts are shown but not graded")])
def shortcut_reliance(m: dict | None, c: Grading) -> CheckResult:
    """The model's answers on valid do not hang on a shortcut step 1 found: taking each suspect out of the texts
    that hold it flips at most the limit's share of them."""
    if m is None:
        return c.result("warn", None, c.warn, "the shortcut probe: not measured", "run `dvc repro` (probe_shortcuts)")
    suspects = m.get("suspects") or []
    if m.get("found") == 0:  # step 1's shortcut checks flagged nothing: no suspect to take out
        return c.graded(0.0, f"nothing to probe: {m.get('skipped') or 'step 1 found no shortcut'}")
    if m.get("skipped"):
        return c.result("warn", None, c.warn, f"the shortcut probe: not run ({m['skipped']})", UNTRAINED_FIX)
    graded = [s for s in suspects if s.get("flip_share") is not None and s.get("probed", 0) >= c.t.shortcut_min_texts]
    flagged = sorted((s for s in graded if s["flip_share"] > c.t.shortcut_flip_warn), key=lambda s: -s["flip_share"])
    rest = unjudged(suspects, c.t.shortcut_min_texts)
    tail = f"; {rest}" if rest else ""
    if flagged:
        return c.graded(flagged[0]["flip_share"], f"{len(flagged)} of {len(suspects)} shortcuts step 1 suspected "
                        f"carry the model's answers: " + "; ".join(said(s) for s in flagged[:SHOWN]) + tail,
                        fix=rests_on(flagged))
    worst = max(graded, key=lambda s: s["flip_share"], default=None)
    if worst is None:
        return c.graded(0.0, f"none of the {len(suspects)} shortcuts step 1 suspected could be graded{tail}")
    return c.graded(worst["flip_share"], f"taking out each of the {len(graded)} graded shortcuts step 1 suspected "
                    f"flips at most {c.t.shortcut_flip_warn:.0%} of the model's answers; the most, "
                    f"{said(worst)}{tail}")
