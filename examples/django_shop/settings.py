"""Settings of the example shop, from the environment.

``DJANGO_SHOP_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/django_shop``) is
Django's database; Django's tables live in its ``public`` schema. commercekit opens its own
store on ``DJANGO_SHOP_COMMERCEKIT_URL`` (default: the same database) with its tables in the
``DJANGO_SHOP_COMMERCEKIT_SCHEMA`` schema (default ``commercekit``). The two hold separate
connections: no transaction spans both (see README.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent


def database_from_url(url: str) -> dict[str, Any]:
    """Django's ``DATABASES`` entry for a ``postgresql://user:password@host:port/name`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"the shop runs on PostgreSQL, got a {parts.scheme!r} URL")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Django's tables in public, whatever the role's search_path says: commercekit's
        # schema is commercekit's alone.
        "OPTIONS": {"options": "-c search_path=public"},
    }


DATABASE_URL = os.environ.get(
    "DJANGO_SHOP_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/django_shop"
)
#: Where commercekit's store lives: its own schema, here in the same database.
COMMERCEKIT_URL = os.environ.get("DJANGO_SHOP_COMMERCEKIT_URL", DATABASE_URL)
COMMERCEKIT_SCHEMA = os.environ.get("DJANGO_SHOP_COMMERCEKIT_SCHEMA", "commercekit")
#: The name of this process's outbox consumer (each dispatcher sharing a store needs its own).
COMMERCEKIT_CONSUMER = os.environ.get("DJANGO_SHOP_CONSUMER", "django-shop")

SECRET_KEY = os.environ.get("DJANGO_SHOP_SECRET_KEY", "example-only: set DJANGO_SHOP_SECRET_KEY")
DEBUG = os.environ.get("DJANGO_SHOP_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_SHOP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
    ","
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djmoney",
    "django_shop.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "django_shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The request's locale comes from Accept-Language (LocaleMiddleware); receipts are formatted
# for it with babel (commercekit.money.format_money).
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# django-money
CURRENCIES = ("USD",)
DEFAULT_CURRENCY = "USD"
