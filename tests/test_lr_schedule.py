"""The learning-rate schedule (train.schedule, train.warmup_ratio): its shapes, the rates a run trains at, and a
resumed run picking its rate up where it left off."""

from __future__ import annotations

import pytest

from clearance.core.errors import UserError
from clearance.neural.training.loop import train_model
from clearance.neural.training.schedule import lr_factor, require_schedule
from tests.training_kit import kit, train_config


@pytest.mark.parametrize("kind", ["constant", "linear", "cosine"])
def test_the_warm_up_climbs_linearly_to_the_rate(kind: str) -> None:
    assert [lr_factor(s, 100, kind, 0.1) for s in range(10)] == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert lr_factor(10, 100, kind, 0.1) == pytest.approx(1.0)


def test_after_the_warm_up_each_shape_goes_its_way() -> None:
    assert [lr_factor(s, 100, "constant", 0.0) for s in (0, 50, 99)] == [1.0, 1.0, 1.0]
    assert [lr_factor(s, 100, "linear", 0.0) for s in (0, 50, 99)] == pytest.approx([1.0, 0.5, 0.01])
    assert [lr_factor(s, 100, "cosine", 0.0) for s in (0, 50)] == pytest.approx([1.0, 0.5])
    assert 0.0 < lr_factor(99, 100, "cosine", 0.0) < 0.001


@pytest.mark.parametrize("kind, ratio", [("step", 0.0), ("linear", 1.0), ("linear", -0.1)])
def test_a_schedule_it_cannot_draw_names_the_setting(kind: str, ratio: float) -> None:
    with pytest.raises(UserError) as raised:
        require_schedule(kind, ratio)
    assert "train." in str(raised.value)


def test_a_run_trains_at_the_scheduled_rates() -> None:
    parts, train, valid = kit()
    result = train_model(train_config(lr=0.01, epochs=2, eval_every=2, schedule="linear", warmup_ratio=0.25),
                         parts, train, valid, progress=False)
    # each record holds the rate of the last step trained before it (0-based step - 1)
    expected = [0.01 * lr_factor(r["step"] - 1, result.steps, "linear", 0.25) for r in result.history]
    rates = [r["lr"] for r in result.history]
    assert rates == pytest.approx(expected)
    assert rates[0] < 0.01 and max(rates) == pytest.approx(0.01) and rates[-1] < 0.01 / 2  # up, then down


def test_a_constant_schedule_trains_as_before() -> None:
    parts, train, valid = kit()
    plain = train_model(train_config(epochs=1, eval_every=5), parts, train, valid, progress=False)
    assert {record["lr"] for record in plain.history} == {0.01}
