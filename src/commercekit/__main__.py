"""``python -m commercekit``: the same as the ``commercekit`` command."""

from commercekit.cli import main

raise SystemExit(main())
