"""Step 1's checks of whether the data gives the answer away (stats.shortcuts, measured by
clearance.inspection.measure.shortcuts): label names in their own texts, a property that alone predicts the
label, a simple rule that is too good to be true, templates that predict the label. Declared as checks.py's
are; what they find is what step 3's shortcut_reliance probe removes (``suspects``)."""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult
from clearance.inspection.judge.checks import CLASSES, _listed, _pct

SECTION = "shortcuts"
NOT_MEASURED = ("the measurements hold no shortcut search (written before it existed)",
                "run the inspect stage again: `dvc repro inspect_data`")


def not_measured(c: Grading) -> CheckResult:
    """A record without the search: said, and warned, since nothing was looked for."""
    return c.result("warn", None, c.threshold, NOT_MEASURED[0], NOT_MEASURED[1], direction="")
READ_ROWS = "Read the texts listed in the report's \"Shortcuts\" section"


def named_labels(sc: dict[str, Any], t: Any) -> list[tuple[str, dict[str, Any]]]:
    """Labels whose name is in enough of their own texts and far more often than in the others', worst first."""
    found = [(name, v) for name, v in sc["label_names"].get("labels", {}).items()
             if "ratio" in v and v["own_share"] >= t.label_name_min_share and v["ratio"] >= t.label_name_ratio]
    return sorted(found, key=lambda kv: -kv[1]["ratio"])


def common_names(sc: dict[str, Any], t: Any) -> list[str]:
    """Label names in enough of their own texts but about as often in the others': common words, not leaks."""
    return [f"{name} ({_pct(v['own_share'])} of its texts, {_pct(v['other_share'])} of others')"
            for name, v in sc["label_names"].get("labels", {}).items()
            if "ratio" in v and v["own_share"] >= t.label_name_min_share and v["ratio"] < t.label_name_ratio]


@check("label_in_text", reads="stats.shortcuts", section=SECTION, question="shortcuts", tasks=CLASSES,
       limits=[Limit("label_name_ratio", 5.0, "fail", "share of a label's texts holding its name / share of the "
                     "other texts holding it"),
               Limit("label_name_min_share", 0.05, "", "share of a label's own texts that must hold its name before "
                     "the ratio counts (a name in a handful of texts is chance)")],
       fix="remove the label names from the texts (a labelling tool's tag, an export's column) in data/raw or "
           "conf/preprocess/; if the name is part of what the texts say, say so at the gate")
def label_in_text(sc: dict[str, Any], c: Grading) -> CheckResult:
    """No label's name is in its own texts far more often than in the others'."""
    if sc is None:
        return not_measured(c)
    found = named_labels(sc, c.t)
    if found:
        name, v = found[0]
        return c.result("fail", round(v["ratio"], 2), c.t.label_name_ratio,
                        f"'{name}' is in {_pct(v['own_share'])} of its own texts ({v['own_hits']}) and "
                        f"{_pct(v['other_share'])} of the others ({v['ratio']:.0f}x); labels whose name gives them "
                        f"away: {_listed([n for n, _ in found])}. {READ_ROWS}")
    common = common_names(sc, c.t)
    why = (f"; {_listed(common)}: in every label's texts alike, a common word and no leak" if common else "")
    return c.result("pass", 0, c.t.label_name_ratio,
                    f"no label's name is in its own texts far more often than in the others'{why}")


def best_property(sc: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The property whose rule scores best on valid, if any was scored."""
    rules = sc["properties"].get("rules", {})
    return next(iter(rules.items()), None)


def property_share(sc: dict[str, Any]) -> float:
    """How much of the best simple rule's gain over the guess the best property alone reaches."""
    best = best_property(sc)
    if best is None:
        return 0.0
    guess = sc["properties"]["guess"]
    top = max(sc["reference"]["score"], best[1]["score"])
    return (best[1]["score"] - guess) / (top - guess) if top > guess else 0.0


@check("property_shortcut", reads="stats.shortcuts", section=SECTION, question="shortcuts",
       limits=[Limit("property_shortcut_share", 0.67, "warn", "share of the best simple rule's gain over the guess "
                     "that one property alone reaches"),
               Limit("property_shortcut_min_gain", 0.2, "", "gain over the guess (the step's rule score) a "
                     "property must reach before it counts: a property that predicts the label well")],
       fix="read texts from each end of the property (the report names it): if it is an artefact of how the data "
           "was collected (one source per label, a length cut), balance it or neutralise it in preprocessing; if "
           "it will hold in the texts the model meets, say so at the gate")
def property_shortcut(sc: dict[str, Any], c: Grading) -> CheckResult:
    """No property of the texts alone gets most of the way to the best simple rule."""
    if sc is None:
        return not_measured(c)
    best = best_property(sc)
    if best is None:
        return c.result("pass", 0.0, c.warn, "no property could be scored on valid (too few train or valid rows)")
    name, rule = best
    gain, share = rule["score"] - sc["properties"]["guess"], property_share(sc)
    message = (f"{rule['name']} alone scores {sc['metric']} {rule['score']:.3f} out of fold against the guess's "
               f"{sc['properties']['guess']:.3f} and {sc['reference']['rule']}'s {sc['reference']['score']:.3f}: "
               f"{_pct(share)} of the way")
    return c.graded(share if gain >= c.t.property_shortcut_min_gain else 0.0, message)


def too_good(sc: dict[str, Any], limit: float) -> list[tuple[str, float, dict[str, Any]]]:
    """(what, score, suspect) of every simple rule that is nearly perfect on valid."""
    found = []
    if sc["keyword_rule"] >= limit:
        found.append(("the keyword rule", sc["keyword_rule"], {"kind": "keywords"}))
    best = best_property(sc)
    if best and best[1]["score"] >= limit:
        found.append((best[1]["name"], best[1]["score"], {"kind": "property", "property": best[0]}))
    for label, rule in sc.get("tokens", {}).items():
        if rule["f1"] >= limit:
            found.append((f"the token '{rule['token']}' for {label}", rule["f1"],
                          {"kind": "tokens", "tokens": [rule["token"]]}))
    return found


@check("too_good_rule", reads="stats.shortcuts", section=SECTION, question="shortcuts",
       limits=[Limit("too_good_score", 0.95, "warn", "valid score (the step's rule score; F1 of one label for a "
                     "single token) at which a simple rule is too good to be true")],
       fix="find why a rule this simple nearly always answers right: a label leaked into the texts, texts copied "
           "across labels, or a task easier than it looks (then a neural model is not needed)")
def too_good_rule(sc: dict[str, Any], c: Grading) -> CheckResult:
    """No simple rule (the keyword rule, one property, one token) is nearly perfect on valid."""
    if sc is None:
        return not_measured(c)
    found = too_good(sc, c.t.too_good_score)
    if not found:
        return c.result("pass", 0.0, c.t.too_good_score, "no simple rule is nearly perfect on valid")
    what, score, _ = max(found, key=lambda f: f[1])
    return c.result("warn", round(score, 4), c.t.too_good_score,
                    f"{what} scores {score:.3f} on valid; too good to be true: "
                    f"{_listed([f[0] for f in found])}")


def leaning(sc: dict[str, Any], t: Any) -> list[dict[str, Any]]:
    """Templates whose texts lean to one label (or, for a number, far from the others' mean)."""
    out = []
    for template in sc["templates"].get("templates", []):
        if "purity" in template:
            leans = template["purity"] >= t.template_purity and template["lift"] >= t.template_lift
        else:
            leans = abs(template["shift"]) >= t.template_shift
        if leans:
            out.append(template)
    return out


@check("templates", reads="stats.shortcuts", section=SECTION, question="shortcuts",
       limits=[Limit("template_purity", 0.9, "warn", "share of a template's texts with its most frequent label"),
               Limit("template_lift", 0.3, "", "... above that label's share of all texts"),
               Limit("template_shift", 1.0, "", "a number: the template's texts' mean target from the others', "
                     "in standard deviations"),
               Limit("template_min_share", 0.01, "", "share of the texts the leaning templates must hold together "
                     "before they matter (fewer move no score)")],
       fix="remove the template from the texts in preprocessing if the texts the model meets will not carry it, or "
           "group its texts in one split (data.group_column) so valid measures the rest")
def templates(sc: dict[str, Any], c: Grading) -> CheckResult:
    """No span that many texts share (a signature, a form) predicts the label."""
    if sc is None:
        return not_measured(c)
    found, searched = leaning(sc, c.t), sc["templates"]
    held = sum(t["share"] for t in found)
    if not found or held < c.t.template_min_share:
        small = (f"; {len(found)} lean to one label but hold {_pct(held)} of the texts together, under "
                 f"{_pct(c.t.template_min_share)}" if found else "; none predicts the label")
        return c.result("pass", round(held, 4), c.t.template_min_share,
                        f"{len(searched.get('templates', []))} templates of {searched['words']} words shared by "
                        f"{searched['min_texts']}+ texts{small}")
    first = found[0]
    lean = (f"{_pct(first['purity'])} of them are {first['top_label']} (of all texts {_pct(first['overall'])})"
            if "purity" in first else f"their mean target is {first['shift']:+.1f} standard deviations from the others'")
    return c.result("warn", round(held, 4), c.t.template_min_share,
                    f"{len(found)} templates predict the label and hold {_pct(held)} of the texts; "
                    f"\"{first['span']}\" is in {first['texts']} texts and {lean}")
