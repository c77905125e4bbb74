"""Every permission × every persona, through the bot, generated from the policy table.

For each permission of services.policy.POLICY, its probe (tests/permissions/) tries it as every
persona — owner, tenant, staff, liaison, quality supervisor, committee member, officer,
administrator, someone who never joined, and the same roles in the neighbouring compound — on a
record of 幸福家园, and checks the effect (in the database, or what the person was shown when the
permission is to see something) against what the table says. A permission without a probe fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app import ConsoleServer
from services.policy import POLICY, Permission
from tests.permissions import (  # noqa: F401 (registers the probes)
    probes_console,
    probes_console_roster,
    probes_corrections,
    probes_fees,
    probes_notices,
    probes_people,
    probes_tickets,
    probes_vote_results,
    probes_votes,
)
from tests.permissions.cast import PARTS, assemble
from tests.permissions.probe import PROBES


def test_every_permission_has_a_probe() -> None:
    missing = [p.value for p in POLICY if p not in PROBES]
    assert not missing, f"permissions without a probe: {missing}"


@pytest.mark.parametrize("permission", sorted(POLICY, key=str))
async def test_the_policy_holds_through_the_bot(
    permission: Permission, world, tmp_path: Path
) -> None:
    probe = PROBES[permission]
    cast = await assemble(world, tmp_path)
    await probe.prepare(probe, world, cast)
    wrong = []
    for part in PARTS:
        took = await probe.attempt(probe, world, cast, cast[part.name])
        if took != probe.expects(part):
            wrong.append(f"{part.name}: {'did' if took else 'could not'}")
    server = probe.state.pop("server", None)  # the console, for its probes
    if isinstance(server, ConsoleServer):
        await server.stop()
    assert not wrong, f"{permission.value} disagrees with the policy table: {wrong}"
