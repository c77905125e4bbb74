"""Paths of files shipped with the project."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ROSTER = ROOT / "examples" / "roster-sample.csv"
