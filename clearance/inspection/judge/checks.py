"""Step 1's automated checks, each declared once (``@check``) and graded from the inspection statistics.

Each grading function gets the part of reports/inspect/measurements.json its ``reads`` names and a
``Grading`` (its limits, its fix); the report shows them in this file's order, then checks_rules.py's.
Adding a check is adding a function here (docs/extending.md).
"""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult
from clearance.core.text.visible import visible

# The tasks a check applies to (data.task): a check of classes is left out for a target, and the other way round.
SINGLE, MULTI, REGRESSION = ("single_label",), ("multi_label",), ("regression",)
CLASSES = SINGLE + MULTI


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


# -- balance ------------------------------------------------------------------------------------------------------

@check("class_imbalance", reads="stats", section="balance", question="label_balance", tasks=SINGLE,
       fix="report macro-F1 rather than accuracy, and consider class weights or resampling",
       limits=[Limit("imbalance_warn", 3.0, "warn", "largest class / smallest class"), Limit("imbalance_fail", 100.0)])
def class_imbalance(stats: dict[str, Any], c: Grading) -> CheckResult:
    """The largest class against the smallest."""
    return c.graded(stats["imbalance_ratio"], f"the largest class is {stats['imbalance_ratio']:.1f}x the smallest")


@check("min_class_count", reads="stats", section="balance", question="label_balance", direction="min", tasks=SINGLE,
       limits=[Limit("min_class_count", 10, "fail", "fewest examples of any class in train")],
       fix="collect more examples of the rare class, or merge it with a related one")
def min_class_count(stats: dict[str, Any], c: Grading) -> CheckResult:
    """The rarest class has enough training examples."""
    smallest = stats["min_train_class_count"]
    return c.graded(smallest, f"the rarest class has {smallest} training examples")


# reads "stats", not "stats.missing_classes": a target has no classes, and a record must hold what every check reads
@check("classes_in_every_split", reads="stats", section="balance", question="label_balance", tasks=SINGLE,
       direction="", fix="add examples of those classes, or lower split.valid_size/test_size")
def classes_in_every_split(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Every class appears in train, valid and test."""
    missing = {s: labels for s, labels in stats["missing_classes"].items() if labels}
    return c.result("fail" if missing else "pass", {s: sorted(v) for s, v in missing.items()},
                    "every class in train, valid and test",
                    "every class appears in every split" if not missing
                    else "some split lacks a class: " + "; ".join(f"{s}: {', '.join(v)}" for s, v in missing.items()))


# -- label sets (multi-label) and the target (regression) ---------------------------------------------------------

def _listed(names: list[str], most: int = 8) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


@check("label_imbalance", reads="stats", section="balance", question="label_balance", tasks=MULTI,
       limits=[Limit("label_imbalance_warn", 20.0, "warn", "texts of the most frequent label / of the rarest; "
                     "uneven labels are the rule in label sets, so it warns (rare_labels fails on too few)")],
       fix="report macro-F1 beside micro-F1 (a frequent label dominates micro-F1), and read the rare labels' F1")
def label_imbalance(stats: dict[str, Any], c: Grading) -> CheckResult:
    """The most frequent label against the rarest."""
    return c.graded(stats["imbalance_ratio"],
                    f"the most frequent label is on {stats['imbalance_ratio']:.1f}x as many texts as the rarest")


@check("rare_labels", reads="stats", section="balance", question="label_balance", direction="min", tasks=MULTI,
       limits=[Limit("rare_label_warn", 30, "warn", "training texts carrying a label, below which its F1 is noise"),
               Limit("rare_label_fail", 10, "fail", "training texts carrying a label, below which nothing is learnt")],
       fix="collect more texts of the rare labels, merge them into a related label, or drop them from the sets")
def rare_labels(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Every label is on enough training texts."""
    train = {label: v["train"] for label, v in stats["classes"].items()}
    rare = sorted((n, label) for label, n in train.items() if n < c.warn)
    named = _listed([f"{label} ({n})" for n, label in rare])
    return c.graded(min(train.values(), default=0), f"{len(rare)} of {len(train)} labels are on fewer than {c.warn} "
                    f"training texts: {named}" if rare else f"every label is on at least {c.warn} training texts")


@check("labels_in_every_split", reads="stats", section="balance", question="label_balance", direction="", tasks=MULTI,
       fix="add texts carrying those labels, or lower split.valid_size/test_size")
def labels_in_every_split(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Every label is on some text of train, valid and test."""
    missing = {s: labels for s, labels in stats["missing_classes"].items() if labels}
    return c.result("fail" if missing else "pass", {s: sorted(v) for s, v in missing.items()},
                    "every label in train, valid and test",
                    "every label is on texts of every split" if not missing
                    else "some split lacks a label: " + "; ".join(f"{s}: {_listed(v)}" for s, v in missing.items()))


@check("texts_without_labels", reads="stats", section="balance", question="label_pairs", tasks=MULTI,
       limits=[Limit("texts_without_labels_warn", 0.1, "warn", "share of texts whose label set is empty")],
       fix="if no label is a real answer, keep them (a model learns to say so); if they are unlabelled texts, "
           "label them or drop them (data.empty_label_set=drop)")
def texts_without_labels(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Texts with an empty label set."""
    sets = stats["label_sets"]
    return c.graded(sets["empty_share"], f"{sets['empty_rows']} texts ({_pct(sets['empty_share'])}) carry no label; "
                                         f"a text carries {sets['per_text_mean']:.2f} labels on average")


@check("target_outliers", reads="stats", section="target", question="target_distribution", tasks=REGRESSION,
       limits=[Limit("target_outlier_warn", 0.001, "warn", "share of rows beyond 3 IQR from the quartiles or 4 sd "
                     "from the mean"), Limit("target_outlier_fail", 0.05)],
       fix="read them in the report: typos and unit mix-ups are fixed in the source; a real long tail is "
           "transformed (log) or scored with MAE, which it sways less")
def target_outliers(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Targets far from the bulk of the distribution."""
    far = stats["target"]["outliers"]
    return c.graded(far["share"], f"{far['rows']} rows ({_pct(far['share'])}) have a target beyond 3 IQR from the "
                                  f"quartiles or 4 sd from the mean (outside {far['low']:.4g} to {far['high']:.4g})")


@check("target_skew", reads="stats", section="target", question="target_distribution", tasks=REGRESSION,
       limits=[Limit("target_skew_warn", 2.0, "warn", "absolute skewness of the target")],
       fix="consider predicting a transformed target (log, rank) and scoring with MAE or Spearman")
def target_skew(stats: dict[str, Any], c: Grading) -> CheckResult:
    """A target piled up on one side: squared errors are then ruled by the long tail."""
    skew = stats["target"]["skew"]
    side = "right (a long tail of high values)" if skew > 0 else "left (a long tail of low values)"
    return c.graded(abs(skew), f"the target's skewness is {skew:.2f}" + (f": skewed to the {side}" if skew else ""))


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
    empty_means_none = clean["missing_label"] and stats.get("task", {}).get("name") == "multi_label"
    return c.graded(stats["dropped_share"],
                    f"{clean['dropped']} of {clean['rows_read']} rows were dropped "
                    f"(missing text {clean['missing_text']}, missing label {clean['missing_label']})",
                    c.declared.fix + ("; if an empty label cell means 'no label' here, set data.missing_label=empty_set"
                             if empty_means_none else ""))


@check("label_variants", reads="stats.clean", section="rows", question="disputed_labels", tasks=CLASSES,
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


@check("conflicting_duplicates", reads="stats", section="duplicates", question="disputed_labels", tasks=CLASSES,
       limits=[Limit("conflicting_duplicates_warn", 0.002, "warn",
                     "share of rows whose duplicates carry another label (label set)"),
               Limit("conflicting_duplicates_fail", 0.02)],
       fix="review them in the report; keep one label per text (e.g. majority vote) or drop them")
def conflicting_duplicates(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Equal texts with different labels (several labels per text: different label sets)."""
    dup, sets = stats["duplicates"], stats.get("task", {}).get("name") == MULTI[0]
    return c.graded(dup["conflicting_share"],
                    f"{dup['conflicting_groups']} groups of equal texts carry different {'label sets' if sets else 'labels'} "
                    f"({_pct(dup['conflicting_share'])} of rows)",
                    "review them in the report; keep one label set per text (e.g. the labels most copies carry) or "
                    "drop them" if sets else None)


@check("conflicting_targets", reads="stats", section="duplicates", question="disputed_labels", tasks=REGRESSION,
       limits=[Limit("conflicting_targets_warn", 0.002, "warn", "share of rows whose duplicates' targets differ by "
                     "more than a tenth of the target's sd"), Limit("conflicting_targets_fail", 0.02)],
       fix="review them in the report; keep one target per text (e.g. the mean of the copies) or drop them")
def conflicting_targets(stats: dict[str, Any], c: Grading) -> CheckResult:
    """Equal texts with different targets, by more than a tenth of the target's sd."""
    t = stats["target_conflicts"]
    return c.graded(t["disagreeing_share"],
                    f"{t['disagreeing_groups']} groups of equal texts have targets more than {t['tolerance']:.3g} apart "
                    f"({_pct(t['disagreeing_share'])} of rows; largest spread {t['max_spread']:.3g})")


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

@check("label_issues", reads="stats.label_issues", section="label-issues", question="disputed_labels", tasks=SINGLE,
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


def _skipped(issues: dict[str, Any], c: Grading) -> CheckResult:
    return c.result("warn", None, "the label-issue search to run", f"label-issue search skipped: {issues['skipped']}",
                    issues.get("fix") or "add rows so every fold has some", direction="")


@check("label_set_issues", reads="stats.label_issues", section="label-issues", question="disputed_labels",
       tasks=MULTI, limits=[Limit("label_set_issue_warn", 0.1, "warn", "share of texts whose label set looks wrong "
                                  "(a label given wrongly or missing: any of them flags the text)"),
                            Limit("label_set_issue_fail", 0.3)],
       fix="read reports/inspect/label_issues.csv from the top (its doubted column names the labels) and correct "
           "real errors")
def label_set_issues(issues: dict[str, Any], c: Grading) -> CheckResult:
    """Texts a cross-validated one-vs-rest TF-IDF model suspects to carry a wrong or incomplete label set."""
    if issues.get("skipped"):
        return _skipped(issues, c)
    return c.graded(issues["share"], f"{issues['issues']} of {issues['searched_rows']} texts ({_pct(issues['share'])}) "
                                     "have a label set that looks wrong to a cross-validated one-vs-rest TF-IDF model")


@check("target_issues", reads="stats.label_issues", section="label-issues", question="disputed_labels",
       tasks=REGRESSION, limits=[Limit("target_issue_warn", 0.02, "warn", "share of rows whose target looks wrong"),
                                 Limit("target_issue_fail", 0.1)],
       fix="read reports/inspect/label_issues.csv from the top (given against predicted) and correct real errors")
def target_issues(issues: dict[str, Any], c: Grading) -> CheckResult:
    """Rows whose target a cross-validated TF-IDF + ridge model finds far off (cleanlab's regression score)."""
    if issues.get("skipped"):
        return _skipped(issues, c)
    return c.graded(issues["share"], f"{issues['issues']} of {issues['searched_rows']} rows ({_pct(issues['share'])}) "
                                     "have a target that looks wrong to a cross-validated TF-IDF + ridge model")


@check("keyword_signal", reads="stats.keyword_rule", section="keyword-rule", question="rule_based", direction="min",
       tasks=SINGLE,
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
