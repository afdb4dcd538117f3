"""The store ports: a store, its transactions and the versioned aggregates inside them.

These know no area: an area's repositories are reached through :class:`RepositoryKey` values
that the area declares (``tx.repository(STOCK)``), so adding an area edits nothing here. The
store in :mod:`commercekit.storage` implements them on ``memory://``, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import cattrs

from commercekit.errors import ConfigurationError
from commercekit.money import Money

if TYPE_CHECKING:
    from commercekit.ports._clock import Clock
    from commercekit.records import PruneReport

__all__ = [
    "AggregateKind",
    "AggregateRepository",
    "RepositoryKey",
    "StorePort",
    "TransactionPort",
]

A = TypeVar("A")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@attrs.frozen(eq=False)
class RepositoryKey(Generic[R_co]):
    """Names one kind of repository; ``tx.repository(key)`` returns it, typed.

    An area declares a key beside the Protocol of its repository and registers a factory for
    it (see :class:`~commercekit.ports.Area`), so the transaction never lists repositories by
    name. ``name`` is also the transaction's shorthand attribute (``tx.stock``). Keys compare
    by identity: each is one module-level value.

    >>> from commercekit.ports import STOCK
    >>> STOCK.name
    'stock'
    """

    name: str


@attrs.frozen
class AggregateKind(Generic[A]):
    """How one kind of aggregate is stored.

    ``type`` is an attrs class with ``id: str`` and ``version: int`` attributes (version 0
    means "never stored"). Optional accessors fill the indexed columns: ``customer_id``,
    ``status`` and ``amount`` (a :class:`~commercekit.money.Money` stored as integer minor units
    beside its currency code, for queries and reports). ``converter`` defaults to the store's
    JSON converter, which knows every registered area's types.
    """

    name: str
    type: type[A]
    customer_id: Callable[[A], str | None] | None = None
    status: Callable[[A], str | None] | None = None
    amount: Callable[[A], Money | None] | None = None
    converter: cattrs.Converter | None = attrs.field(default=None, eq=False, repr=False)
    #: Whether stored documents may hold identifiers that only older, looser rules accepted
    #: (carts saved by commercekit 0.1): they load as stored (see
    #: :func:`commercekit.rules.stored_values`). Off for kinds that never had looser rules.
    loose_ids: bool = False

    def __attrs_post_init__(self) -> None:
        if not attrs.has(self.type):
            raise ConfigurationError(f"{self.type!r} is not an attrs class")
        names = {field.name for field in attrs.fields(self.type)}
        if not {"id", "version"} <= names:
            raise ConfigurationError(f"{self.type.__name__} needs 'id' and 'version' fields")

    def unstructure(self, aggregate: A, converter: cattrs.Converter) -> dict[str, Any]:
        """The document of ``aggregate`` without its version (which has its own column)."""
        data: dict[str, Any] = (self.converter or converter).unstructure(aggregate, self.type)
        data.pop("version", None)
        return data

    def load(self, text: str, version: int, converter: cattrs.Converter) -> A:
        """Rebuild an aggregate from its document text and stored version."""
        data = json.loads(text)
        data["version"] = version
        return (self.converter or converter).structure(data, self.type)


class AggregateRepository(Protocol[A]):
    """Versioned aggregates of one kind: a stale ``save`` raises ``ConflictError``."""

    def find(self, ident: str) -> A | None:
        """The aggregate with this id, or ``None``."""
        ...

    def get(self, ident: str) -> A:
        """The aggregate with this id; ``NotFoundError`` if none."""
        ...

    def add(self, aggregate: A) -> A:
        """Store a new aggregate (version 0); return it at version 1."""
        ...

    def save(self, aggregate: A) -> A:
        """Write a stored aggregate if nobody saved it since it was read."""
        ...

    def delete(self, aggregate: A) -> None:
        """Delete a stored aggregate at the version read."""
        ...

    def list(
        self,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[A]:
        """Aggregates of this kind, newest update first."""
        ...

    def delete_idle(self, *, before: datetime) -> int:
        """Delete the aggregates of this kind last updated before ``before``; return how many."""
        ...


class TransactionPort(Protocol):
    """One all-or-nothing unit of work and the repositories inside it."""

    @property
    def readonly(self) -> bool:
        """Whether the transaction refuses writes."""
        ...

    def now(self) -> datetime:
        """The store clock's time, read once per transaction."""
        ...

    def aggregates(self, kind: AggregateKind[A]) -> AggregateRepository[A]:
        """The repository of versioned aggregates of ``kind``."""
        ...

    def repository(self, key: RepositoryKey[R]) -> R:
        """The repository an area registered under ``key``, inside this transaction."""
        ...


class StorePort(Protocol):
    """A store: a clock and transactions (see :func:`commercekit.open_store`)."""

    @property
    def clock(self) -> Clock:
        """The clock that judges expiry and stamps rows."""
        ...

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[TransactionPort]:
        """All-or-nothing: commit when the block ends, roll back if it raises."""
        ...

    def in_transaction(self) -> bool:
        """Whether this thread has a transaction of this store open (a new one would join it)."""
        ...

    def prune(self, **ages: timedelta | None) -> PruneReport:
        """Run the registered prune rules (see :meth:`commercekit.storage.Store.prune`)."""
        ...

    def close(self) -> None:
        """Close this process's connections."""
        ...
