"""PostgreSQL connections fail fast and say why, and a pool recovers (issue 12, points 2 and 3).

Outages are simulated without touching the shared server: the pool's backends are terminated
by ``application_name`` (unique per test), or the store connects through a small TCP proxy that
the test stops (connections dropped, port refused) and starts again.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from commercekit.errors import (
    ConfigurationError,
    OutcomeUnknownError,
    StorageBusyError,
    StorageError,
)
from commercekit.storage import Store, open_store

psycopg = pytest.importorskip("psycopg")

SECRET = "s3cr3t-pw"


def _with(
    url: str,
    *,
    host: str | None = None,
    port: int | None = None,
    user: str | None = None,
    database: str | None = None,
    query: str | None = None,
) -> str:
    """``url`` with the password :data:`SECRET` and the given parts replaced."""
    parts = urlsplit(url)
    user = user if user is not None else (parts.username or "postgres")
    host = host if host is not None else (parts.hostname or "127.0.0.1")
    port = port if port is not None else (parts.port or 5432)
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit(
        (parts.scheme, f"{user}:{SECRET}@{host}:{port}", path, query or parts.query, "")
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _full_text(error: BaseException) -> str:
    """The message and the whole printed traceback, causes included."""
    return str(error) + "".join(traceback.format_exception(error))


def _terminate(url: str, app: str) -> int:
    """Terminate every backend named ``app``; wait until they are gone; return how many."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (app,),
        ).fetchall()
        deadline = time.monotonic() + 5
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "terminated backends did not exit"
            time.sleep(0.01)
    return len(rows)


def _terminate_pid(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 5
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the terminated backend did not exit"
            time.sleep(0.01)


def _select_one(store: Store) -> None:
    with store.transaction() as tx:
        assert tuple(tx.execute("SELECT 1").fetchone()) == (1,)


# -- failing fast -------------------------------------------------------------------------------


def test_a_refused_port_fails_at_once_and_says_so() -> None:
    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        open_store(
            f"postgresql://postgres:{SECRET}@127.0.0.1:{_closed_port()}/test",
            connect_timeout=2,
            busy_timeout=30,
        )
    assert time.monotonic() - started < 10
    assert "refused" in str(info.value).lower()
    assert "postgres:***@127.0.0.1" in str(info.value)
    assert SECRET not in _full_text(info.value)


@pytest.mark.parametrize(
    ("option", "query"),
    [(2.0, ""), (None, "?connect_timeout=2")],
    ids=["option", "url"],
)
def test_a_server_that_never_answers_fails_within_the_connect_timeout(
    option: float | None, query: str
) -> None:
    with socket.socket() as silent:  # accepts TCP connections (the backlog) and says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StorageError) as info:
            open_store(
                f"postgresql://app:{SECRET}@127.0.0.1:{port}/shop{query}", connect_timeout=option
            )
        elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 4.5  # not the default 5 s
    assert "timeout" in str(info.value).lower()
    assert SECRET not in _full_text(info.value)


def test_a_missing_database_is_named(postgres_url: str) -> None:
    name = f"ck_missing_{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        open_store(_with(postgres_url, database=name), connect_timeout=2)
    assert time.monotonic() - started < 5
    assert f'database "{name}" does not exist' in str(info.value)
    assert SECRET not in _full_text(info.value)


def test_an_unknown_role_is_named(postgres_url: str) -> None:
    role = f"ck_nobody_{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        open_store(_with(postgres_url, user=role), connect_timeout=2)
    assert time.monotonic() - started < 5
    assert f'role "{role}" does not exist' in str(info.value)
    assert SECRET not in _full_text(info.value)


@pytest.mark.parametrize(
    ("query", "named"),
    [("bogus_option=1", "bogus_option"), (f"sslmode={SECRET}", "sslmode")],
)
def test_a_malformed_url_parameter_is_a_configuration_error(query: str, named: str) -> None:
    url = f"postgresql://app:{SECRET}@127.0.0.1:{_closed_port()}/shop?{query}"
    started = time.monotonic()
    with pytest.raises(ConfigurationError) as info:
        open_store(url, connect_timeout=2)
    assert time.monotonic() - started < 5
    assert named in str(info.value)
    assert SECRET not in _full_text(info.value)  # even where libpq echoes the bad value


@pytest.mark.parametrize("value", [0, -1, 3601, float("nan"), True, "5"])
def test_connect_timeout_is_validated(value: object) -> None:
    with pytest.raises(ConfigurationError, match="connect_timeout"):
        open_store("memory://", connect_timeout=value)  # type: ignore[arg-type]


# -- recovering ---------------------------------------------------------------------------------


def test_the_pool_recovers_after_its_connections_are_terminated(
    postgres_url: str, postgres_schema: str
) -> None:
    app = f"ck_test_{uuid.uuid4().hex[:12]}"
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}application_name={app}"
    with open_store(url, schema=postgres_schema, migrate=True, pool_size=2) as store:
        # Two transactions at once, so that the pool holds two connections.
        inside, done = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction(readonly=True):
                inside.set()
                done.wait(5)

        holder = threading.Thread(target=hold)
        holder.start()
        assert inside.wait(5)
        _select_one(store)
        done.set()
        holder.join()

        assert _terminate(postgres_url, app) == 2
        started = time.monotonic()
        for _ in range(5):  # the very next transaction, and the ones after it, succeed
            _select_one(store)
        with store.transaction(readonly=True) as tx:
            assert tuple(tx.execute("SELECT 1").fetchone()) == (1,)
        assert time.monotonic() - started < 5


def test_a_commit_whose_connection_dies_is_outcome_unknown(
    postgres_url: str, postgres_schema: str
) -> None:
    url = postgres_url.replace("postgres@", f"postgres:{SECRET}@", 1)
    with open_store(url, schema=postgres_schema, migrate=True, pool_size=2) as store:
        with pytest.raises(OutcomeUnknownError) as info, store.transaction() as tx:
            tx.execute("CREATE TABLE probe (id int)")
            tx.execute("INSERT INTO probe VALUES (1)")
            _terminate_pid(postgres_url, tx.execute("SELECT pg_backend_pid()").fetchone()[0])
        assert isinstance(info.value.__cause__, psycopg.OperationalError)
        assert "COMMIT" in str(info.value)
        assert SECRET not in _full_text(info.value)

        # A statement before COMMIT that finds the connection dead stays a StorageError.
        with pytest.raises(StorageError) as before, store.transaction() as tx:
            _terminate_pid(postgres_url, tx.execute("SELECT pg_backend_pid()").fetchone()[0])
            tx.execute("SELECT 1")
        assert not isinstance(before.value, OutcomeUnknownError)

        # Nothing was written by a read-only transaction: a plain StorageError.
        with pytest.raises(StorageError) as read, store.transaction(readonly=True) as tx:
            _terminate_pid(postgres_url, tx.execute("SELECT pg_backend_pid()").fetchone()[0])
        assert not isinstance(read.value, OutcomeUnknownError)

        _select_one(store)  # and the store carries on


class _Proxy:
    """A TCP proxy to PostgreSQL that can drop every connection and refuse new ones."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, args=(listener,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Drop every connection and refuse new ones until :meth:`start`."""
        assert self._listener is not None and self._thread is not None
        self._listener.close()
        self._thread.join(5)
        self._listener = None

    def _serve(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        peers: dict[socket.socket, socket.socket] = {}
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ)
        try:
            while listener.fileno() != -1:  # until stop() closes it
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is listener:
                        with contextlib.suppress(OSError):
                            client, _ = listener.accept()
                            client.setblocking(True)
                            upstream = socket.create_connection(self._target)
                            peers[client], peers[upstream] = upstream, client
                            selector.register(client, selectors.EVENT_READ)
                            selector.register(upstream, selectors.EVENT_READ)
                        continue
                    other = peers.get(sock)
                    if other is None:  # closed with its peer earlier in this batch
                        continue
                    with contextlib.suppress(OSError):
                        data = sock.recv(65536)
                        if data:
                            other.sendall(data)
                            continue
                    for end in (sock, other):
                        del peers[end]
                        selector.unregister(end)
                        end.close()
        finally:
            for sock in peers:
                sock.close()
            selector.close()


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[_Proxy]:
    parts = urlsplit(postgres_url)
    proxy = _Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        if proxy._listener is not None:
            proxy.stop()


def test_an_unreachable_server_is_reported_and_the_store_recovers_when_it_is_back(
    postgres_url: str, postgres_schema: str, proxy: _Proxy
) -> None:
    url = _with(postgres_url, host="127.0.0.1", port=proxy.port)
    with open_store(
        url, schema=postgres_schema, migrate=True, pool_size=2, busy_timeout=1, connect_timeout=2
    ) as store:
        _select_one(store)

        # The server goes away while the pool holds an idle connection.
        proxy.stop()
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(StorageError) as info:
                _select_one(store)
            assert time.monotonic() - started < 3
            assert not isinstance(info.value, StorageBusyError)
            assert "cannot connect" in str(info.value) and "refused" in str(info.value).lower()
            assert SECRET not in _full_text(info.value)

        proxy.start()
        started = time.monotonic()
        _select_one(store)  # the first call after the server is back succeeds
        assert time.monotonic() - started < 3

        # The server goes away in the middle of a transaction: no idle connection is left.
        with pytest.raises(StorageError), store.transaction() as tx:
            proxy.stop()
            tx.execute("SELECT 1")
        with pytest.raises(StorageError) as info:
            _select_one(store)
        assert not isinstance(info.value, StorageBusyError)
        assert "raise pool_size" not in str(info.value)
        assert "refused" in str(info.value).lower()

        proxy.start()
        _select_one(store)
