"""Embedded default: SQLite, a broker that needs no server, console e-mail."""
from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, VAR_DIR
from .env import env_bool

SETTINGS_NAME = "local"
DEBUG = True
# The embedded demo: role logins with password only, and the API docs open to all (each
# overridable, to try the production behaviour locally).
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", False)
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)
# One cache for the web, worker and beat processes: the live dashboard's snapshots are stored
# by the worker and read by the web (reports/live.py). Files need no server and no table.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}


if CELERY_BROKER_URL == "filesystem://":
    _broker = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "store_processed": False,
        "control_folder": str(_broker / "control"),
    }
