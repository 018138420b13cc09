"""Settings shared by every environment. Deployment-specific values come from the environment."""
from __future__ import annotations

from base64 import b64encode
from datetime import date, timedelta
from hashlib import sha256
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("APP_VAR_DIR", str(BASE_DIR / "var")))

# Which settings module is active; seed_demo refuses "production".
SETTINGS_NAME = "base"

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", "insecure-only-for-local-development")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # The desk first: its templates override the admin's (base_site.html, index.html).
    "desk.apps.DeskConfig",
    "desk.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "desk.apps.LoginLockoutConfig",  # django-axes, named for staff
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_fsm",
    "complaints",
    "access",
    "workflows",
    "reports",
    # The API's own templates and static files (the CSP-clean Swagger UI page).
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language, unless the switcher chose one (access/middleware.py).
    "access.middleware.UserLanguageMiddleware",
    # request.user.is_verified(), then the desk's two-factor gate (desk/two_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "desk.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a login lockout into its answer (access.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_url(url: str) -> dj_database_url.DBConfig:
    """One DATABASES entry from a URL; SQLite gets the options that let web, worker and beat share it."""
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The report's covering indexes (Complaint.Meta) INCLUDE columns on PostgreSQL; on the
# embedded SQLite they are plain indexes, as intended, so its warning says nothing new.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: the bank's local time zone decides what "a day" is for every clock.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

LOGIN_URL = "admin:login"
# Axes first: it refuses a locked-out username or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Content-Security-Policy on every response (django-csp 4): nothing inline, nothing from
# another origin. The admin, the desk's own static files and the API docs (served locally by
# drf-spectacular-sidecar, the init script as a file) need no more; data: images are the
# two-factor QR code and Swagger UI's icons. CSP_REPORT_URI adds a report-uri.
# Two style attributes of the desk's templates are allowed by their exact text ('unsafe-hashes'
# lets a hash match an attribute): the customer search row (complaints/complaint/change_list.html)
# and the merge form (_customer_history.html). Once they move into desk.css, drop them here.
_DESK_STYLE_ATTRIBUTES = (
    "display:flex;flex-wrap:wrap;gap:0.5em 1.5em;align-items:flex-end;padding:0.5em 0",
    "display:inline",
)
CONTENT_SECURITY_POLICY: dict = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [
            SELF,
            "'unsafe-hashes'",
            *(f"'sha256-{b64encode(sha256(text.encode()).digest()).decode()}'" for text in _DESK_STYLE_ATTRIBUTES),
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_str("CSP_REPORT_URI", "-") != "-":
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env_str("CSP_REPORT_URI")]

# Two-factor sign-in (TOTP, django-otp) for everyone with admin access; see desk/two_factor.py.
# Secure by default; the embedded demo and the tests turn it off.
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", env_str("BANK_NAME", "Demo Bank"))
# The OpenAPI schema and its docs page answer only signed-in users unless this is true.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

# E-mail: console in local development, SMTP in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "complaints@bank.example")

# Largest request body accepted (bytes); larger requests get 413.
# 1 MiB: an intake may carry a 100,000-character description, about 300 KB of Chinese in UTF-8.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
# Deepest nesting of objects and arrays a JSON request body may have (api.parsers); deeper is a 400.
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)
# How far back a live intake (desk or API) may date received_at, in days: 3 years, the FCA's
# record-keeping period. Imported history is not held to it.
INTAKE_RECEIVED_AT_HORIZON_DAYS = env_int("INTAKE_RECEIVED_AT_HORIZON_DAYS", 1096)

# --- The product's own settings -----------------------------------------------------
# The regulator's rules a fresh database starts from: cn (PBOC, the default), uk (FCA DISP) or
# us (CFPB); see workflows/rule_sets.py. Afterwards the policies are edited in the admin.
COMPLAINT_RULES = env_str("COMPLAINT_RULES", "cn")
# The bank's name, printed on reports and e-mails: BANK_NAME in English, BANK_NAME_ZH in Chinese
# (the demo bank's Chinese name by default; otherwise the English name, when none is given).
BANK_NAME = env_str("BANK_NAME", "Demo Bank")
BANK_NAME_ZH = env_str("BANK_NAME_ZH", "演示银行" if BANK_NAME == "Demo Bank" else BANK_NAME)
# Absolute base URL used for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Reports: first day of the first biweekly period (a Monday), surge thresholds.
REPORT_FIRST_PERIOD_START = date.fromisoformat(env_str("REPORT_FIRST_PERIOD_START", "2026-01-05"))
REPORT_SURGE_MIN_COUNT = env_int("REPORT_SURGE_MIN_COUNT", 5)
REPORT_SURGE_FACTOR = env_int("REPORT_SURGE_FACTOR", 2)
# Escalation sweep period in seconds.
ESCALATION_SWEEP_SECONDS = env_int("ESCALATION_SWEEP_SECONDS", 300)
# Escalation e-mails: at most this many cases listed in one digest; the rest are counted and
# linked to the filtered case list.
ESCALATION_DIGEST_MAX_CASES = env_int("ESCALATION_DIGEST_MAX_CASES", 50)
# Surge alerts (workflows/surges.py states the rule): a category's, cause's or product's cases
# received in the last SURGE_WINDOW_HOURS hours against the same hours of each of the previous
# SURGE_BASELINE_WEEKS weeks; a surge has at least SURGE_MIN_COUNT cases and more than the
# baseline's mean plus SURGE_SIGMA standard deviations. Checked after intake and every
# SURGE_SWEEP_SECONDS over every key.
SURGE_WINDOW_HOURS = env_int("SURGE_WINDOW_HOURS", 24)
SURGE_BASELINE_WEEKS = env_int("SURGE_BASELINE_WEEKS", 4)
SURGE_SIGMA = env_float("SURGE_SIGMA", 3.0)
SURGE_MIN_COUNT = env_int("SURGE_MIN_COUNT", 10)
SURGE_SWEEP_SECONDS = env_int("SURGE_SWEEP_SECONDS", 300)
# The admin's live dashboard (reports/live.py): beat refreshes the current period's figures of the
# whole bank and of each department with an owner every DASHBOARD_REFRESH_SECONDS, and a page
# asks for new figures of any period whose snapshot is older than that.
DASHBOARD_REFRESH_SECONDS = env_int("DASHBOARD_REFRESH_SECONDS", 300)

# --- Access: client address, login lockout, API tokens (owned by access/) -------------
# How many reverse proxies in front of the web processes append to X-Forwarded-For. 0 (the
# default): the client address is REMOTE_ADDR and X-Forwarded-For is ignored. n: the n-th
# address from the right of X-Forwarded-For. Throttles (DRF's NUM_PROXIES) and the login
# lockout (access.client_address) both read it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Login lockout (django-axes), for the admin's login and POST /api/v1/auth/token/ alike:
# LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES lock the username, and
# separately the client address, for LOGIN_LOCKOUT_MINUTES after the last failure (the right
# password included). Supervisors and admins unlock in the admin (Access attempts).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "access.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "access.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# A success does not wipe the failures: a user's own good login must not reset the count
# kept against their address.
AXES_RESET_ON_SUCCESS = False
# Audit rows: every failure (AccessFailureLog) as well as the attempts that lock (AccessAttempt).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# API tokens: valid API_TOKEN_TTL_HOURS from issue; a rotation gives another TTL, never past
# API_TOKEN_MAX_AGE_HOURS after the password was presented; the rotated token keeps working
# for API_TOKEN_ROTATION_GRACE_SECONDS, for requests already under way.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24)
API_TOKEN_MAX_AGE_HOURS = env_int("API_TOKEN_MAX_AGE_HOURS", 24 * 7)
API_TOKEN_ROTATION_GRACE_SECONDS = env_int("API_TOKEN_ROTATION_GRACE_SECONDS", 60)

# --- REST API (owned by the API: api/) -----------------------------------------------
REST_FRAMEWORK: dict = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Expiring API tokens (access.ApiToken), token, user and role groups read in one query.
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser behind a nesting limit (API_JSON_MAX_DEPTH).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenClientRateThrottle"],
    # Token clients (channel systems) per token; token requests per client address.
    "DEFAULT_THROTTLE_RATES": {
        "token_client": env_str("API_TOKEN_CLIENT_RATE", "6000/minute"),
        "token_login": env_str("API_TOKEN_LOGIN_RATE", "20/minute"),
        "token_login_account": env_str("API_TOKEN_LOGIN_ACCOUNT_RATE", "10/minute"),
    },
    # The client address is REMOTE_ADDR unless TRUSTED_PROXY_COUNT names the proxies in front.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS: dict = {
    "TITLE": "Complaint engine API",
    "DESCRIPTION": "Intake, reads and lifecycle transitions of cases, for the bank's channel systems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStateEnum": "complaints.states.ComplaintState",
        "KindEnum": "complaints.states.Kind",
        "ChannelEnum": "complaints.states.Channel",
        "SeverityEnum": "complaints.states.Severity",
        "OutcomeEnum": "complaints.states.Outcome",
        "ContactMethodEnum": "complaints.states.ContactMethod",
        "ClosureEnum": "complaints.states.Closure",
        "ExtensionStatusEnum": "complaints.states.ExtensionStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    "escalation-sweep": {
        "task": "workflows.tasks.escalation_sweep",
        "schedule": float(ESCALATION_SWEEP_SECONDS),
    },
    # Surges over every key (causes are set at resolution, and an intake's own check may be lost).
    "surge-sweep": {
        "task": "workflows.tasks.surge_sweep",
        "schedule": float(SURGE_SWEEP_SECONDS),
    },
    # The live dashboard's snapshots of the current period (reports/live.py).
    "dashboard-refresh": {
        "task": "reports.live.refresh_dashboard",
        "schedule": float(DASHBOARD_REFRESH_SECONDS),
    },
    # Runs every Monday at 07:00 local; the task itself acts only on period boundaries
    # (every other Monday counted from REPORT_FIRST_PERIOD_START).
    "biweekly-report": {
        "task": "reports.tasks.generate_biweekly_report",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each CSS property it does not support, a thousand lines per report, and its
    # progress: errors only, unless asked (generate_report -v 2 shows its warnings).
    "loggers": {"weasyprint": {"level": env_str("WEASYPRINT_LOG_LEVEL", "ERROR")}},
}
