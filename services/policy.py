"""Who may do what, where: one table from each permission to the people who hold it, and one
`authorize(session, actor, permission, place)` that every service calls with the actor.

Roles are held over a place (a compound, or a community, district… above it) and cover every
compound below it. Residents hold permissions through their household in the compound. Some
permissions also depend on the record itself: its author (`own`), the people it is about
(`parties`), or what the owners decided (`shared`: tenants see bills only if the owners allow).
Menus and /help are derived from the same table (`anywhere`), and the README prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Msg
from models import (
    Compound,
    Household,
    MembershipKind,
    Resident,
    Role,
    RoleGrant,
    ScopeKind,
    pk,
)
from services.actors import Actor, RoleScope
from services.coverage import Place, ancestors, covered, grant_covers
from services.errors import NotAllowed
from services.places import Scope, compound_ids_in_scope

R, M = Role, MembershipKind
OWNERS = frozenset({M.OWNER, M.CO_OWNER})
MEMBERS = frozenset(M)
ROLES = frozenset(R)


class Permission(StrEnum):
    JOIN = "account.join"
    OWN_DATA = "account.own_data"
    TICKET_REPORT = "ticket.report"
    TICKET_FILE_FOR = "ticket.file_for"
    TICKET_VIEW = "ticket.view"
    TICKET_WORK = "ticket.work"
    TICKET_CONFIRM = "ticket.confirm"
    TICKET_SERVICE_LEVELS = "ticket.service_levels"
    NOTICE_SEND = "notice.send"
    NOTICE_EDIT_OWN = "notice.edit_own"
    NOTICE_REPORT = "notice.report"
    NOTICE_ACKNOWLEDGE = "notice.acknowledge"
    VOTE_VIEW = "vote.view"
    VOTE_CAST = "vote.cast"
    VOTE_DRAFT = "vote.draft"
    VOTE_PAPER_BALLOT = "vote.paper_ballot"
    VOTE_NOT_VOTED_LIST = "vote.not_voted_list"
    VOTE_EXPORT = "vote.export"
    VOTE_CONFIGURE = "vote.configure"
    FEES_VIEW_BILLS = "fees.view_bills"
    FEES_SHARE_WITH_TENANTS = "fees.share_with_tenants"
    FEES_RECORD_PAYMENT = "fees.record_payment"
    FEES_CONFIRM_CLAIM = "fees.confirm_claim"
    FEES_REPORT = "fees.report"
    FEES_CONFIGURE = "fees.configure"
    FEES_PAYMENT_CODE = "fees.payment_code"
    PEOPLE_CONTACT = "people.contact"
    SURVEY_ANSWER = "survey.answer"
    KPI_VIEW = "kpi.view"
    FEES_REVERSE_PAYMENT = "fees.reverse_payment"
    FEES_RECEIPT = "fees.receipt"
    FEES_WITHDRAW_CLAIM = "fees.withdraw_claim"
    MEMBERSHIP_END = "people.move_out"
    MEMBERSHIP_REMOVE = "people.remove_member"
    VOTE_WITHDRAW = "vote.withdraw"
    VOTE_TURNOUT = "vote.turnout"
    VOTE_OBJECT = "vote.object"
    VOTE_OBJECTIONS = "vote.objections"
    VOTE_PRINT_BALLOTS = "vote.print_ballots"
    AUDIT_READS = "audit.reads"
    CONSOLE_SIGN_IN = "console.sign_in"
    ROLES_VIEW = "roles.view"
    ROLES_MANAGE = "roles.manage"
    ROSTER_IMPORT = "roster.import"


@dataclass(frozen=True)
class Rule:
    """Who holds a permission over a place, and what they are refused with otherwise."""

    allows: str  # what it allows, in English (the README's table)
    refusal: Msg
    roles: frozenset[Role] = frozenset()  # holding the role over the place
    members: frozenset[MembershipKind] = frozenset()  # of a household in the place
    shared: frozenset[MembershipKind] = frozenset()  # … only where the owners share the bills
    own: bool = False  # only the record's author (who must also hold a role or membership)
    parties: bool = False  # also the people the record is about (reporter, followers, recipients)
    everyone: bool = False  # also people who have not joined
    registered: bool = False  # anyone who has joined, wherever (about themselves)


NOT_REGISTERED = N_(
    "You are not registered yet. Open the invite link from your property office to join."
)
STAFF_ONLY = N_("Only property staff of this compound can do that.")
P = Permission
POLICY: dict[Permission, Rule] = {
    P.JOIN: Rule("start, join with an invite, help, language", NOT_REGISTERED, everyone=True),
    P.OWN_DATA: Rule(
        "see, export, correct and delete one's own data; read one's notices",
        NOT_REGISTERED,
        registered=True,
    ),
    P.TICKET_REPORT: Rule(
        "report an issue for one's home, follow one's tickets",
        N_("Only residents of a household can report an issue."),
        members=MEMBERS,
    ),
    P.TICKET_FILE_FOR: Rule(
        "report an issue on behalf of a household (代办)",
        N_("Only Party-member liaisons of this compound can report for a household."),
        roles=frozenset({R.LIAISON}),
    ),
    P.TICKET_VIEW: Rule(
        "open a ticket: its card, photos and history (internal notes: staff only)",
        N_("That ticket does not exist."),
        roles=frozenset({R.STAFF, R.ADMIN, R.LIAISON, R.SUPERVISOR}),
        parties=True,
    ),
    P.TICKET_WORK: Rule(
        "the staff queue; acknowledge, start, assign, note, finish or reject a ticket",
        STAFF_ONLY,
        roles=frozenset({R.STAFF, R.ADMIN}),
    ),
    P.TICKET_CONFIRM: Rule(
        "confirm or reopen a fix, cancel a report, rate it (the reporter, or the liaison who filed it)",
        N_("Only the resident who reported this can do that."),
        own=True,
        members=MEMBERS,
        roles=frozenset({R.LIAISON}),
    ),
    P.TICKET_SERVICE_LEVELS: Rule(
        "set the compound's ticket service levels (respond, handle, supervisor, auto-confirm)",
        N_("Only administrators of this compound can set service levels."),
        roles=frozenset({R.ADMIN}),
    ),
    P.NOTICE_SEND: Rule(
        "compose and send notices to the compound's residents",
        N_("Only liaisons, property staff and administrators of this compound can send notices."),
        roles=frozenset({R.LIAISON, R.STAFF, R.ADMIN}),
    ),
    P.NOTICE_EDIT_OWN: Rule(
        "change, cancel or re-send a reminder of one's own notice",
        N_("Only the person who sent this notice can change it."),
        own=True,
        roles=frozenset({R.LIAISON, R.STAFF, R.ADMIN}),
    ),
    P.NOTICE_REPORT: Rule(
        "a notice's delivery report: households not reached, for door-to-door follow-up",
        N_("Only liaisons, property staff and administrators of this compound can send notices."),
        roles=frozenset({R.LIAISON, R.STAFF, R.ADMIN}),
    ),
    P.NOTICE_ACKNOWLEDGE: Rule(
        "confirm having read a notice (those it was sent to)",
        N_("This notice was not sent to you."),
        parties=True,
    ),
    P.VOTE_VIEW: Rule(
        "read the compound's owners' votes, their results and the counted receipt hashes",
        N_("That vote does not exist."),
        roles=ROLES,
        members=MEMBERS,
    ),
    P.VOTE_CAST: Rule(
        "vote (owners of a home in the vote's scope; tenants never)",
        N_("Only owners vote in owners' assembly votes; tenants and family members do not."),
        members=OWNERS,
    ),
    P.VOTE_DRAFT: Rule(
        "draft and publish an owners' vote",
        N_("Only owners' committee members and administrators of this compound can draft votes."),
        roles=frozenset({R.COMMITTEE, R.ADMIN}),
    ),
    P.VOTE_PAPER_BALLOT: Rule(
        "enter a signed paper ballot (one by one in the bot, or a batch in the console)",
        N_(
            "Only property staff, owners' committee members and administrators of this compound can enter paper ballots."
        ),
        roles=frozenset({R.STAFF, R.COMMITTEE, R.ADMIN}),
    ),
    P.VOTE_NOT_VOTED_LIST: Rule(
        "the list of homes that have not voted, with roster names and phones",
        N_("Only liaisons, property staff and administrators of this compound can see this list."),
        roles=frozenset({R.LIAISON, R.STAFF, R.ADMIN}),
    ),
    P.VOTE_EXPORT: Rule(
        "export a closed vote's anonymised record (tally, snapshot, ballots by receipt hash)",
        N_("Only committee members, administrators and officers can export the record."),
        roles=frozenset({R.COMMITTEE, R.ADMIN, R.OFFICER}),
    ),
    P.VOTE_CONFIGURE: Rule(
        "set the compound's rules of procedure for votes (notice days, unreturned ballots)",
        N_("Only administrators of this compound can set the voting rules."),
        roles=frozenset({R.ADMIN}),
    ),
    P.FEES_VIEW_BILLS: Rule(
        'see a home\'s bills and pay or say "I have paid" (tenants and family: if the owners allow)',
        N_("Only the owners see this home's bills; they can let tenants see them with /bills."),
        members=OWNERS,
        shared=frozenset({M.TENANT, M.FAMILY}),
    ),
    P.FEES_SHARE_WITH_TENANTS: Rule(
        "let the tenants of one's home see its bills",
        N_("Only the owners of this home can decide that."),
        members=OWNERS,
    ),
    P.FEES_RECORD_PAYMENT: Rule(
        "book a payment received at the office",
        N_("Only property staff of this compound can record payments."),
        roles=frozenset({R.STAFF, R.ADMIN}),
    ),
    P.FEES_CONFIRM_CLAIM: Rule(
        'confirm or answer a resident\'s "I have paid"',
        N_("Only property staff of this compound can confirm payments."),
        roles=frozenset({R.STAFF, R.ADMIN}),
    ),
    P.FEES_REPORT: Rule(
        "arrears per building and the fee collection rate",
        N_("Arrears are for property staff, committee members, supervisors and officers."),
        roles=frozenset({R.STAFF, R.ADMIN, R.OFFICER, R.SUPERVISOR, R.COMMITTEE}),
    ),
    P.FEES_CONFIGURE: Rule(
        "set the compound's fee (price, period, due day, subsidy, late charge)",
        N_("Only administrators of this compound can set fees."),
        roles=frozenset({R.ADMIN}),
    ),
    P.FEES_PAYMENT_CODE: Rule(
        "upload the WeChat Pay / Alipay code and payee residents pay to",
        N_("Only an administrator of this compound can set how residents pay."),
        roles=frozenset({R.ADMIN}),
    ),
    P.PEOPLE_CONTACT: Rule(
        "see residents' names and phones (roster and bot) in lists and files",
        N_(
            "Only liaisons, property staff and administrators of this compound see names and phones."
        ),
        roles=frozenset({R.LIAISON, R.STAFF, R.ADMIN}),
    ),
    P.SURVEY_ANSWER: Rule(
        "answer the monthly satisfaction survey for one's home",
        N_("The survey is for residents registered to a home."),
        members=MEMBERS,
    ),
    P.KPI_VIEW: Rule(
        "the monthly KPI report of the area of one's role",
        N_(
            "Reports are for officers, quality supervisors, liaisons, committee members and administrators."
        ),
        roles=frozenset({R.OFFICER, R.SUPERVISOR, R.LIAISON, R.COMMITTEE, R.ADMIN}),
    ),
    P.FEES_REVERSE_PAYMENT: Rule(
        "reverse a booked payment with a reason (冲正: its bills open again, its receipt is void)",
        N_("Only property staff of this compound can reverse payments."),
        roles=frozenset({R.STAFF, R.ADMIN}),
    ),
    P.FEES_RECEIPT: Rule(
        "get a payment's receipt (收据) as a PDF",
        N_("Only the home's owners and the property office can see this receipt."),
        roles=frozenset({R.STAFF, R.ADMIN}),
        members=OWNERS,
        shared=frozenset({M.TENANT, M.FAMILY}),
    ),
    P.FEES_WITHDRAW_CLAIM: Rule(
        "withdraw one's home's open \"I have paid\" before the office answers it",
        N_("Only the owners see this home's bills; they can let tenants see them with /bills."),
        members=OWNERS,
        shared=frozenset({M.TENANT, M.FAMILY}),
    ),
    P.MEMBERSHIP_END: Rule(
        "say one has moved out of a home: one's registration with it ends",
        N_("You are not registered with this home."),
        members=MEMBERS,
    ),
    P.MEMBERSHIP_REMOVE: Rule(
        "end the registration of a tenant or family member of one's home",
        N_("Only the owners of this home can remove its members."),
        members=OWNERS,
    ),
    P.VOTE_WITHDRAW: Rule(
        "withdraw a published or open owners' vote before its close, with a reason for the owners",
        N_(
            "Only owners' committee members and administrators of this compound can withdraw a vote."
        ),
        roles=frozenset({R.COMMITTEE, R.ADMIN}),
    ),
    P.VOTE_TURNOUT: Rule(
        "the live turnout of an open vote, by headcount and by area (never anyone's choice)",
        N_(
            "Only owners' committee members, liaisons and administrators of this compound can see the live turnout."
        ),
        roles=frozenset({R.COMMITTEE, R.LIAISON, R.ADMIN}),
    ),
    P.VOTE_OBJECT: Rule(
        "object to a preliminary result in the objection period (owners of a home that was eligible)",
        N_("Only owners of a home that was eligible in this vote can object to its result."),
        members=OWNERS,
    ),
    P.VOTE_OBJECTIONS: Rule(
        "read the objections to a vote's preliminary result (and be told of each at once)",
        N_(
            "Only owners' committee members and administrators of this compound can read objections."
        ),
        roles=frozenset({R.COMMITTEE, R.ADMIN}),
    ),
    P.VOTE_PRINT_BALLOTS: Rule(
        "print a vote's paper ballots, one per eligible home, each with its code (PDF)",
        N_(
            "Only property staff, owners' committee members and administrators of this compound can print paper ballots."
        ),
        roles=frozenset({R.STAFF, R.COMMITTEE, R.ADMIN}),
    ),
    P.AUDIT_READS: Rule(
        "see who read residents' personal data, when and what (the audit of reads, XLSX)",
        N_("Only an administrator of this compound can see who read personal data."),
        roles=frozenset({R.ADMIN}),
    ),
    P.CONSOLE_SIGN_IN: Rule(
        "open the office console in a browser through a single-use link from /console",
        N_(
            "The office console is for property staff, liaisons, supervisors, committee members, officers and administrators."
        ),
        roles=ROLES,
    ),
    P.ROLES_VIEW: Rule(
        "see who holds which role over the place, since when, and the roles that ended",
        N_("Only administrators and officers see who holds which role."),
        roles=frozenset({R.ADMIN, R.OFFICER}),
    ),
    P.ROLES_MANAGE: Rule(
        "grant and end roles over the place, and issue role invites (the console)",
        N_("Only an administrator of this place can grant or end roles."),
        roles=frozenset({R.ADMIN}),
    ),
    P.ROSTER_IMPORT: Rule(
        "import the roster (业主名册) of the place's homes, issue their invite cards and set where "
        "its compounds are on the KPI map (the console)",
        N_("Only an administrator of this compound can import its roster and issue invite cards."),
        roles=frozenset({R.ADMIN}),
    ),
}


def rule(permission: Permission) -> Rule:
    return POLICY[permission]


def anywhere(actor: Actor, permission: Permission) -> bool:
    """Whether the person holds the permission over some place (menus and /help)."""
    granted = POLICY[permission]
    if granted.everyone:
        return True
    if not actor.registered:
        return False
    if granted.registered:
        return True
    if any(g.role in granted.roles for g in actor.roles):
        return True
    kinds = granted.members | granted.shared
    return any(tie.kind in kinds for tie in actor.households)


def grants(actor: Actor, permission: Permission) -> list[RoleScope]:
    """The person's role grants that carry the permission (each over its place), in order."""
    if not actor.registered:
        return []
    granted = POLICY[permission]
    return [g for g in actor.roles if g.role in granted.roles]


async def allowed(
    session: AsyncSession,
    actor: Actor | None,
    permission: Permission,
    place: Place,
    *,
    owners: Iterable[int | None] = (),
    parties: Iterable[int | None] = (),
    household: Household | None = None,
) -> bool:
    """Whether the actor holds the permission over the place (a compound id, or a Scope).

    `owners`: the record's authors, for `own` permissions; `parties`: the people the record is
    about; `household`: the home concerned (membership rules then look at that home only). No
    actor means the command line, run by the administrator on the server.
    """
    if actor is None:
        return True
    granted = POLICY[permission]
    if granted.everyone:
        return True
    if not actor.registered:
        return False
    if granted.registered:
        return True
    me = actor.resident_id
    if granted.parties and me in set(parties):
        return True
    if granted.own and me not in set(owners):
        return False
    if granted.members or granted.shared:
        for tie in actor.households:
            if household is not None and tie.household_id != household.id:
                continue
            if household is None and not isinstance(place, Scope) and tie.compound_id != place:
                continue
            if tie.kind in granted.members:
                return True
            if tie.kind in granted.shared and household is not None and household.tenants_see_bills:
                return True
    grants = [g for g in actor.roles if g.role in granted.roles]
    return bool(grants) and await covered(session, grants, place)


async def authorize(
    session: AsyncSession,
    actor: Actor | None,
    permission: Permission,
    place: Place,
    *,
    owners: Iterable[int | None] = (),
    parties: Iterable[int | None] = (),
    household: Household | None = None,
) -> None:
    """Raise NotAllowed (with the permission's translated refusal) unless `allowed`."""
    if not await allowed(
        session, actor, permission, place, owners=owners, parties=parties, household=household
    ):
        raise NotAllowed(POLICY[permission].refusal)


async def compounds(session: AsyncSession, actor: Actor, permission: Permission) -> list[Compound]:
    """The compounds where the person holds the permission by role or by household, by name."""
    granted = POLICY[permission]
    if not actor.registered:
        return []
    ids = {t.compound_id for t in actor.households if t.kind in granted.members | granted.shared}
    for grant in actor.roles:
        if grant.role in granted.roles:
            ids.update(
                (await session.exec(compound_ids_in_scope(grant.scope_kind, grant.scope_id))).all()
            )
    if not ids:
        return []
    return list(
        (
            await session.exec(
                select(Compound).where(col(Compound.id).in_(ids)).order_by(col(Compound.name))
            )
        ).all()
    )


async def compound_ids(session: AsyncSession, actor: Actor, permission: Permission) -> set[int]:
    return {c.id for c in await compounds(session, actor, permission) if c.id is not None}


async def holders(
    session: AsyncSession,
    permission: Permission,
    compound_id: int,
    only: Iterable[Role] | None = None,
) -> list[Resident]:
    """Reachable people who hold the permission's roles (or `only` some of them) over the
    compound, by id: the recipients of alerts, claims and lists, so whoever is told about
    something can also open it."""
    granted = POLICY[permission]
    roles = granted.roles if only is None else granted.roles & set(only)
    chain = await ancestors(session, ScopeKind.COMPOUND, compound_id)
    rows = await session.exec(
        select(col(RoleGrant.scope_kind), col(RoleGrant.scope_id), Resident)
        .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
        .where(col(RoleGrant.role).in_([r.value for r in roles]))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
    )
    found: dict[int, Resident] = {}
    for kind, scope_id, resident in rows:
        if (kind, scope_id) in chain or await grant_covers(session, kind, scope_id, compound_id):
            found[pk(resident)] = resident
    return [found[k] for k in sorted(found)]


def markdown_table() -> str:
    """The policy as the README shows it."""
    lines = [
        "| permission | allows | roles (over the place) | residents of a home there |",
        "|---|---|---|---|",
    ]
    for permission, granted in POLICY.items():
        roles = ", ".join(r.value for r in Role if r in granted.roles) or "—"
        people = [k.value for k in MembershipKind if k in granted.members]
        people += [
            f"{k.value} (if the owners allow)" for k in MembershipKind if k in granted.shared
        ]
        who = ", ".join(people) or "—"
        extra = []
        if granted.everyone:
            extra.append("everyone, also before joining")
        if granted.registered:
            extra.append("everyone who has joined")
        if granted.own:
            extra.append("only the record's author")
        if granted.parties:
            extra.append("and the people the record is about")
        allows = granted.allows + (f" ({'; '.join(extra)})" if extra else "")
        lines.append(f"| `{permission.value}` | {allows} | {roles} | {who} |")
    return "\n".join(lines)
