"""Parsing store URLs: ``memory://``, ``sqlite:///path.db`` and ``postgresql://...``.

A URL means what it says: every option in it is honoured or refused. SQLite takes one option,
``mode`` (``ro``: read-only, the file must exist; ``rw``: read-write, the file must exist;
``rwc``: read-write, created if missing, the default). ``memory://`` takes none. PostgreSQL
URLs go to libpq as they are (its parameters, such as ``sslmode`` or ``connect_timeout``, keep
their meaning there). No store URL has a fragment (``#...``).
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import attrs

from commercekit.errors import ConfigurationError

__all__ = [
    "DEFAULT_URL",
    "SQLITE_MODES",
    "URL_ENV",
    "StoreURL",
    "check_schema_name",
    "parse_url",
    "sqlite_uri",
]

URL_ENV = "COMMERCEKIT_DATABASE_URL"
DEFAULT_URL = "sqlite:///commercekit.db"
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

#: The values of a SQLite URL's ``mode`` option and what each means.
SQLITE_MODES = {
    "ro": "read-only, the file must exist",
    "rw": "read-write, the file must exist",
    "rwc": "read-write, the file is created if missing: the default",
}

_MODES = ", ".join(f"mode={mode} ({meaning})" for mode, meaning in SQLITE_MODES.items())


@attrs.frozen
class StoreURL:
    """A parsed store URL: the backend, its target and a password-free text for messages.

    ``target`` is what the driver opens: ``":memory:"``, a SQLite path, a SQLite ``file:`` URI
    (when the URL has a ``mode`` or the path itself starts with ``file:``) or the PostgreSQL
    URL. ``path`` is the SQLite file's path (``None`` for other backends) and ``mode`` its
    ``mode`` option (``None`` if the URL gives none).
    """

    backend: str
    target: str
    redacted: str
    path: str | None = None
    mode: str | None = None

    @property
    def readonly(self) -> bool:
        """Whether the URL opens its database read-only (SQLite ``mode=ro``)."""
        return self.mode == "ro"


def _redact(url: str) -> str:
    """``url`` with its password masked, in the user part and in a ``password=`` parameter.

    >>> _redact("postgresql://app:secret@db:5432/shop?password=also&sslmode=require")
    'postgresql://app:***@db:5432/shop?password=***&sslmode=require'
    """
    parts = urlsplit(url)
    query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    netloc = parts.netloc
    if parts.password is not None:
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def sqlite_uri(path: str, mode: str | None) -> str:
    """The ``file:`` URI SQLite opens for ``path`` (``uri=True``), with ``mode`` if given.

    >>> sqlite_uri("/srv/shop #1.db", "ro")
    'file:///srv/shop%20%231.db?mode=ro'
    >>> sqlite_uri("data/shop.db", None)
    'file:data/shop.db'
    """
    # An absolute path gets an empty authority ("file:///srv/..."), so that a path starting
    # with "//" is not read as a host name.
    text = ("file://" if path.startswith("/") else "file:") + quote(path, safe="/")
    return f"{text}?mode={mode}" if mode is not None else text


def _sqlite(url: str, rest: str) -> StoreURL:
    # sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db"
    if not rest.startswith("/") or rest == "/":
        raise ConfigurationError(
            f"SQLite URLs look like sqlite:///relative.db or sqlite:////absolute.db: {url!r}"
        )
    raw_path, _, query = rest[1:].partition("?")
    path = unquote(raw_path)
    if path in ("", ":memory:"):
        raise ConfigurationError("for an in-memory store use memory://")
    if "\x00" in path:
        raise ConfigurationError(f"a SQLite path cannot contain a NUL character: {url!r}")
    mode: str | None = None
    seen: set[str] = set()
    for field in query.split("&") if query else ():
        raw_name, eq, raw_value = field.partition("=")
        name, value = unquote(raw_name), unquote(raw_value)
        if name != "mode":
            raise ConfigurationError(
                f"unknown SQLite URL parameter {name!r} in {url!r}: the only option is {_MODES}"
            )
        if name in seen:
            raise ConfigurationError(f"the SQLite URL parameter {name!r} is given twice: {url!r}")
        seen.add(name)
        if not eq or value not in SQLITE_MODES:
            raise ConfigurationError(
                f"SQLite URL parameter mode={value!r} in {url!r}: use {_MODES}"
            )
        mode = value
    # A plain path goes to sqlite3 as it is; with a mode (or a path sqlite3 would mistake
    # for a URI) it goes as a file: URI, which SQLite opens with that mode.
    target = sqlite_uri(path, mode) if mode is not None or path.startswith("file:") else path
    return StoreURL("sqlite", target, url, path=path, mode=mode)


def parse_url(url: str | None) -> StoreURL:
    """Resolve ``url`` (or ``$COMMERCEKIT_DATABASE_URL``, or the default) to a :class:`StoreURL`.

    Options the URL names are honoured or refused with
    :class:`~commercekit.errors.ConfigurationError` naming them, never dropped.

    >>> parse_url("sqlite:///shop.db").target
    'shop.db'
    >>> parse_url("sqlite:////var/lib/shop.db").target
    '/var/lib/shop.db'
    >>> parse_url("sqlite:////var/lib/shop.db?mode=ro").target
    'file:///var/lib/shop.db?mode=ro'
    >>> parse_url("postgresql://app:secret@db/shop").redacted
    'postgresql://app:***@db/shop'
    """
    if url is None:
        url = os.environ.get(URL_ENV) or DEFAULT_URL
    if not isinstance(url, str):
        raise ConfigurationError(f"a store URL must be text, got {type(url).__name__}")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError(
            f"not a store URL: {url!r}; use memory://, sqlite:///path.db or postgresql://..."
        )
    scheme = scheme.lower()
    if "#" in rest:
        # Not echoed: in a PostgreSQL URL an unencoded '#' is usually part of a password.
        raise ConfigurationError(
            f"a {scheme}:// store URL cannot have a fragment (the part after '#'); "
            "write a '#' in a path or password as %23"
        )
    if scheme == "memory":
        if rest:
            raise ConfigurationError(
                f"memory:// takes no database name, path or option, got {url!r}: each "
                "memory:// store is a private database of its own"
            )
        return StoreURL("memory", ":memory:", url)
    if scheme == "sqlite":
        return _sqlite(url, rest)
    if scheme in ("postgresql", "postgres"):
        return StoreURL("postgresql", url, _redact(url))
    raise ConfigurationError(
        f"unknown store backend {scheme!r} in {_redact(url)!r}: "
        "use memory://, sqlite:///path.db or postgresql://..."
    )


def check_schema_name(schema: str) -> str:
    """Refuse schema names that would need quoting tricks (they are interpolated as identifiers)."""
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigurationError(
            f"schema name {schema!r} must be a plain identifier (letters, digits, underscore)"
        )
    return schema
