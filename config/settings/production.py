"""Production: PostgreSQL, Redis, SMTP. Every secret comes from the environment; none has a default."""
from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_str

SETTINGS_NAME = "production"
DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
DATABASES = {"default": database_from_url(env_str("DATABASE_URL"))}  # noqa: F405
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 10,
}
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only: redirect plain HTTP (SECURE_REDIRECT_EXEMPT: comma-separated path regexes without
# the leading slash, e.g. ^healthz/$ for a balancer's plain-HTTP health check) and HSTS for a
# year on every subdomain. Preload is a commitment that is slow to undo, so it stays a choice.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [])
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # security.W021 only says the site cannot join the browsers' preload list: by choice.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405


# A shared cache, so that API rate limits hold across every web process.
_cache_url = env_str("CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "-")
if _cache_url == "-":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set CACHE_URL to a Redis URL: API rate limits need a cache shared by all web processes.")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
