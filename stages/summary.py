"""DVC stage summary: once the last gate clears, the whole journey in one self-contained page,
reports/summary.html (the same page as `clearance report`)."""

from pathlib import Path

from clearance.core.errors import run_main
from clearance.journey.report import write_journey


def main() -> None:
    print(write_journey(Path.cwd()).relative_to(Path.cwd()))


if __name__ == "__main__":
    run_main(main)
