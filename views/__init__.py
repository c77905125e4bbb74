"""Presentation without Telegram: message texts, button specs and callback data, per language.

Handlers turn these into Telegram objects; jobs put them into the outbox. Nothing here imports
`telegram` or touches the database.
"""
