"""Production: PostgreSQL, Redis, SMTP. Every secret comes from the environment; none has a default."""
from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str

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

# A shared cache, so that API rate limits hold across every web process.
_cache_url = env_str("CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "-")
if _cache_url == "-":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set CACHE_URL to a Redis URL: API rate limits need a cache shared by all web processes.")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
