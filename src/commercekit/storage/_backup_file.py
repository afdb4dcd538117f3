"""The backup file: gzip'd JSON Lines, versioned, with a checksummed trailer.

One JSON value per line, UTF-8:

1. a header object: ``format`` (``"commercekit-backup"``), ``format_version``,
   ``library_version``, ``backend``, ``created_at``, ``schema`` (every area's
   ``{"version": n, "min_code_version": m}``) and ``tables`` (each table's row count, in the
   order the tables follow);
2. per table, an object ``{"table": name, "columns": [...], "types": [...]}`` followed by
   one JSON array per row (integers, text, ``null``; timestamps as ISO 8601 UTC text);
3. a trailer object ``{"trailer": {"rows": {table: count}, "sha256": hex}}``, the SHA-256 of
   every byte (uncompressed) before the trailer line.

A reader checks the counts and the checksum at the end; a restore runs in one transaction, so
a file found damaged at its last byte still restores nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from typing import IO, Any

from commercekit.errors import BackupError

__all__ = ["FORMAT", "FORMAT_VERSION", "Reader", "Writer"]

FORMAT = "commercekit-backup"
FORMAT_VERSION = 1


class Writer:
    """Writes the lines of a backup into a binary stream, compressed, hashing as it goes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._gzip = gzip.GzipFile(fileobj=stream, mode="wb", mtime=0)
        self._hash = hashlib.sha256()

    def line(self, value: Any) -> None:
        """Write one JSON value as one line."""
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        encoded = data.encode() + b"\n"
        self._hash.update(encoded)
        self._gzip.write(encoded)

    def finish(self, rows: dict[str, int]) -> None:
        """Write the trailer and close the compressed stream (not the underlying one)."""
        trailer = {"trailer": {"rows": rows, "sha256": self._hash.hexdigest()}}
        self._gzip.write(json.dumps(trailer, separators=(",", ":")).encode() + b"\n")
        self._gzip.close()


class Reader:
    """Reads a backup back line by line; every defect is a :class:`BackupError`.

    :meth:`header` reads the first line; iterating yields ``(table, columns, types)`` for a
    table's line and the row (a list) for each row; the trailer is checked when it is reached.
    """

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._gzip = gzip.GzipFile(fileobj=stream, mode="rb")
        self._name = name
        self._hash = hashlib.sha256()
        self._number = 0
        self.header: dict[str, Any] = {}

    def _fail(self, problem: str) -> BackupError:
        return BackupError(
            f"{self._name} is not a usable commercekit backup: {problem}; nothing was restored"
        )

    def _next(self) -> tuple[bytes, Any] | None:
        try:
            raw = self._gzip.readline()
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; a file cut short is an EOFError.
            raise self._fail(f"the compressed data is damaged or cut short ({exc})") from exc
        if not raw:
            return None
        self._number += 1
        if not raw.endswith(b"\n"):
            raise self._fail(f"line {self._number} is cut short")
        try:
            return raw, json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise self._fail(f"line {self._number} is not JSON ({exc})") from exc

    def read_header(self) -> dict[str, Any]:
        """Read and check the first line."""
        first = self._next()
        if first is None:
            raise self._fail("the file is empty")
        raw, header = first
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise self._fail("its first line is not a commercekit backup header")
        version = header.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise self._fail(
                f"it is in backup format version {version!r}, and this library reads format "
                f"version {FORMAT_VERSION} and older: restore it with the commercekit that made it "
                f"({header.get('library_version')}) or a newer one"
            )
        schema = header.get("schema")
        tables = header.get("tables")
        if not isinstance(schema, dict) or not isinstance(tables, dict):
            raise self._fail("its header lacks the schema versions or the table list")
        self._hash.update(raw)
        self.header = header
        return header

    def __iter__(self) -> Iterator[tuple[str, list[str], list[str]] | list[Any]]:
        expected: dict[str, int] = dict(self.header["tables"])
        seen: dict[str, int] = {}
        current: str | None = None
        width = 0
        while True:
            item = self._next()
            if item is None:
                raise self._fail("it ends before its trailer (was it cut short?)")
            raw, value = item
            if isinstance(value, list):
                if current is None or len(value) != width:
                    raise self._fail(f"line {self._number} is a row that fits no table")
                for cell in value:
                    if not (cell is None or isinstance(cell, str) or type(cell) is int):
                        raise self._fail(f"line {self._number} holds a value of a foreign type")
                self._hash.update(raw)
                seen[current] += 1
                yield value
            elif isinstance(value, dict) and "table" in value:
                current, columns, types = (
                    value.get("table"),
                    value.get("columns"),
                    value.get("types"),
                )
                if (
                    not isinstance(current, str)
                    or current not in expected
                    or current in seen
                    or not isinstance(columns, list)
                    or not isinstance(types, list)
                    or len(columns) != len(types)
                ):
                    raise self._fail(f"line {self._number} is not a table the header lists")
                self._hash.update(raw)
                seen[current] = 0
                width = len(columns)
                yield current, [str(c) for c in columns], [str(t) for t in types]
            elif isinstance(value, dict) and "trailer" in value:
                self._check_trailer(value["trailer"], expected, seen)
                return
            else:
                raise self._fail(f"line {self._number} is neither a table, a row nor the trailer")

    def _check_trailer(self, trailer: Any, expected: dict[str, int], seen: dict[str, int]) -> None:
        if not isinstance(trailer, dict):
            raise self._fail("its trailer is malformed")
        if trailer.get("sha256") != self._hash.hexdigest():
            raise self._fail("its checksum does not match its content (the file was altered)")
        if trailer.get("rows") != expected or seen != expected:
            raise self._fail(
                f"its row counts do not agree (header {expected}, trailer {trailer.get('rows')}, "
                f"read {seen})"
            )
        try:
            rest = self._gzip.read(1)
        except (OSError, EOFError, zlib.error) as exc:
            raise self._fail(f"the compressed data is damaged after the trailer ({exc})") from exc
        if rest:
            raise self._fail("there is data after its trailer")
