"""APScheduler jobs: short ticks that derive what is due from the database (idempotent)."""
