"""A `_target_` naming a built-in part at its old place (clearance.core.parts.*) names the new one."""

from __future__ import annotations

import pytest

from clearance.core.errors import UserError
from clearance.core.parts.targets import partial_of


def test_an_old_target_names_where_the_part_moved():
    with pytest.raises(UserError) as caught:
        partial_of({"_target_": "clearance.core.parts.tiny.TinyTransformer"}, "model", "model", "fix")
    assert "clearance.neural.parts.tiny.TinyTransformer" in caught.value.render()
    assert "model._target_" in caught.value.render()


def test_the_new_place_resolves():
    made = partial_of({"_target_": "clearance.neural.parts.tiny.TinyTransformer"}, "model", "model", "fix")
    assert made.func.__name__ == "TinyTransformer"
