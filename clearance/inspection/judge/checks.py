"""Step 1's automated checks, judged from the inspection statistics."""

from __future__ import annotations

from typing import Any

from clearance.checklist.results import CheckResult, graded
from clearance.core.config.inspect import InspectChecks
from clearance.core.text.visible import visible


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def balance_checks(stats: dict[str, Any], t: InspectChecks) -> list[CheckResult]:
    """Imbalance, the rarest class, and classes missing from a split."""
    ratio = stats["imbalance_ratio"]
    smallest = stats["min_train_class_count"]
    missing = {s: labels for s, labels in stats["missing_classes"].items() if labels}
    return [
        graded("class_imbalance", ratio, t.imbalance_warn, t.imbalance_fail,
               f"the largest class is {ratio:.1f}x the smallest",
               "report macro-F1 rather than accuracy, and consider class weights or resampling"),
        graded("min_class_count", smallest, None, t.min_class_count,
               f"the rarest class has {smallest} training examples",
               "collect more examples of the rare class, or merge it with a related one", direction="min"),
        CheckResult("classes_in_every_split", "fail" if missing else "pass",
                    {s: sorted(v) for s, v in missing.items()}, "every class in train, valid and test",
                    "every class appears in every split" if not missing
                    else "some split lacks a class: " + "; ".join(f"{s}: {', '.join(v)}" for s, v in missing.items()),
                    "add examples of those classes, or lower split.valid_size/test_size"),
    ]


def _unit_note(stats: dict[str, Any]) -> str:
    """" (counted in jieba words)" when the corpus's words are not whitespace-separated, else nothing."""
    unit = (stats.get("words") or {}).get("unit", "whitespace")
    return "" if unit == "whitespace" else f" (counted in {unit} words, inspect.word_unit)"


def label_variants_check(clean: dict[str, Any], t: InspectChecks) -> CheckResult:
    """Labels respelled on the way in (merged, counted), and labels that look like variants of another."""
    changes, variants = clean.get("label_changes", []), clean.get("label_variants", [])
    # A variant group's largest label is taken as the intended one: the others' rows are the suspects.
    suspects = sum(v["rows"] - max(v["labels"].values()) for v in variants)
    share = (sum(c["rows"] for c in changes) + suspects) / max(clean["rows_read"], 1)
    said = ([f"{visible(c['from'])} kept as {visible(c['to'])} ({c['rows']} rows: {c['why']})" for c in changes[:5]]
            + [" and ".join(f"{visible(label)} ({rows} rows)" for label, rows in v["labels"].items())
               + " differ only by case or word joins, kept apart" for v in variants[:5]])
    more = len(changes) + len(variants) - len(said)
    message = ("; ".join(said) + (f"; and {more} more (data/prepared/summary.json)" if more > 0 else "")
               if said else "every label is kept as the file writes it, and no two differ only by case")
    return graded("label_variants", share, t.label_variants_warn, None, message,
                  "if variants are one class, write them one way in the source file; if respelled labels were "
                  "meant to differ, tell them apart by more than whitespace, control characters or Unicode form")


def row_checks(stats: dict[str, Any], t: InspectChecks) -> list[CheckResult]:
    """Rows dropped on the way in, labels respelled or alike, empty and very short texts."""
    rates = stats["patterns"]
    return [
        graded("dropped_rows", stats["dropped_share"], t.dropped_rows_warn, t.dropped_rows_fail,
               f"{stats['clean']['dropped']} of {stats['clean']['rows_read']} rows were dropped "
               f"(missing text {stats['clean']['missing_text']}, missing label {stats['clean']['missing_label']})",
               "fill in the missing texts/labels in the source file"),
        label_variants_check(stats["clean"], t),
        graded("empty_texts", rates["empty"], t.empty_text_warn, t.empty_text_fail,
               f"{_pct(rates['empty'])} of texts are empty",
               "drop them (data.missing_text=drop) or fix the source"),
        graded("very_short_texts", rates["very_short"], t.short_text_warn, None,
               f"{_pct(rates['very_short'])} of texts have very few words{_unit_note(stats)}",
               "read them in sample.csv: are they classifiable at all?"),
    ]


def duplicate_checks(stats: dict[str, Any], t: InspectChecks) -> list[CheckResult]:
    """Duplicates, duplicates with conflicting labels, and train/held-out overlap."""
    dup = stats["duplicates"]
    share = dup["normalized_duplicate_share"]
    return [
        graded("duplicates", share, t.duplicate_warn, None,
               f"{dup['normalized_duplicate_rows']} rows ({_pct(share)}) repeat an earlier text (after normalising)",
               "deduplicate, or make sure repeats are real (retweets?) and stay within one split"),
        graded("conflicting_duplicates", dup["conflicting_share"], t.conflicting_duplicates_warn,
               t.conflicting_duplicates_fail,
               f"{dup['conflicting_groups']} groups of equal texts carry different labels "
               f"({_pct(dup['conflicting_share'])} of rows)",
               "review them in the report; keep one label per text (e.g. majority vote) or drop them"),
        overlap_check(stats, t),
    ]


def overlap_check(stats: dict[str, Any], t: InspectChecks) -> CheckResult:
    """Valid/test rows whose text is also in train: the evaluation would reward memorising."""
    o = stats["overlap"]
    given = stats.get("split", {}).get("given_by", "")
    if given:
        fix = (f"the split comes from your file (data.split_column={given}): remove those rows from valid/test "
               "in the file, or move them to train")
    else:
        fix = ("keep split.group_duplicates=true or give a data.group_column so copies share a split; if the "
               "split is your file's own (data.split_column), remove the copies from valid/test in the file")
    return graded("split_overlap", o["held_out"], None, t.split_overlap_fail,
                  f"{o['held_out_repeats']} of {o['held_out_rows']} valid/test rows ({_pct(o['held_out'])}) repeat "
                  f"a train text (valid {o['valid_repeats']} of {o['valid_rows']}, "
                  f"test {o['test_repeats']} of {o['test_rows']})",
                  fix)


def encoding_checks(stats: dict[str, Any], t: InspectChecks) -> list[CheckResult]:
    """Mis-decoded text, undecodable bytes and HTML entities."""
    rates = stats["patterns"]
    return [
        graded("mojibake", rates["mojibake"], t.mojibake_warn, t.mojibake_fail,
               f"{_pct(rates['mojibake'])} of texts look mis-decoded (e.g. 'â€™' for '’')",
               "re-read the file with the right data.encoding, or repair the texts with ftfy.fix_text"),
        graded("replacement_chars", rates["replacement_char"], t.replacement_char_warn, None,
               f"{_pct(rates['replacement_char'])} of texts contain U+FFFD (bytes that could not be decoded)",
               "find the file's real encoding and set data.encoding"),
        graded("html_entities", rates["html_entity"], t.html_entity_warn, None,
               f"{_pct(rates['html_entity'])} of texts contain HTML entities such as &amp;",
               "unescape them (html.unescape) in preprocessing"),
    ]


def label_checks(stats: dict[str, Any], t: InspectChecks) -> list[CheckResult]:
    """Suspected label errors, and whether tokens carry any label signal."""
    issues, rule = stats["label_issues"], stats["keyword_rule"]
    if issues.get("skipped"):
        label_issue = CheckResult("label_issues", "warn", None, "the label-issue search to run",
                                  f"label-issue search skipped: {issues['skipped']}",
                                  issues.get("fix") or "add examples so every class has at least two")
    else:
        on_chars = " (on character n-grams: no word occurs in two texts)" if issues.get(
            "features", "").startswith("character") else ""
        label_issue = graded("label_issues", issues["share"], t.label_issue_warn, t.label_issue_fail,
                             f"{issues['issues']} of {issues['searched_rows']} rows ({_pct(issues['share'])}) "
                             f"look mislabelled to a cross-validated TF-IDF model{on_chars}",
                             "read reports/inspect/label_issues.csv from the top and correct real errors")
    return [label_issue, keyword_check(rule)]


def keyword_check(rule: dict[str, Any]) -> CheckResult:
    """A keyword rule must get at least one more valid row right than the majority class."""
    n = rule["valid_rows"]
    if n == 0:
        return CheckResult("keyword_signal", "warn", None, "rows in valid",
                           "no valid rows to score the keyword rule on", "give the valid split some rows")
    # Counted in whole rows: a tie with the majority class is no signal at all.
    gain_rows = rule["correct"] - rule["majority_correct"]
    return graded("keyword_signal", gain_rows, 1, None,
                  f"a keyword rule gets {rule['correct']} of {n} valid rows right ({_pct(rule['accuracy'])}), "
                  f"the majority class {rule['majority_correct']} ({_pct(rule['majority_accuracy'])}): "
                  f"{gain_rows:+d} rows",
                  "if words carry no signal, check that labels are aligned with texts", direction="min")


def sample_check(stats: dict[str, Any], t: InspectChecks) -> CheckResult:
    """Enough examples were written out to read."""
    wanted = min(t.min_sample_size, stats["n_rows"])
    n = stats["sample_size"]
    return graded("sample_written", n, None, wanted,
                  f"{n} examples written to reports/inspect/sample.csv to read",
                  "raise inspect.sample_size", direction="min")


def inspect_checks(stats: dict[str, Any], t: InspectChecks) -> list[CheckResult]:
    """All step-1 checks, in report order."""
    return (balance_checks(stats, t) + row_checks(stats, t) + duplicate_checks(stats, t)
            + encoding_checks(stats, t) + label_checks(stats, t) + [sample_check(stats, t)])
