"""Invite codes on paper: a printable PDF with one QR code per code (the office's list of the
codes, a CSV, is services/invite_list.py)."""

from __future__ import annotations

import io

import segno

from core.fonts import cjk_font_properties
from core.i18n import N_, Translator
from services.invites import IssuedInvite, deep_link

PER_PAGE = 12  # 3 columns × 4 rows on A4
KIND_LABELS = {"owner": N_("owner"), "tenant": N_("tenant")}


def invite_sheet(
    issued: list[IssuedInvite], bot_username: str, compound_name: str, _: Translator
) -> bytes:
    """A4 pages of cut-out cards (a PDF): household, owner/tenant, the deep link's QR code and
    the code."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    font = cjk_font_properties()
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        for start in range(0, len(issued), PER_PAGE):
            figure, axes = plt.subplots(4, 3, figsize=(8.27, 11.69))
            figure.suptitle(compound_name, fontproperties=font, fontsize=14)
            figure.subplots_adjust(hspace=0.5, wspace=0.3)
            for ax in axes.flat:
                ax.axis("off")
            for ax, invite in zip(axes.flat, issued[start : start + PER_PAGE], strict=False):
                qr = segno.make(deep_link(bot_username, invite.code), error="m")
                ax.imshow(list(qr.matrix_iter(border=2)), cmap="binary", interpolation="nearest")
                known = KIND_LABELS.get(invite.kind)
                kind = _.plain(known) if known else invite.kind
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
    return buffer.getvalue()
