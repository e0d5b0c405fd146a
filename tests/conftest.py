"""Shared fixtures and hooks for the whole test suite.

Sections (add new fixtures to the section they belong to, or open a new one):

1. Environment      -- CI detection, paths to external programs.
2. CI guard         -- in CI, tests marked ``postgres`` or ``browser`` must run: a skip fails.
3. PostgreSQL       -- ``postgres_admin_url`` (session) and ``fresh_postgres_url`` (function).
4. Storage          -- ``storage_url`` (sqlite + postgres params) and ``store`` (open Store).

Helpers that are not fixtures (``free_port``, ``wait_for_http``) live in ``tests/helpers.py``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import create_postgres_database, drop_postgres_database, free_port

# =============================================================================
# 1. Environment
# =============================================================================

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}

#: Markers whose tests must never be skipped in CI (see section 2).
MUST_RUN_IN_CI = ("postgres", "browser")

POSTGRES_URL_ENV = "OPENSEQR_TEST_POSTGRES_URL"
CHROMIUM_ENV = "OPENSEQR_CHROMIUM"


@pytest.fixture(scope="session")
def in_ci() -> bool:
    """True when running under CI (``CI=true``)."""
    return IN_CI


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium binary for browser tests (``$OPENSEQR_CHROMIUM`` or PATH)."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        _skip_or_fail(
            f"Chromium not found (set {CHROMIUM_ENV} or install Debian's 'chromium' package)"
        )
    return str(path)


def _skip_or_fail(reason: str) -> None:
    """Skip locally; fail in CI, where every tier must run."""
    if IN_CI:
        pytest.fail(f"{reason} [CI=true: not skipping]", pytrace=False)
    pytest.skip(reason)


# =============================================================================
# 2. CI guard: postgres/browser tests are never skipped in CI
# =============================================================================

_MARK_RE = re.compile(r"\bmark\.(?:" + "|".join(MUST_RUN_IN_CI) + r")\b")


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> object:
    return report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr


def _must_run(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(name) is not None for name in MUST_RUN_IN_CI)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail") and _must_run(item):
        reason = _skip_reason(report)
        markers = ", ".join(m for m in MUST_RUN_IN_CI if item.get_closest_marker(m))
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is marked {markers} and was skipped in CI ({reason}); "
            f"tests of that tier must run when CI=true"
        )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    # A module-level skip (e.g. ``pytest.importorskip`` in a browser test module) drops the
    # whole module before its items exist, so the hook above never sees it.
    report: pytest.CollectReport = yield
    if IN_CI and report.skipped and isinstance(collector, pytest.Module):
        with contextlib.suppress(OSError):
            if _MARK_RE.search(collector.path.read_text(encoding="utf-8")):
                reason = _skip_reason(report)
                report.outcome = "failed"
                report.longrepr = (
                    f"{collector.nodeid} uses a {'/'.join(MUST_RUN_IN_CI)} marker and was "
                    f"skipped at collection in CI ({reason}); it must run when CI=true"
                )
    return report


# =============================================================================
# 3. PostgreSQL
# =============================================================================
#
# ``postgres_admin_url`` is a URL for a role that may CREATE DATABASE. Where it comes from:
#   * ``$OPENSEQR_TEST_POSTGRES_URL`` if set (CI sets it: .ci/run starts Debian's cluster);
#   * unset and CI=true -> the test fails (never skip in CI);
#   * unset locally -> a throwaway cluster from /usr/lib/postgresql/*/bin (initdb into a temp
#     dir, as the ``postgres`` OS user when we are root), on a free 127.0.0.1 port, fsync on,
#     stopped and deleted at session end;
#   * no PostgreSQL binaries locally -> skip.
#
# ``fresh_postgres_url`` is a brand-new empty database per test, dropped afterwards.
# ``make_postgres_db`` is the factory behind it, for tests that need more than one.

_TEST_ROLE = "openseqr"
_TEST_PASSWORD = "openseqr"
_TEST_DB = "openseqr_test"


def _find_pg_bindir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")],
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class _ThrowawayPostgres:
    """A private PostgreSQL cluster in a temp dir, for local runs without a server."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.tmpdir = Path(tempfile.mkdtemp(prefix="openseqr-pg-"))
        self.datadir = self.tmpdir / "data"
        self.logfile = self.tmpdir / "postgres.log"
        self.superuser_password = secrets.token_hex(16)
        self.port = 0
        self.started = False

    def _run(self, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def _check(self, proc: subprocess.CompletedProcess[str], what: str) -> None:
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(
                f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}"
            )

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.tmpdir, user="postgres", group="postgres")
        pwfile = self.tmpdir / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        if self.as_root:
            shutil.chown(pwfile, user="postgres", group="postgres")
        pwfile.chmod(0o600)
        self._check(
            self._run(
                self.bindir / "initdb",
                "-D",
                self.datadir,
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
            ),
            "initdb",
        )
        pwfile.unlink()

        for attempt in range(3):  # the port may be taken between free_port() and bind
            self.port = free_port()
            opts = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.tmpdir} -c fsync=on "
                "-c synchronous_commit=on -c max_connections=200"
            )
            proc = self._run(
                self.bindir / "pg_ctl",
                "-D",
                self.datadir,
                "-l",
                self.logfile,
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            )
            if proc.returncode == 0:
                self.started = True
                break
            if attempt == 2:
                self._check(proc, "pg_ctl start")

        import psycopg  # only needed when PostgreSQL tests run

        admin = f"postgresql://postgres:{self.superuser_password}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {_TEST_ROLE} LOGIN CREATEDB PASSWORD '{_TEST_PASSWORD}'")
            conn.execute(f"CREATE DATABASE {_TEST_DB} OWNER {_TEST_ROLE}")
        return f"postgresql://{_TEST_ROLE}:{_TEST_PASSWORD}@127.0.0.1:{self.port}/{_TEST_DB}"

    def stop(self) -> None:
        try:
            if self.started:
                self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """URL of a PostgreSQL role that may create databases (see the section comment)."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        yield url
        return
    if IN_CI:
        pytest.fail(
            f"{POSTGRES_URL_ENV} is not set; CI must provide PostgreSQL (.ci/run does)",
            pytrace=False,
        )
    bindir = _find_pg_bindir()
    if bindir is None:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_URL_ENV} or install PostgreSQL server binaries")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root but there is no 'postgres' OS user to run initdb")
    cluster = _ThrowawayPostgres(bindir)
    try:
        try:
            url = cluster.start()
        except Exception as exc:  # report why, then skip locally
            pytest.skip(f"could not start a throwaway PostgreSQL from {bindir}: {exc}")
        yield url
    finally:
        cluster.stop()


@pytest.fixture
def make_postgres_db(postgres_admin_url: str) -> Iterator[Callable[[], str]]:
    """Factory: each call creates a new empty database and returns its URL.

    Every database it made is dropped (``WITH (FORCE)``) when the test ends.
    """
    created: list[str] = []

    def make() -> str:
        created.append(create_postgres_database(postgres_admin_url))
        return created[-1]

    yield make

    for url in created:
        drop_postgres_database(postgres_admin_url, url)


@pytest.fixture
def fresh_postgres_url(make_postgres_db: Callable[[], str]) -> str:
    """URL of a brand-new, empty PostgreSQL database, dropped after the test."""
    return make_postgres_db()


# =============================================================================
# 4. Storage -- ``storage_url`` (both backends) and ``store`` (an open, migrated Store)
# =============================================================================
#
# ``storage_url`` is parametrised: a fresh SQLite file in ``tmp_path``, and a fresh PostgreSQL
# database (marked ``postgres``, so it must run in CI). ``store`` opens it with
# ``openseqr.storage.open_store`` (which migrates) and closes it after the test.


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a brand-new, empty database: SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
def store(storage_url: str) -> Iterator[object]:
    """An open, migrated ``core.ports.Store`` on ``storage_url``; closed after the test."""
    from openseqr.storage import open_store

    opened = open_store(storage_url)
    try:
        yield opened
    finally:
        opened.close()
