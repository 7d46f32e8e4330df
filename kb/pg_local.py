"""A throwaway PostgreSQL server (Debian's binaries, a cluster in a temporary directory) for the
tests of the registry on PostgreSQL and for `kb bench registry`; never for serving.

initdb refuses to run as root (CI runs as root), so the server's processes then run as an
unprivileged user (nobody), owning only the temporary directory. It listens on a unix socket in
that directory only (no TCP), on a port number that was free, with fsync off (a test cluster holds
nothing worth a crash-safe write). Every test gets its own database (create_database).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest Debian one."""
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if out:
            candidates.append(Path(out))
    candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                                                  key=lambda p: int(Path(p).parts[-3]), reverse=True)]
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="kb-pg-"))  # short: the socket path has a length limit
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self.user = "kb"
        self._ids = self._unprivileged()
        if self._ids:
            os.chown(self.dir, *self._ids)

    @staticmethod
    def _unprivileged() -> tuple[int, int] | None:
        """(uid, gid) to run the server as when we are root; None otherwise."""
        if os.geteuid() != 0:
            return None
        try:
            pw = pwd.getpwnam("nobody")
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            return 65534, 65534

    def _run(self, *args: str, timeout: float = 120) -> None:
        kw = {"user": self._ids[0], "group": self._ids[1], "extra_groups": []} if self._ids else {}
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": str(self.dir)}
        proc = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=self.dir, **kw)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}")

    def start(self) -> "PgServer":
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "-N")
        opts = (f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{database}?host={self.dir}&port={self.port}"

    def create_database(self) -> str:
        """A new empty database; its postgresql:// URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(host=str(self.dir), port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
