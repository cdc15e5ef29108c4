"""Files shipped inside installed PyPI packages (the default data and model)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from clearance.errors import UserError


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
