"""Write the permission table of services/policy.py into the README (between the markers):
`python tools/policy_table.py`. tests/test_readme.py fails when the README's table is stale."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.policy import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- policy-table -->", "<!-- /policy-table -->"


def with_table(text: str) -> str:
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    return f"{before}{START}\n{markdown_table()}\n{END}{after}"


if __name__ == "__main__":
    README.write_text(with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
