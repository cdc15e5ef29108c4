"""What only step 4 shows in the journey report: parameter importances and the budget curve."""

from __future__ import annotations

from clearance.journey.values import mapping, number, show


def importances(measurements: dict) -> dict:
    """Parameter importances, largest first, beside each one's Spearman correlation with the metric."""
    block, rhos = mapping(measurements.get("importances")), mapping(measurements.get("spearman"))
    values = sorted(mapping(block.get("values")).items(), key=lambda kv: -(number(kv[1]) or 0.0))
    return {"evaluator": str(block.get("evaluator") or ""), "note": str(block.get("note") or ""),
            "rows": [{"key": k, "value": v, "text": show(v, "score"), "rho": show(number(rhos.get(k)), "gain")}
                     for k, v in values]}


def complete_trials(measurements: dict) -> list[tuple[int, float]]:
    """(trial number, valid score) of the complete trials, by number."""
    trials = [mapping(t) for t in measurements.get("trials") or []]
    return sorted((t["number"], t["value"]) for t in trials if t.get("state") == "COMPLETE"
                  and number(t.get("value")) is not None and number(t.get("number")) is not None)


def budget_curve(measurements: dict) -> list[tuple[int, float]]:
    """(trial number, best valid score so far) over the complete trials: did more trials still help?"""
    better = min if measurements.get("direction") == "minimize" else max
    curve: list[tuple[int, float]] = []
    for trial, value in complete_trials(measurements):
        curve.append((trial, value if not curve else better(curve[-1][1], value)))
    return curve


def curve_svg(points: list[tuple[int, float]], curve: list[tuple[int, float]],
              width: int = 420, height: int = 160, pad: int = 34) -> str:
    """Each trial's score (dots) and the best so far (steps) as inline SVG: nothing to load.

    Only numbers go into the markup, so it is safe to insert as is.
    """
    if len(curve) < 2:
        return ""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x_span, y_span = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1

    def at(x: float, y: float) -> tuple[float, float]:
        return (pad + (x - min(xs)) / x_span * (width - 2 * pad),
                height - pad - (y - min(ys)) / y_span * (height - 2 * pad))

    steps = [curve[0]] + [p for prev, cur in zip(curve, curve[1:]) for p in ((cur[0], prev[1]), cur)]
    line = " ".join("{:.1f},{:.1f}".format(*at(x, y)) for x, y in steps)
    dots = "".join('<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="#9bb7d9"/>'.format(*at(x, y)) for x, y in points)
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="valid score by trial number">'
            f'<rect x="{pad}" y="{pad // 2}" width="{width - 2 * pad}" height="{height - pad - pad // 2}" '
            f'fill="none" stroke="#ddd"/>{dots}'
            f'<polyline points="{line}" fill="none" stroke="#1f5fa8" stroke-width="2"/>'
            f'<text x="{pad}" y="{height - 8}" font-size="11">trial {min(xs)}</text>'
            f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">trial {max(xs)}</text>'
            f'<text x="2" y="{pad // 2 + 10}" font-size="11">{max(ys):.4f}</text>'
            f'<text x="2" y="{height - pad}" font-size="11">{min(ys):.4f}</text></svg>')


def sweep_detail(measurements: dict) -> dict:
    """What only step 4 has: importances and the budget curve."""
    curve = budget_curve(measurements)
    return {"importances": importances(measurements), "curve": curve,
            "lower_is_better": measurements.get("direction") == "minimize",
            "curve_svg": curve_svg(complete_trials(measurements), curve),
            "trials": len(measurements.get("trials") or [])}
