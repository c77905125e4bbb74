"""What the roster pages keep between requests, in this process: an uploaded roster between its
preview and "apply" (a file in a private temporary folder, under a random id, for the console
session that sent it, an hour at most), the import jobs and their progress, and the invite files
of the last issue (half an hour). Nothing here is trusted from the browser but the id."""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

UPLOAD_KEPT = timedelta(hours=1)
FILES_KEPT = timedelta(minutes=30)
JOBS_KEPT = timedelta(hours=8)


@dataclass
class Upload:
    id: str
    session_id: int
    filename: str
    path: Path
    at: datetime
    rows: int  # the good rows the preview counted: the job's progress is out of these


@dataclass
class Job:
    """An import running in the background: where it is, and what it did."""

    id: str
    session_id: int
    filename: str
    at: datetime
    total: int
    state: str = "checking"  # checking, writing, done, refused, failed
    written: int = 0
    outcome: Any = None  # what the page shows when it is over

    @property
    def over(self) -> bool:
        return self.state in ("done", "refused", "failed")

    @property
    def percent(self) -> int:
        if self.state == "checking" or not self.total:
            return 0
        return min(100, self.written * 100 // self.total)


@dataclass
class Files:
    id: str
    session_id: int
    at: datetime
    parts: dict[str, tuple[str, str, bytes]] = field(
        default_factory=dict
    )  # kind → name, type, data


class RosterDesk:
    def __init__(self) -> None:
        self.folder: Path | None = None
        self.uploads: dict[str, Upload] = {}
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, Files] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    # --- uploads ------------------------------------------------------------------------------
    def hold(self, session_id: int, filename: str, data: bytes, now: datetime, rows: int) -> Upload:
        self.sweep(now)
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="rp-console-roster-"))
        key = secrets.token_urlsafe(18)
        path = self.folder / key  # never the sender's file name
        path.write_bytes(data)
        path.chmod(0o600)
        upload = Upload(key, session_id, filename, path, now, rows)
        self.uploads[key] = upload
        return upload

    def take(self, key: str, session_id: int, now: datetime) -> Upload | None:
        """The upload, once, for the session that sent it (None: unknown, another's, or gone)."""
        self.sweep(now)
        upload = self.uploads.get(key)
        if upload is None or upload.session_id != session_id:
            return None
        del self.uploads[key]
        return upload

    # --- jobs ---------------------------------------------------------------------------------
    def start(
        self, job: Job, work: Callable[[Job], Awaitable[None]], upload: Upload | None = None
    ) -> Job:
        self.jobs[job.id] = job

        async def run() -> None:
            try:
                await work(job)
            except Exception:
                log.exception("roster job failed")
                job.state = "failed"
            finally:
                if upload is not None:
                    upload.path.unlink(missing_ok=True)

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    def job(self, key: str, session_id: int) -> Job | None:
        found = self.jobs.get(key)
        return found if found is not None and found.session_id == session_id else None

    # --- invite files -------------------------------------------------------------------------
    def keep_files(self, session_id: int, now: datetime, parts: dict[str, Any]) -> Files:
        self.sweep(now)
        held = Files(secrets.token_urlsafe(18), session_id, now, parts)
        self.files[held.id] = held
        return held

    def file(self, key: str, session_id: int, now: datetime) -> Files | None:
        self.sweep(now)
        found = self.files.get(key)
        return found if found is not None and found.session_id == session_id else None

    # --- housekeeping -------------------------------------------------------------------------
    def sweep(self, now: datetime) -> None:
        for key, upload in list(self.uploads.items()):
            if now - upload.at > UPLOAD_KEPT:
                upload.path.unlink(missing_ok=True)
                del self.uploads[key]
        for key, held in list(self.files.items()):
            if now - held.at > FILES_KEPT:
                del self.files[key]
        for key, job in list(self.jobs.items()):
            if job.over and now - job.at > JOBS_KEPT:
                del self.jobs[key]

    async def close(self, _app: web.Application | None = None) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        self.uploads.clear()
        self.files.clear()


DESK: web.AppKey[RosterDesk] = web.AppKey("roster_desk")
