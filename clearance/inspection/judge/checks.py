"""Step 1's automated checks, each declared once (``@check``) and graded from the inspection statistics.

Each grading function gets the part of reports/inspect/measurements.json its ``reads`` names and a
``Grading`` (its limits, its fix); the report shows them in this file's order. Adding a check is
adding a function here (docs/extending.md).
"""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult
from clearance.core.text.visible import visible


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


# -- balance ------------------------------------------------------------------------------------------------------

@check("class_imbalance", reads="stats", section="balance", question="label_balance",
       fix="report macro-F1 rather than accuracy, and consider class weights or resampling",
       limits=[Limit("imbalance_warn", 3.0, "warn", "largest class / smallest class"), Limit("imbalance_fail", 100.0)])
def class_imbalance(stats: dict[str, Any], c: Grading) -> CheckResult:
    """The largest class against the smallest."""
    return c.graded(stats["imbalance_ratio"], f"the largest class is {stats['imbalance_ratio']:.1f}x the smallest")


@check("min_class_count", reads="stats", section="balance", question="label_balance", direction="min",
       limits=[Limit("min_class_count", 10, "fail", "fewest examples of any class in train")],
       fix="collect more examples of the rare class, or merge it with a related one")
def min_class_count(stats: dict[str, Any], c: Grading) -> CheckResult:
    """The rarest class has enough training examples."""
    smallest = stats["min_train_class_count"]
    return c.graded(smallest, f"the rarest class has {smallest} training examples")


@check("classes_in_every_split", reads="stats.missing_classes", section="balance", question="label_balance",
       direction="", fix="add examples of those classes, or lower split.valid_size/test_size")
def classes_in_every_split(missing_classes: dict[str, list[str]], c: Grading) -> CheckResult:
    """Every class appears in train, valid and test."""
    missing = {s: labels for s, labels in missing_classes.items() if labels}
    return c.result("fail" if missing else "pass", {s: sorted(v) for s, v in missing.items()},
                    "every class in train, valid and test",
                    "every class appears in every split" if not missing
                    else "some split lacks a class: " + "; ".join(f"{s}: {', '.join(v)}" for s, v in missing.items()))


# -- rows ---------------------------------------------------------------------------------------------------------

def _unit_note(stats: dict[str, Any]) -> str:
    """" (counted in jieba words)" when the corpus's words are not whitespace-separated, else nothing."""
    unit = (stats.get("words") or {}).get("unit", "whitespace")
    return "" if unit == "whitespace" else f" (counted in {unit} words, inspect.word_unit)"


@check("dropped_rows", reads="stats", section="rows", question="data_origin",
       limits=[Limit("dropped_rows_warn", 0.0, "warn", "share of rows dropped for missing text/label"),
               Limit("dropped_rows_fail", 0.05)],
       fix="fill in the missing texts/labels in the source file")
def dropped_rows(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Rows dropped on the way in for a missing text or label."""
    clean = stats["clean"]
    return c.graded(stats["dropped_share"],
                    f"{clean['dropped']} of {clean['rows_read']} rows were dropped "
                    f"(missing text {clean['missing_text']}, missing label {clean['missing_label']})")


@check("label_variants", reads="stats.clean", section="rows", question="disputed_labels",
       limits=[Limit("label_variants_warn", 0.0, "warn",
                     "share of rows whose label was respelled (\" pos\" kept as \"pos\") or looks like another "
                     "label (\"Pos\" beside \"pos\"); it warns, not fails: a respelling is counted and meant, and "
                     "only a person can tell a case variant from a class")],
       fix="if variants are one class, write them one way in the source file; if respelled labels were meant to "
           "differ, tell them apart by more than whitespace, control characters or Unicode form")
def label_variants(clean: dict[str, Any], c: Grading) -> CheckResult:
    """Labels respelled on the way in (merged, counted), and labels that look like variants of another."""
    changes, variants = clean.get("label_changes", []), clean.get("label_variants", [])
    # A variant group's largest label is taken as the intended one: the others' rows are the suspects.
    suspects = sum(v["rows"] - max(v["labels"].values()) for v in variants)
    share = (sum(ch["rows"] for ch in changes) + suspects) / max(clean["rows_read"], 1)
    said = ([f"{visible(ch['from'])} kept as {visible(ch['to'])} ({ch['rows']} rows: {ch['why']})"
             for ch in changes[:5]]
            + [" and ".join(f"{visible(label)} ({rows} rows)" for label, rows in v["labels"].items())
               + " differ only by case or word joins, kept apart" for v in variants[:5]])
    more = len(changes) + len(variants) - len(said)
    message = ("; ".join(said) + (f"; and {more} more (data/prepared/summary.json)" if more > 0 else "")
               if said else "every label is kept as the file writes it, and no two differ only by case")
    return c.graded(share, message)


@check("empty_texts", reads="stats.patterns", section="rows", question="preprocessing",
       limits=[Limit("empty_text_warn", 0.0, "warn"), Limit("empty_text_fail", 0.05)],
       fix="drop them (data.missing_text=drop) or fix the source")
def empty_texts(rates: dict[str, float], c: Grading) -> CheckResult:
    """Texts with nothing in them."""
    return c.graded(rates["empty"], f"{_pct(rates['empty'])} of texts are empty")


@check("very_short_texts", reads="stats", section="rows", question="diversity",
       limits=[Limit("short_text_warn", 0.05, "warn")],
       fix="read them in sample.csv: are they classifiable at all?")
def very_short_texts(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Texts of very few words."""
    share = stats["patterns"]["very_short"]
    return c.graded(share, f"{_pct(share)} of texts have very few words{_unit_note(stats)}")


# -- duplicates ---------------------------------------------------------------------------------------------------

@check("duplicates", reads="stats.duplicates", section="duplicates", question="diversity",
       limits=[Limit("duplicate_warn", 0.01, "warn",
                     "share of rows that repeat an earlier text ; from 1% it is worth a look")],
       fix="deduplicate, or make sure repeats are real (retweets?) and stay within one split")
def duplicates(dup: dict[str, Any], c: Grading) -> CheckResult:
    """Rows that repeat an earlier text, after normalising."""
    share = dup["normalized_duplicate_share"]
    return c.graded(share, f"{dup['normalized_duplicate_rows']} rows ({_pct(share)}) repeat an earlier text "
                           "(after normalising)")


@check("conflicting_duplicates", reads="stats.duplicates", section="duplicates", question="disputed_labels",
       limits=[Limit("conflicting_duplicates_warn", 0.002, "warn",
                     "share of rows whose duplicates carry another label"),
               Limit("conflicting_duplicates_fail", 0.02)],
       fix="review them in the report; keep one label per text (e.g. majority vote) or drop them")
def conflicting_duplicates(dup: dict[str, Any], c: Grading) -> CheckResult:
    """Equal texts with different labels."""
    return c.graded(dup["conflicting_share"],
                    f"{dup['conflicting_groups']} groups of equal texts carry different labels "
                    f"({_pct(dup['conflicting_share'])} of rows)")


@check("split_overlap", reads="stats", section="duplicates", question="diversity",
       limits=[Limit("split_overlap_fail", 0.0, "fail", "share of valid+test rows whose text is also in train")])
def split_overlap(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Valid/test rows whose text is also in train: the evaluation would reward memorising."""
    o = stats["overlap"]
    given = stats.get("split", {}).get("given_by", "")
    if given:
        fix = (f"the split comes from your file (data.split_column={given}): remove those rows from valid/test "
               "in the file, or move them to train")
    else:
        fix = ("keep split.group_duplicates=true or give a data.group_column so copies share a split; if the "
               "split is your file's own (data.split_column), remove the copies from valid/test in the file")
    return c.graded(o["held_out"],
                    f"{o['held_out_repeats']} of {o['held_out_rows']} valid/test rows ({_pct(o['held_out'])}) repeat "
                    f"a train text (valid {o['valid_repeats']} of {o['valid_rows']}, "
                    f"test {o['test_repeats']} of {o['test_rows']})", fix)


# -- encoding -----------------------------------------------------------------------------------------------------

@check("mojibake", reads="stats.patterns", section="encoding", question="preprocessing",
       limits=[Limit("mojibake_warn", 0.001, "warn", "share of texts that look mis-decoded"),
               Limit("mojibake_fail", 0.05)],
       fix="re-read the file with the right data.encoding, or repair the texts with ftfy.fix_text")
def mojibake(rates: dict[str, float], c: Grading) -> CheckResult:
    """Mis-decoded text."""
    return c.graded(rates["mojibake"], f"{_pct(rates['mojibake'])} of texts look mis-decoded (e.g. 'â€™' for '’')")


@check("replacement_chars", reads="stats.patterns", section="encoding", question="preprocessing",
       limits=[Limit("replacement_char_warn", 0.0, "warn", "share of texts with U+FFFD (undecodable bytes)")],
       fix="find the file's real encoding and set data.encoding")
def replacement_chars(rates: dict[str, float], c: Grading) -> CheckResult:
    """Bytes that could not be decoded."""
    return c.graded(rates["replacement_char"],
                    f"{_pct(rates['replacement_char'])} of texts contain U+FFFD (bytes that could not be decoded)")


@check("html_entities", reads="stats.patterns", section="encoding", question="preprocessing",
       limits=[Limit("html_entity_warn", 0.01, "warn")],
       fix="unescape them (html.unescape) in preprocessing")
def html_entities(rates: dict[str, float], c: Grading) -> CheckResult:
    """HTML entities left in the texts."""
    return c.graded(rates["html_entity"], f"{_pct(rates['html_entity'])} of texts contain HTML entities such as &amp;")


# -- labels -------------------------------------------------------------------------------------------------------

@check("label_issues", reads="stats.label_issues", section="label-issues", question="disputed_labels",
       limits=[Limit("label_issue_warn", 0.05, "warn", "share of rows suspected to be mislabelled"),
               Limit("label_issue_fail", 0.25)],
       fix="read reports/inspect/label_issues.csv from the top and correct real errors")
def label_issues(issues: dict[str, Any], c: Grading) -> CheckResult:
    """Rows a cross-validated TF-IDF model suspects to be mislabelled."""
    if issues.get("skipped"):
        return c.result("warn", None, "the label-issue search to run", f"label-issue search skipped: {issues['skipped']}",
                        issues.get("fix") or "add examples so every class has at least two", direction="")
    on_chars = " (on character n-grams: no word occurs in two texts)" if issues.get(
        "features", "").startswith("character") else ""
    return c.graded(issues["share"], f"{issues['issues']} of {issues['searched_rows']} rows ({_pct(issues['share'])}) "
                                     f"look mislabelled to a cross-validated TF-IDF model{on_chars}")


@check("keyword_signal", reads="stats.keyword_rule", section="keyword-rule", question="rule_based", direction="min",
       fix="if words carry no signal, check that labels are aligned with texts")
def keyword_signal(rule: dict[str, Any], c: Grading) -> CheckResult:
    """A keyword rule must get at least one more valid row right than the majority class."""
    n = rule["valid_rows"]
    if n == 0:
        return c.result("warn", None, "rows in valid", "no valid rows to score the keyword rule on",
                        "give the valid split some rows", direction="")
    # Counted in whole rows: a tie with the majority class is no signal at all.
    gain_rows = rule["correct"] - rule["majority_correct"]
    return c.graded(gain_rows, f"a keyword rule gets {rule['correct']} of {n} valid rows right "
                               f"({_pct(rule['accuracy'])}), the majority class {rule['majority_correct']} "
                               f"({_pct(rule['majority_accuracy'])}): {gain_rows:+d} rows", warn=1)


# -- the sample ---------------------------------------------------------------------------------------------------

@check("sample_written", reads="stats", section="sample", question="diversity", direction="min",
       limits=[Limit("min_sample_size", 200)], fix="raise inspect.sample_size")
def sample_written(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Enough examples were written out to read."""
    n = stats["sample_size"]
    return c.graded(n, f"{n} examples written to reports/inspect/sample.csv to read",
                    fail=min(c.t.min_sample_size, stats["n_rows"]))
