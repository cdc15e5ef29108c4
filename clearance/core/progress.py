"""Progress messages for long work: each step with its duration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Print ``title``, run the block, then print how long it took."""
    console.print(f"[bold]▸[/bold] {title} …")
    start = time.perf_counter()
    yield
    console.print(f"  done in {time.perf_counter() - start:.1f} s")


def note(message: str) -> None:
    """A progress line inside a step."""
    console.print(f"  {message}")
