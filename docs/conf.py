"""Sphinx configuration: autodoc and doctest, fully offline (no intersphinx fetches)."""

from importlib.metadata import version as _version

project = "commercekit"
author = "commercekit developers"
copyright = "2026, commercekit developers"
release = _version("commercekit")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Cross-references to the standard library and third-party types cannot be resolved offline.
nitpicky = False
# furo: a theme made for code-heavy docs (as attrs uses), with copyable snippets.
html_theme = "furo"
html_title = f"commercekit {release}"
# Code at 12 px (furo's 75% size step) fits ~98 columns in furo's 46em content column, so a
# guide's code (kept to 95 columns) never scrolls sideways in a 1280-pixel window.
_code_font = {"code-font-size": "var(--font-size--small--3)"}
html_theme_options = {"light_css_variables": _code_font, "dark_css_variables": _code_font}
# The copy button copies the code only: the prompts and the output of a doctest are left out.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
exclude_patterns = ["_build"]
# Docstring examples assume their module's names are in scope: each area adds its star import.
doctest_global_setup = "\n".join(
    [
        "import decimal",
        "from decimal import Decimal",
        "from datetime import date, datetime, timedelta, UTC",
        "from commercekit import *",
        "from commercekit.money import *",
        "from commercekit.clock import *",
        "from commercekit.pricing import *",
        "from commercekit.cart import *",
        "from commercekit.inventory import *",
        "from commercekit.rules import *",
        "from commercekit.errors import *",
        "from commercekit.pricing.promotions import *",
        "from commercekit.address import *",
        "from commercekit.tax import *",
        "from commercekit.payments import *",
        "from commercekit.gateways.payments import *",
        "from commercekit.units import *",
        "from commercekit.shipping import *",
        "from commercekit.gateways.shipping import *",
        "from commercekit.gateways.http import *",
        "from commercekit.values import *",
        "from commercekit.events import *",
        "from commercekit.gateways.webhooks import *",
        "from commercekit.orders import *",
        "from commercekit.checkout import *",
        "import attrs",
    ]
)
