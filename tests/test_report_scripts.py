"""Plots and reports draw every script (issue 15): no missing-glyph warning from matplotlib and no
tofu box in headless Chromium, for Chinese, Japanese, Korean, Russian, Arabic and Thai text.

A PNG plot draws with the font chain of clearance/core/report/fonts.py and shows a label that no
font of the chain has as a key ("class 1", "token 3"); the report then lists what each key stands
for. The browser test installs the fonts the reports name (Debian fonts-noto-cjk, fonts-noto-core).
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
import warnings
from io import BytesIO
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from clearance.core.report import fonts, plots
from clearance.core.report.html import SHARED, render
from clearance.small_model.judge import plots as model_plots
from clearance.sweep.judge import plots as sweep_plots
from tests.apt import apt_get
from tests.test_ui import chromium, driver  # noqa: F401  (the browser fixtures, shared)

matplotlib.use("Agg")

DATA = Path(__file__).with_name("data") / "zh_reviews.csv"
# One class name per script, in the order the report's tables list them (sorted).
LABELS = {"Arabic": "جيد", "Chinese": "好评", "Japanese": "良い", "Korean": "좋음", "Russian": "хорошо",
          "Thai": "ดี", "English": "okay"}
PHRASES = {  # short texts per script for the report, beside the Chinese reviews
    "Japanese": ["この本はとても面白かったです", "配送が遅くて残念でした"],
    "Korean": ["정말 좋은 제품입니다", "배송이 너무 늦었어요"],
    "Russian": ["Отличная книга, рекомендую", "Доставка была слишком долгой"],
    "Arabic": ["كتاب رائع جدا", "التوصيل كان بطيئا"],
    "Thai": ["หนังสือเล่มนี้ดีมาก", "การจัดส่งช้าเกินไป"],
}
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-noto-core")  # Debian: CJK (~56 MB download); Thai, Arabic … (~12 MB)
# A character the chain never has (it looks for no font for Egyptian hieroglyphs)…
UNCOVERED = "\U00013000"
# … and, for the browser, letters of scripts new in Unicode 14 to 16 (fonts-noto-core has the hieroglyphs):
# Kawi, Nag Mundari, Vithkuqi, Toto, Todhri, Kirat Rai; the test takes one no installed font covers.
NEW_SCRIPTS = "\U00011F04\U0001E4D0\U00010570\U0001E290\U000105C0\U00016D40"
KEY = re.compile(r"^(class|token) \d+$")


@pytest.fixture(params=["machine", "dejavu"])
def chain(request, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fonts at hand: the machine's own, or DejaVu Sans alone (a machine with no other font)."""
    if request.param == "dejavu":
        monkeypatch.setattr(fonts, "chain", lambda: (fonts._resolve(fonts.BASE),))
    return request.param


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text of every figure saved while the test runs (read at savefig, before the figure closes)."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    texts: list[str] = []
    save = Figure.savefig

    def savefig(self, *args, **kwargs):
        texts.extend(t.get_text() for t in self.findobj(Text) if t.get_text())
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return texts


def draw_every_plot(labels: list[str], tokens: dict[str, list[str]], folder: Path) -> None:
    """Each figure that shows class names or tokens, and the ones that show setting values and names."""
    splits = ("train", "valid", "test")
    per_class = {c: {s: 10 + i for i, s in enumerate(splits)} for c in labels}
    plots.class_balance(per_class, splits, folder / "balance.png")
    rows = pd.Series([c for c in labels for _ in range(5)])
    lens = pd.DataFrame({"chars": np.arange(len(rows)) % 7 + 1, "words": np.arange(len(rows)) % 3 + 1})
    plots.length_histograms(lens, rows, "chars", folder / "lengths.png")
    plots.top_token_bars({c: [(w, 3.0 - i / 10) for i, w in enumerate(tokens[c])] for c in labels},
                         folder / "tokens.png")
    plots.pattern_rates({c: {"url": 0.1, "hashtag": 0.2} for c in labels}, folder / "patterns.png")
    table = pd.DataFrame(np.eye(len(labels), dtype=int) * 3, index=labels, columns=labels)
    plots.confusion_matrix(table, folder / "confusion.png", "好评 on valid")
    model_plots.confusion({"classes": labels, "matrix": table.to_numpy().tolist()}, folder / "model.png")
    history = [{"step": s, "param_norm/编码器": 1.0 + s} for s in (1, 2)]
    model_plots.param_norm_curves(history, folder / "norms.png")
    sweep_plots.scatter("模型", [["小", 0.5], ["大", 0.6]], False, "macro_f1", ("大", 0.6), folder / "scatter.png")
    plots.placeholder("没有数据", folder / "placeholder.png")


def tokens_of(labels: list[str]) -> dict[str, list[str]]:
    """Two tokens per class: a word of the class's own script and an English one."""
    return {c: [c + "字", f"word{i}"] for i, c in enumerate(labels)}


def installed(package: str) -> bool:
    """Whether a Debian package is installed here."""
    return subprocess.run(["dpkg", "-s", package], capture_output=True, check=False).returncode == 0


def keyed_scripts() -> set[str]:
    """The scripts DejaVu Sans alone cannot draw: CJK and Thai; Arabic too where matplotlib does not shape."""
    return {"Chinese", "Japanese", "Korean", "Thai"} | (set() if fonts._shapes_text() else {"Arabic"})


def test_every_plot_draws_every_script_without_a_warning(chain: str, drawn: list[str], tmp_path: Path) -> None:
    """No warning at all, every drawn text drawable, and a key exactly where a label is not."""
    labels = list(LABELS.values())
    tokens = tokens_of(labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw_every_plot(labels, tokens, tmp_path)
    assert [str(w.message) for w in caught] == []
    assert drawn and all(fonts.drawable(t) for t in drawn), [t for t in drawn if not fonts.drawable(t)]
    classes = fonts.keyed(labels, "class")
    words = fonts.keyed([w for c in labels for w in tokens[c]], "token")
    for label, shown in [*classes.items(), *words.items()]:
        assert shown in drawn
        assert (label in drawn) == fonts.drawable(label) == (KEY.match(shown) is None)
    keyed = {script for script, label in LABELS.items() if classes[label] != label}
    if chain == "dejavu":
        assert keyed == keyed_scripts()
    elif all(map(installed, FONT_PACKAGES)):  # found even where matplotlib's font cache predates them
        assert keyed == set()


def test_english_labels_stay_as_they_are(drawn: list[str], tmp_path: Path) -> None:
    """ASCII class names and tokens are drawn as given: no key anywhere."""
    labels = ["negative", "neutral", "positive"]
    draw_every_plot(labels, {c: [f"{c}_word", "the"] for c in labels}, tmp_path)
    assert {*labels, "negative_word", "the"} <= set(drawn)
    assert not [t for t in drawn if KEY.match(t)]


def test_plain_matplotlib_with_dejavu_alone_does_warn(tmp_path: Path) -> None:
    """The check can fail: Chinese labels drawn directly with DejaVu Sans give missing-glyph warnings."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.bar([0, 1], [3, 4])
        ax.set_xticks([0, 1], ["好评", "差评"])
        fig.savefig(BytesIO(), format="png")
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)


def test_a_character_the_chain_lacks_is_written_as_its_code(chain: str) -> None:
    """Names that are not data (settings, titles) keep every character they can, the rest as codes."""
    assert fonts.safe("lr") == "lr"
    assert fonts.safe(f"x{UNCOVERED}") == "x\\u13000"
    assert fonts.drawable("Привет, мир") and not fonts.drawable(UNCOVERED)


def key_rows(folder: Path, labels: list[str], kind: str, context: dict | None = None) -> list[tuple[str, str]]:
    """The (key, text) rows of the report's key table for ``labels``, rendered through keys.html.j2."""
    page = folder / "keys_test.html.j2"  # beside it the renderer finds the shared templates
    page.write_text('{% from "keys.html.j2" import key_table with context %}{{ key_table(kind, labels) }}')
    html = render(page, {"kind": kind, "labels": labels, **(context or {})})
    return re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


def test_the_key_table_lists_every_key_a_figure_shows(chain: str, tmp_path: Path) -> None:
    """The report's table holds each key the plots used, numbered the same way; none for ASCII labels."""
    labels = [*LABELS.values(), LABELS["Chinese"]]
    rows = dict(key_rows(tmp_path, labels, "class"))
    for label, shown in fonts.keyed(labels, "class").items():
        if shown != label:
            assert rows[shown] == label
    exact = key_rows(tmp_path, labels, "class", {"drawable": fonts.drawable})
    assert exact == [(shown, label) for label, shown in fonts.keyed(labels, "class").items() if shown != label]
    assert key_rows(tmp_path, ["negative", "positive", "café", "Привет"], "class") == []


def test_every_report_page_declares_utf8_and_fonts_for_every_script() -> None:
    """Each report template extends the base page, which declares UTF-8 and names the fonts before sans-serif."""
    base = (SHARED / "base.html.j2").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in base
    stack = re.search(r"body \{ font: [^;]*;", base).group(0)
    for family in ("Noto Sans CJK SC", "Noto Sans Thai", "Noto Sans Arabic", "DejaVu Sans"):
        assert stack.index(f'"{family}"') < stack.rindex("sans-serif")
    templates = list(Path(plots.__file__).parents[2].glob("**/report.html.j2"))  # every step's, the journey's
    assert len(templates) >= 5
    for template in templates:
        assert template.read_text(encoding="utf-8").startswith('{% extends "base.html.j2" %}'), template


# The browser test


@pytest.fixture(scope="module")
def report_fonts() -> None:
    """The Debian font packages the reports name, installed with apt-get when missing."""
    missing = [p for p in FONT_PACKAGES if not installed(p)]
    if not missing:
        return
    for command in (("update", "-qq"), ("install", "-y", "-qq", "--no-install-recommends", *missing)):
        result = apt_get(*command)
        if result.returncode != 0:
            pytest.fail(f"cannot install {' '.join(missing)} (apt-get {' '.join(command)}):\n{result.stderr}")


CLASS_NAMES = {"negative": "差评 · 悪い · 나쁨 · плохо · سيء · แย่", "positive": "好评 · 良い · 좋음 · хорошо · جيد · ดี"}


def six_scripts(folder: Path) -> Path:
    """tests/data/zh_reviews.csv with a few short texts in the other scripts, class names in all six."""
    rows = pd.read_csv(DATA)
    extra = [(text, label) for phrases in PHRASES.values() for text, label in zip(phrases, ("positive", "negative"))]
    rows = pd.concat([rows, pd.DataFrame(extra * 4, columns=["text", "label"])], ignore_index=True)
    rows["label"] = rows["label"].map(CLASS_NAMES)
    path = folder / "six_scripts.csv"
    rows.to_csv(path, index=False)
    return path


def step_1_report(source: Path, folder: Path) -> Path:
    """The real step 1 (prepare, inspect, judge_inspect) on ``source``; returns its report.html."""
    from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
    from clearance.core.config.inspect import InspectConfig, InspectStage
    from clearance.inspection.judge.run import InspectChecks
    from clearance.core.config.params import from_conf
    from clearance.core.data.prepare import prepare
    from clearance.inspection.judge.run import judge_inspection
    from clearance.inspection.measure.run import run_inspection

    custom = ("data=custom",)
    prepared = folder / "prepared"
    prepare(from_conf(PrepareStage, hydra_overrides=custom, seed=42, split=from_conf(SplitConfig, "split"),
                      data=from_conf(DataConfig, "data", custom, path=str(source))), prepared)
    out = folder / "inspect"
    run_inspection(from_conf(InspectStage, seed=42, inspect=from_conf(InspectConfig, "inspect")), prepared, out)
    judge_inspection(from_conf(InspectChecks, "checks.inspect"), out)
    return out / "report.html"


# Draws each character on a canvas in the page's font and compares its pixels with the drawing of
# unassigned code points (the font's .notdef box): equal pixels mean the browser drew a box.
BOXES_JS = """
const chars = arguments[0];
const family = getComputedStyle(document.body).fontFamily;
const canvas = document.createElement('canvas');
canvas.width = 72; canvas.height = 72;
const ctx = canvas.getContext('2d', {willReadFrequently: true});
function pixels(ch) {
  ctx.clearRect(0, 0, 72, 72);
  ctx.font = '48px ' + family;
  ctx.textBaseline = 'middle';
  ctx.fillText(ch, 8, 36);
  return ctx.getImageData(0, 0, 72, 72).data;
}
function same(a, b) { for (let i = 0; i < a.length; i++) { if (a[i] !== b[i]) return false; } return true; }
const boxes = ['\\u0378', '\\u0380'].map(pixels);
const inked = boxes.every(b => b.some(v => v !== 0));
return {family: family, inked: inked, boxes: chars.filter(ch => boxes.some(b => same(pixels(ch), b)))};
"""


def uncovered_char() -> str:
    """A letter no font on this machine covers, by fontconfig (the fonts Chromium falls back on)."""
    for char in NEW_SCRIPTS:
        found = subprocess.run(["fc-list", f":charset={ord(char):x}"], capture_output=True, text=True, check=True)
        if not found.stdout.strip():
            return char
    pytest.fail(f"every one of {[f'U+{ord(c):04X}' for c in NEW_SCRIPTS]} has a font here: name a newer script")


def boxes_in(browser, chars: list[str]) -> list[str]:
    """The characters the page draws as .notdef boxes."""
    result = browser.execute_script(BOXES_JS, chars)
    assert result["inked"], f"the reference box drew nothing in {result['family']}"
    return result["boxes"]


def page_chars(browser) -> list[str]:
    """Every distinct visible-character of the page's text (rendered or inside closed <details>)."""
    text = browser.execute_script("return document.body.textContent;")
    return sorted({c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"})


@pytest.fixture
def report(report_fonts: None, tmp_path: Path, drawn: list[str],
           monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """Step 1's report on text in six scripts, and the texts its figures drew.

    The figures draw with DejaVu Sans alone, so that they show keys whatever fonts the machine has.
    """
    monkeypatch.setattr(fonts, "chain", lambda: (fonts._resolve(fonts.BASE),))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = step_1_report(six_scripts(tmp_path), tmp_path)
    assert not [str(w.message) for w in caught if "missing from font" in str(w.message)]
    return path, drawn


def test_a_report_in_six_scripts_shows_no_box_in_chromium(report: tuple[Path, list[str]],
                                                          driver, tmp_path: Path) -> None:  # noqa: F811
    """Headless Chromium draws every character of the report; the figures' keys are in its tables."""
    path, drawn = report
    driver.get(path.as_uri())
    driver.execute_script("document.getElementById('balance').scrollIntoView();")
    driver.save_screenshot(str(tmp_path / "report.png"))
    chars = page_chars(driver)
    for script, sample in {"Chinese": "好", "Japanese": "い", "Korean": "좋", "Russian": "х", "Arabic": "ج",
                           "Thai": "ด"}.items():
        assert sample in chars, f"no {script} text in the report"
    assert boxes_in(driver, chars) == []
    # The check can fail: a script no installed font covers is drawn as a box.
    uncovered = uncovered_char()
    assert boxes_in(driver, [uncovered, "好"]) == [uncovered]
    tables = driver.execute_script(
        "return Array.from(document.querySelectorAll('table.keys tr')).map(r => "
        "Array.from(r.cells).map(c => c.textContent));")
    listed = {row[0]: row[1] for row in tables if len(row) == 2}
    used = {t for t in drawn if KEY.match(t)}
    assert {"class 1", "class 2", "token 1"} <= used <= set(listed), used - set(listed)
    assert [listed["class 1"], listed["class 2"]] == sorted(CLASS_NAMES.values())


def test_a_drawing_function_uses_the_chain_and_restores_the_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a drawing function matplotlib's family is the chain; outside it, what it was."""
    seen: list[list[str]] = []
    monkeypatch.setattr(fonts, "chain", lambda: (fonts.Font("DejaVu Sans", "x"),))

    @fonts.with_chain
    def draw() -> None:
        seen.append(list(matplotlib.rcParams["font.family"]))

    before = list(matplotlib.rcParams["font.family"])
    draw()
    assert seen == [["DejaVu Sans"]] and list(matplotlib.rcParams["font.family"]) == before
