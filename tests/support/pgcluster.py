"""A throwaway PostgreSQL server for the test suite and the benchmarks.

``initdb`` makes a cluster in a temporary folder, ``pg_ctl`` starts it on a free port bound
to 127.0.0.1 (its unix socket in the same folder), and :meth:`PgCluster.stop` stops it and
removes the folder. The server binaries are Debian's (``apt-get install -y postgresql``);
``initdb`` refuses to run as root, so as root every server command runs as the
``postgres`` system user, which owns the folder.

Durability is switched off (``fsync``, ``full_page_writes``, ``synchronous_commit``):
the data lives as long as the test run. Nothing here is for production.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.devserver import free_port

SERVER_USER = "postgres"
SUPERUSER = "postgres"
INSTALL_HINT = "install Debian's server with `apt-get install -y postgresql` (make test does)"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server programs are missing or the cluster did not start."""


def find_bindir() -> Path:
    """The newest installed server's ``bin`` folder (``initdb``, ``pg_ctl``, ``postgres``)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(f"initdb not found: {INSTALL_HINT}")


@dataclass
class PgCluster:
    root: Path
    bindir: Path
    port: int
    run_as: str | None  # the system user running the server (None: this process's user)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            user=self.run_as,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}\n"
                f"{self.log.read_text(errors='replace') if self.log.exists() else ''}"
            )
        return result

    def start(self) -> None:
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",  # loopback and a private socket folder only
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            (
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=200",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c synchronous_commit=off",
                "-c shared_buffers=128MB",
            )
        )
        self._run("pg_ctl", "--pgdata", str(self.data), "--log", str(self.log), "-o", options,
                  "--wait", "start")  # fmt: skip

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is kept) and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "--pgdata", str(self.data), "--mode", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None


def start_cluster() -> PgCluster:
    """Make and start a cluster in a new temporary folder; the caller stops it."""
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="leads-pg-"))
    run_as = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            shutil.rmtree(root)
            raise PostgresUnavailable(
                f"running as root and there is no {SERVER_USER!r} user to run the server as: "
                f"{INSTALL_HINT}"
            ) from None
        os.chown(root, account.pw_uid, account.pw_gid)
        run_as = SERVER_USER
    cluster = PgCluster(root=root, bindir=bindir, port=free_port(), run_as=run_as)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
