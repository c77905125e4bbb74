"""Screens: every text and keyboard the bot shows, built in one place per screen. Importing this
package registers the renderers of the messages the services queue (services.notify)."""

from views import (  # noqa: F401
    account,
    bills,
    common,
    corrections,
    fee_office,
    kpi,
    labels,
    notice_office,
    notices,
    onboarding,
    people,
    surveys,
    ticket_alerts,
    ticket_followups,
    ticket_queue,
    ticket_reports,
    tickets,
    vote_drafting,
    vote_objections,
    vote_office,
    vote_results,
    vote_turnout,
    votes,
)
