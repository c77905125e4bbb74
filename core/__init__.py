"""Cross-cutting infrastructure: settings, database, clock, i18n and logging."""
