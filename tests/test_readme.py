"""The README states the rules the code holds: its permission table is the policy's."""

from __future__ import annotations

from tools.policy_table import README, with_table


def test_the_readme_permission_table_is_the_policy() -> None:
    text = README.read_text(encoding="utf-8")
    assert with_table(text) == text, "run: python tools/policy_table.py"
