"""Progress messages for long work: each step with its duration, and an estimate of the time left."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
T = TypeVar("T")
# A line every few seconds tells a waiting user the work moves on, without flooding a log.
EVERY_S = 5.0


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


class Countdown:
    """``k/n, ~T s left`` for work done in ``n`` parts of ``weights`` (default: equal), at most every
    ``every`` seconds and always at the last part. The time left is the time so far scaled by the
    weight still to do: a fair guess when the weights are proportional to the work."""

    def __init__(self, what: str, total: int, weights: list[float] | None = None, every: float = EVERY_S) -> None:
        self.what, self.total, self.every = what, total, every
        self.weights = weights if weights is not None else [1.0] * total
        self.start = self.last = time.perf_counter()

    def left(self, done: int) -> float | None:
        """Seconds left after ``done`` parts, or None before any work is measured."""
        finished = sum(self.weights[:done])
        if finished <= 0:
            return None
        return (time.perf_counter() - self.start) * (sum(self.weights) - finished) / finished

    def tick(self, done: int) -> None:
        """Report that ``done`` parts are finished (printed when due)."""
        now = time.perf_counter()
        if done < self.total and now - self.last < self.every:
            return
        self.last = now
        left = self.left(done)
        estimate = "" if done >= self.total or left is None else f", ~{left:.0f} s left"
        note(f"{self.what} {done}/{self.total}{estimate}")


def counted(items: Iterable[T], what: str, total: int, every: float = EVERY_S) -> Iterator[T]:
    """Yield ``items`` (``total`` of them), noting ``what k/n, ~T s left`` as they are done."""
    countdown = Countdown(what, total, every=every)
    for done, item in enumerate(items, start=1):
        yield item
        countdown.tick(done)
