"""The per-test PostgreSQL schema really exists during a test and is gone after it."""

from __future__ import annotations

import psycopg


def _schema_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (name,)
        ).fetchone()
    assert row is not None
    return bool(row[0])


def test_schema_is_created_and_isolated(postgres_url: str, postgres_schema: str) -> None:
    assert _schema_exists(postgres_url, postgres_schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{postgres_schema}".probe (id int PRIMARY KEY)')
        conn.execute(f'INSERT INTO "{postgres_schema}".probe VALUES (1)')
        row = conn.execute(f'SELECT count(*) FROM "{postgres_schema}".probe').fetchone()
    assert row == (1,)
