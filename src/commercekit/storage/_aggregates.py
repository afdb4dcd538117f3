"""Versioned aggregates (carts, orders, payments): documents with optimistic concurrency."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from commercekit.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from commercekit.money import to_minor_units
from commercekit.ports import AggregateKind
from commercekit.rules import end_stored_values, stored_values

if TYPE_CHECKING:
    from commercekit.storage._store import Transaction

__all__ = ["SqlAggregateRepository", "dumps_canonical"]

A = TypeVar("A")

_COLUMNS = "id, version, data"


def dumps_canonical(data: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, unicode kept, NaN refused.

    Text that is not valid Unicode (a lone surrogate, half of a UTF-16 pair) is refused here
    with a :class:`~commercekit.errors.ValidationError`, before a database driver would fail
    to encode it.
    """
    try:
        text = json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"cannot store this value as JSON: {exc}") from exc
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"cannot store text with a lone surrogate (U+{ord(exc.object[exc.start]):04X}):"
                " it is not valid Unicode"
            ) from None
    return text


class SqlAggregateRepository(Generic[A]):
    """Aggregates of one kind inside one transaction; every save is version-checked.

    ``add`` stores a new aggregate (version 0) as version 1; ``save`` writes version ``n`` only
    if the stored version is still ``n`` and returns the aggregate at ``n + 1``. A stale save
    raises :class:`~commercekit.errors.ConflictError` and changes nothing.
    """

    __slots__ = ("_converter", "_kind", "_tx")

    def __init__(self, tx: Transaction, kind: AggregateKind[A]) -> None:
        self._tx = tx
        self._kind = kind
        self._converter = kind.converter or tx._store.converter

    def _dump(self, aggregate: A) -> str:
        return dumps_canonical(self._kind.unstructure(aggregate, self._converter))

    def _load(self, text: str, version: int) -> A:
        if not self._kind.loose_ids:
            return self._kind.load(text, version, self._converter)
        # What was stored under older, looser identifier rules loads as it was stored.
        token = stored_values()
        try:
            return self._kind.load(text, version, self._converter)
        finally:
            end_stored_values(token)

    def _check(self, aggregate: A) -> tuple[str, int]:
        if not isinstance(aggregate, self._kind.type):
            raise ConfigurationError(
                f"expected a {self._kind.type.__name__}, got {type(aggregate).__name__}"
            )
        ident: Any = getattr(aggregate, "id")  # noqa: B009 - attrs fields checked at kind creation
        version: Any = getattr(aggregate, "version")  # noqa: B009
        if not isinstance(ident, str) or not ident or len(ident) > 200:
            raise ValidationError(f"an aggregate id must be text of 1-200 characters: {ident!r}")
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise ValidationError(f"an aggregate version must be an int >= 0: {version!r}")
        return ident, version

    def _columns(self, aggregate: A) -> tuple[str | None, str | None, str | None, int | None]:
        kind = self._kind
        customer = kind.customer_id(aggregate) if kind.customer_id else None
        status = kind.status(aggregate) if kind.status else None
        money = kind.amount(aggregate) if kind.amount else None
        if money is None:
            return customer, status, None, None
        return customer, status, money.currency.code, to_minor_units(money)

    def find(self, ident: str) -> A | None:
        """The aggregate with this id, or ``None``."""
        row = self._tx.execute(
            "SELECT version, data FROM ck_aggregates WHERE kind = ? AND id = ?",
            (self._kind.name, ident),
        ).fetchone()
        return None if row is None else self._load(row[1], int(row[0]))

    def get(self, ident: str) -> A:
        """The aggregate with this id; :class:`~commercekit.errors.NotFoundError` if none."""
        found = self.find(ident)
        if found is None:
            raise NotFoundError(f"no {self._kind.name} with id {ident!r}")
        return found

    def add(self, aggregate: A) -> A:
        """Store a new aggregate (version 0); return it at version 1."""
        ident, version = self._check(aggregate)
        if version != 0:
            raise ConflictError(
                f"{self._kind.name} {ident!r} has version {version}: add() takes new aggregates "
                "(version 0); use save() for stored ones"
            )
        stored: A = attrs.evolve(aggregate, version=1)  # type: ignore[misc]
        customer, status, currency, minor = self._columns(stored)
        now = self._tx.db_now()
        # ON CONFLICT DO NOTHING: a duplicate id is an expected conflict, not a failed
        # statement, so the transaction stays usable (PostgreSQL aborts on a failed one).
        inserted = self._tx.execute(
            "INSERT INTO ck_aggregates (kind, id, version, customer_id, status, currency,"
            " amount_minor, created_at, updated_at, data) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, id) DO NOTHING",
            (
                self._kind.name,
                ident,
                customer,
                status,
                currency,
                minor,
                now,
                now,
                self._dump(stored),
            ),
        ).rowcount
        if inserted != 1:
            raise ConflictError(f"a {self._kind.name} with id {ident!r} already exists")
        return stored

    def save(self, aggregate: A) -> A:
        """Write a stored aggregate if nobody saved it since it was read; return the new version."""
        ident, version = self._check(aggregate)
        if version == 0:
            return self.add(aggregate)
        saved: A = attrs.evolve(aggregate, version=version + 1)  # type: ignore[misc]
        customer, status, currency, minor = self._columns(saved)
        updated = self._tx.execute(
            "UPDATE ck_aggregates SET version = ?, customer_id = ?, status = ?, currency = ?,"
            " amount_minor = ?, updated_at = ?, data = ?"
            " WHERE kind = ? AND id = ? AND version = ?",
            (
                version + 1,
                customer,
                status,
                currency,
                minor,
                self._tx.db_now(),
                self._dump(saved),
                self._kind.name,
                ident,
                version,
            ),
        ).rowcount
        if updated != 1:
            self._lost(ident, version)
        return saved

    def delete(self, aggregate: A) -> None:
        """Delete a stored aggregate at the version read; stale versions conflict."""
        ident, version = self._check(aggregate)
        deleted = self._tx.execute(
            "DELETE FROM ck_aggregates WHERE kind = ? AND id = ? AND version = ?",
            (self._kind.name, ident, version),
        ).rowcount
        if deleted != 1:
            self._lost(ident, version)

    def _lost(self, ident: str, version: int) -> None:
        row = self._tx.execute(
            "SELECT version FROM ck_aggregates WHERE kind = ? AND id = ?",
            (self._kind.name, ident),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no {self._kind.name} with id {ident!r}")
        raise ConflictError(
            f"{self._kind.name} {ident!r} was saved by someone else (version {version} is stale, "
            f"the stored one is {row[0]}): reload it and apply the change again"
        )

    def list(
        self,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[A]:
        """Aggregates of this kind, newest update first, optionally of one customer or status."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 10_000:
            raise ValidationError(f"limit must be an int from 1 to 10000, got {limit!r}")
        sql = "SELECT version, data FROM ck_aggregates WHERE kind = ?"
        params: list[Any] = [self._kind.name]
        if customer_id is not None:
            sql += " AND customer_id = ?"
            params.append(customer_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        sql += " ORDER BY updated_at DESC, id LIMIT ? OFFSET ?"
        params += [limit, offset]
        rows = self._tx.execute(sql, params).fetchall()
        return [self._load(row[1], int(row[0])) for row in rows]

    def delete_idle(self, *, before: datetime) -> int:
        """Delete the aggregates of this kind last updated before ``before``; return how many."""
        return self._tx.execute(
            "DELETE FROM ck_aggregates WHERE kind = ? AND updated_at < ?",
            (self._kind.name, self._tx.db_time(before)),
        ).rowcount
