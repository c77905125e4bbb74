"""Transitional: display names of roles, memberships and scopes live in views/labels.py; this
re-export stays until every feature imports them from there."""

from __future__ import annotations

from views.labels import MEMBERSHIP, ROLE, SCOPE, label

__all__ = ["MEMBERSHIP", "ROLE", "SCOPE", "label"]
