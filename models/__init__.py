"""SQLModel tables, one module per aggregate; importing this package registers them all."""

from sqlmodel import SQLModel

from models.audit import AuditEvent
from models.notices import Notice, NoticeAck, NoticeCategory, NoticeStatus, TargetKind
from models.outbox import OutboxMessage, OutboxStatus
from models.people import (
    Invite,
    InviteKind,
    Membership,
    MembershipKind,
    Resident,
    Role,
    RoleGrant,
    StartAttempt,
)
from models.places import (
    Building,
    City,
    Community,
    Compound,
    District,
    Grid,
    Household,
    PropertyCompany,
    ScopeKind,
    ServiceModel,
    SubDistrict,
)
from models.system import ConversationState, Media, PendingInput, ProcessedUpdate
from models.tickets import (
    OPEN_STATUSES,
    Ticket,
    TicketCategory,
    TicketDraft,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
    TicketStatus,
)
from models.votes import (
    Ballot,
    BallotChannel,
    EligibleHome,
    EligibleVoter,
    Poll,
    PollKind,
    PollStatus,
)

metadata = SQLModel.metadata

__all__ = [
    "OPEN_STATUSES",
    "AuditEvent",
    "Ballot",
    "BallotChannel",
    "Building",
    "City",
    "Community",
    "Compound",
    "ConversationState",
    "District",
    "EligibleHome",
    "EligibleVoter",
    "Grid",
    "Household",
    "Invite",
    "InviteKind",
    "Media",
    "Membership",
    "MembershipKind",
    "Notice",
    "NoticeAck",
    "NoticeCategory",
    "NoticeStatus",
    "OutboxMessage",
    "OutboxStatus",
    "PendingInput",
    "Poll",
    "PollKind",
    "PollStatus",
    "ProcessedUpdate",
    "PropertyCompany",
    "Resident",
    "Role",
    "RoleGrant",
    "ScopeKind",
    "ServiceModel",
    "StartAttempt",
    "SubDistrict",
    "TargetKind",
    "Ticket",
    "TicketCategory",
    "TicketDraft",
    "TicketEvent",
    "TicketFollower",
    "TicketPhoto",
    "TicketStatus",
    "metadata",
]
