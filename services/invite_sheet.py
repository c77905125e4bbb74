"""Invite codes on paper: a CSV for the office and a printable PDF with one QR code per code."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import segno

from core.fonts import cjk_font_properties
from core.i18n import N_
from services.invites import IssuedInvite, deep_link

PER_PAGE = 12  # 3 columns × 4 rows on A4
KIND_LABELS = {"owner": N_("owner"), "tenant": N_("tenant")}


def write_invite_csv(issued: list[IssuedInvite], path: Path, bot_username: str) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["household", "kind", "code", "link", "expires_at"])
        for invite in issued:
            writer.writerow(
                [
                    invite.label,
                    invite.kind,
                    invite.code,
                    deep_link(bot_username, invite.code),
                    invite.expires_at.isoformat(),
                ]
            )
    return path


def write_invite_sheet(
    issued: list[IssuedInvite],
    path: Path,
    bot_username: str,
    compound_name: str,
    gettext: Callable[[str], str],
) -> Path:
    """A4 pages of cut-out cards: household, owner/tenant, QR code of the deep link, the code."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    font = cjk_font_properties()
    with PdfPages(path) as pdf:
        for start in range(0, len(issued), PER_PAGE):
            figure, axes = plt.subplots(4, 3, figsize=(8.27, 11.69))
            figure.suptitle(compound_name, fontproperties=font, fontsize=14)
            figure.subplots_adjust(hspace=0.5, wspace=0.3)
            for ax in axes.flat:
                ax.axis("off")
            for ax, invite in zip(axes.flat, issued[start : start + PER_PAGE], strict=False):
                qr = segno.make(deep_link(bot_username, invite.code), error="m")
                ax.imshow(list(qr.matrix_iter(border=2)), cmap="binary", interpolation="nearest")
                kind = gettext(KIND_LABELS.get(invite.kind, invite.kind))
                ax.set_title(f"{invite.label} · {kind}", fontproperties=font, fontsize=10)
                ax.text(
                    0.5,
                    -0.08,
                    invite.code,
                    transform=ax.transAxes,
                    ha="center",
                    fontsize=8,
                    family="monospace",
                )
            pdf.savefig(figure)
            plt.close(figure)
    return path
