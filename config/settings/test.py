"""Test settings: SQLite unless pytest is run with --postgres (see tests/conftest.py)."""
from .base import *  # noqa: F403
from .env import env_str

SETTINGS_NAME = "test"
DEBUG = False
SECRET_KEY = "test-only"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Celery worker subprocesses started by tests get a real broker through the environment.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = False
LANGUAGE_CODE = "en"
LOGGING = {"version": 1, "disable_existing_loggers": False}
