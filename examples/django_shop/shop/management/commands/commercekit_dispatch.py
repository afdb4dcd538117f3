"""``manage.py commercekit_dispatch``: deliver commercekit's outbox to the shop's handlers.

By default it drains what is due and exits (for cron, a deploy hook or a test);
``--loop`` keeps dispatching until interrupted (a worker process beside the web server).
Delivery is at least once; the handler (:mod:`django_shop.shop.outbox`) is idempotent.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from django_shop.shop.commerce import get_commerce
from django_shop.shop.outbox import build_dispatcher


class Command(BaseCommand):
    """Deliver the outbox."""

    help = "Deliver commercekit's outbox events (order.placed, ...) to the shop's handlers."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--consumer`` and ``--loop``."""
        parser.add_argument(
            "--consumer",
            default=settings.COMMERCEKIT_CONSUMER,
            help="this dispatcher's name in the outbox (one per process)",
        )
        parser.add_argument(
            "--loop", action="store_true", help="keep dispatching until interrupted"
        )
        parser.add_argument(
            "--idle", type=float, default=1.0, help="seconds to wait when nothing is due"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Drain the outbox once, or dispatch until interrupted; print the totals."""
        commerce = get_commerce()
        dispatcher = build_dispatcher(commerce.store, commerce.orders, consumer=options["consumer"])
        if options["loop"]:
            stop = threading.Event()
            try:
                report = dispatcher.run(stop, idle_sleep=options["idle"])
            except KeyboardInterrupt:
                stop.set()
                return
        else:
            report = dispatcher.drain()
        self.stdout.write(
            f"outbox: {report.delivered} delivered, {report.failed} failed, {report.dead} dead"
        )
