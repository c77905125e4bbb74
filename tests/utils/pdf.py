"""Reading printed documents back: the text of a PDF as pdftotext (poppler-utils) gives it, and
one page as a PNG (pdftoppm) for the README's pictures."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def pdf_text(data: bytes, *, layout: bool = False) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        options = ["-layout"] if layout else []
        done = subprocess.run(
            ["pdftotext", *options, "-enc", "UTF-8", file.name, "-"],
            check=True,
            capture_output=True,
        )
    return done.stdout.decode("utf-8")


def pdf_page_png(data: bytes, target: Path, *, page: int = 1, dpi: int = 80) -> Path:
    """Save one page as `target` (a .png path)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(data)
        stem = Path(folder) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(source),
                str(stem),
            ],
            check=True,
        )
        target.write_bytes(stem.with_suffix(".png").read_bytes())
    return target
