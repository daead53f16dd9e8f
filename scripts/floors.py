"""The lowest versions the package declares, for the second test pass (`make test-lowest`).

Prints ``name==version`` for every ``name>=version`` runtime dependency in pyproject.toml;
with ``--check``, verifies that those exact versions are the ones installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path


def floors() -> dict[str, str]:
    project = tomllib.loads(Path(__file__).parent.parent.joinpath("pyproject.toml").read_text())
    pins = {}
    for requirement in project["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)", requirement)
        if match is None:
            raise SystemExit(f"expected 'name>=version', got {requirement!r}")
        pins[match[1]] = match[2]
    return pins


def _same(text: str) -> tuple[int, ...]:
    # "0.27" and "0.27.0" are one version.
    parts = [int(p) for p in re.findall(r"\d+", text)]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def main() -> int:
    pins = floors()
    if "--check" not in sys.argv:
        print(" ".join(f"{name}=={low}" for name, low in pins.items()))
        return 0
    wrong = {
        name: version(name) for name, low in pins.items() if _same(version(name)) != _same(low)
    }
    for name, installed in wrong.items():
        print(f"expected {name}=={pins[name]}, got {installed}", file=sys.stderr)
    print("lowest versions:", ", ".join(f"{n} {v}" for n, v in pins.items()))
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
