"""Test settings: SQLite unless pytest is run with --postgres (see tests/conftest.py)."""
from .base import *  # noqa: F403
from .env import env_str

SETTINGS_NAME = "test"
# Off unless a test turns them on (tests/desk/test_two_factor.py, test_security_headers.py);
# the schema check (tests/checks/api_schema.sh) reads the schema without logging in.
ADMIN_REQUIRE_2FA = False
API_DOCS_PUBLIC = True
DEBUG = False
SECRET_KEY = "test-only"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Celery worker subprocesses started by tests get a real broker through the environment.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = False
LANGUAGE_CODE = "en"
# Per process; tests that read the live dashboard's snapshots clear it themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
