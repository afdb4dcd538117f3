"""Parsing store URLs: ``memory://``, ``sqlite:///path.db`` and ``postgresql://...``."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from commercekit.errors import ConfigurationError

__all__ = ["DEFAULT_URL", "URL_ENV", "StoreURL", "parse_url"]

URL_ENV = "COMMERCEKIT_DATABASE_URL"
DEFAULT_URL = "sqlite:///commercekit.db"
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@attrs.frozen
class StoreURL:
    """A parsed store URL: the backend, its target and a password-free text for messages."""

    backend: str
    target: str
    redacted: str


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_url(url: str | None) -> StoreURL:
    """Resolve ``url`` (or ``$COMMERCEKIT_DATABASE_URL``, or the default) to a :class:`StoreURL`.

    >>> parse_url("sqlite:///shop.db").target
    'shop.db'
    >>> parse_url("sqlite:////var/lib/shop.db").target
    '/var/lib/shop.db'
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
    if scheme == "memory":
        return StoreURL("memory", ":memory:", url)
    if scheme == "sqlite":
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db"
        if not rest.startswith("/") or rest == "/":
            raise ConfigurationError(
                f"SQLite URLs look like sqlite:///relative.db or sqlite:////absolute.db: {url!r}"
            )
        path = unquote(rest[1:].split("?", 1)[0])
        if path in ("", ":memory:"):
            raise ConfigurationError("for an in-memory store use memory://")
        return StoreURL("sqlite", path, url)
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
