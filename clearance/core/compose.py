"""Compose params.yaml from the Hydra tree in conf/ (what `dvc exp run` does too)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from clearance.core.errors import UserError
from clearance.core.paths import CONF_DIR, CONF_FILE, PARAMS_FILE

HEADER = (
    "# Composed from conf/ by `clearance params` (and by `dvc exp run`).\n"
    "# Edit conf/ and recompose rather than editing this file by hand.\n"
)


def compose(overrides: list[str] | None = None, conf_dir: Path = CONF_DIR) -> dict[str, Any]:
    """Compose conf/config.yaml with Hydra overrides into a plain dict."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from clearance.core.compose_errors import composition_error

    if not (conf_dir / CONF_FILE).exists():
        raise UserError(str(conf_dir / CONF_FILE), "file not found",
                        "run clearance from the project root, where conf/ lives")
    overrides = list(overrides or [])
    try:
        with initialize_config_dir(config_dir=str(conf_dir.resolve()), version_base=None):
            cfg = hydra_compose(config_name=Path(CONF_FILE).stem, overrides=overrides)
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    # Hydra reads conf/ with a safe YAML loader: a tag (!!python/...) is refused there, never constructed.
    except (HydraException, OmegaConfBaseException, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise composition_error(exc, overrides, conf_dir, lambda: compose([], conf_dir=conf_dir)) from None


def render(params: dict[str, Any]) -> str:
    """params.yaml text: a header, then the settings in conf/ order."""
    return HEADER + yaml.safe_dump(params, sort_keys=False, allow_unicode=True)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Line diff between two settings dicts, for showing what a recompose changes."""
    a = yaml.safe_dump(old, sort_keys=True).splitlines()
    b = yaml.safe_dump(new, sort_keys=True).splitlines()
    return [line for line in difflib.unified_diff(a, b, str(PARAMS_FILE), "conf/", lineterm="", n=0)]


def write_params(params: dict[str, Any], path: Path = PARAMS_FILE) -> Path | None:
    """Write params.yaml; keep the previous file as params.yaml.bak if it differed.

    Returns the backup's path, if one was made, so nothing is lost silently.
    """
    backup = None
    text = render(params)
    if path.exists():
        previous = path.read_bytes()  # as bytes: a damaged file (not UTF-8) is kept as it is
        if previous == text.encode("utf-8"):
            return None
        backup = path.with_suffix(".yaml.bak")
        backup.write_bytes(previous)
    path.write_text(text, encoding="utf-8")
    return backup
