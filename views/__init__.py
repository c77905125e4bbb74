"""Screens: every text and keyboard the bot shows, built in one place per screen. Importing this
package registers the renderers of the messages the services queue (services.notify)."""

from views import bills, fee_office, ticket_reports, tickets  # noqa: F401
