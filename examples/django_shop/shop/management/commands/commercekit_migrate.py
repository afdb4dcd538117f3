"""``manage.py commercekit_migrate``: apply commercekit's migrations to its schema.

The same as ``commercekit migrate URL --schema SCHEMA`` with the shop's settings. Run it with
Django's ``migrate`` at each deploy: each tool migrates its own tables, in its own schema.
Safe to run again (an up-to-date schema is only read) and from several hosts at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django_shop.shop.commerce import open_commerce_store


class Command(BaseCommand):
    """Apply commercekit's migrations."""

    help = "Apply commercekit's migrations to its schema (settings.COMMERCEKIT_SCHEMA)."

    def handle(self, *args: Any, **options: Any) -> None:
        """Open the store without migrating, migrate it, and say what was applied."""
        with open_commerce_store() as store:
            applied = store.migrate()
            state = store.schema_state()
        if applied:
            done = ", ".join(f"{area} {version}" for area, version in applied)
            self.stdout.write(f"commercekit: applied {done}; schema versions: {state}")
        else:
            self.stdout.write(f"commercekit: already at schema versions {state}; nothing to do")
