"""A private, throwaway PostgreSQL server for tests that stop and start the database under the bot.

Never the shared server the suite runs on: this one lives in a temporary folder, on a free port
of 127.0.0.1, with its socket in that folder, and is removed afterwards. initdb refuses to run as
root, so as root the server runs as the `postgres` user (runuser)."""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import socket
import tempfile
from pathlib import Path

import models
from core.db import create_engine


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def private_postgres_missing() -> str:
    """Why a private server cannot be started here ("" when it can)."""
    if _binaries() is None:
        return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    def __init__(self, _hint: Path | None = None) -> None:
        bin_dir = _binaries()
        assert bin_dir is not None, private_postgres_missing()
        self.bin = bin_dir
        # Not under pytest's tmp_path: its folders are private to root, the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="redproperty-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()

    async def _run(self, *args: str, check: bool = True) -> int:
        process = await asyncio.create_subprocess_exec(
            *_run_as(),
            *args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.folder,
        )
        _, err = await process.communicate()
        if check and process.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {err.decode(errors='replace')[-500:]}")
        return process.returncode or 0

    async def __aenter__(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            os.chmod(self.folder, 0o755)
            shutil.chown(self.folder, "postgres", "postgres")
        await self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate", check=False
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    async def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        await self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "start",
        )

    async def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a real restart."""
        await self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> str:
        """A new database with the bot's schema; returns its URL."""
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        await engine.dispose()
        url = self.url(name)
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(models.metadata.create_all)
        await engine.dispose()
        return url
