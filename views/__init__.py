"""Screens: every text and keyboard the bot shows, built in one place per screen. Importing this
package registers the renderers of the messages the services queue (services.notify)."""

from views import account, bills, fee_office, kpi, labels, onboarding, surveys  # noqa: F401
