"""Settings shared by every mode. The environment is read here and only here."""

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from booklibrary import __version__

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

VERSION = __version__
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "accounts",
    "catalog",
    "worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Gzips HTML only when it holds no secret (BREACH): booklibrary/compression.py.
    "booklibrary.compression.PublicPageGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view or CSRF check reads a body: too large ones are refused.
    "booklibrary.request_limits.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "booklibrary.urls"
WSGI_APPLICATION = "booklibrary.wsgi.application"

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

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.auth_backends.ManagerBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
# Exports: built in a temporary file and, above the size a response may have
# (AWS Lambda answers at most 6 MB, and a ZIP goes out in base64, a third
# larger), saved to the default storage and reached through a signed URL valid
# this many seconds. Locally they stream.
EXPORT_TO_STORAGE = env.bool("EXPORT_TO_STORAGE", default=False)
EXPORT_INLINE_MAX_BYTES = 4 * 1024 * 1024
EXPORT_URL_SECONDS = 300

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Cookies: HttpOnly and SameSite everywhere; the Secure flag is on wherever the
# site is served over HTTPS (always on AWS; opt-in locally with SECURE_COOKIES).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A refused form gets a page in the site's layout that says what to do.
CSRF_FAILURE_VIEW = "booklibrary.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def content_security_policy(image_origins: list[str]) -> dict[str, list[str]]:
    """A strict policy: this site's own scripts, styles and requests, nothing inline.

    ``image_origins`` adds where media is served from when that is not this
    site (the S3 bucket on AWS). The camera page alone also allows compiling
    WebAssembly (booklibrary.csp.allow_webassembly).
    """
    return {
        "default-src": [CSP.NONE],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        # data: for Bootstrap's inline SVG icons, blob: for the barcode reader's frames.
        "img-src": [CSP.SELF, "data:", "blob:", *image_origins],
        "connect-src": [CSP.SELF],
        "font-src": [CSP.SELF],
        "manifest-src": [CSP.SELF],
        "media-src": [CSP.SELF, "blob:"],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "object-src": [CSP.NONE],
    }


SECURE_CSP = content_security_policy([])

# A cache every web process shares (the throttles count there): the database
# locally (`migrate` creates its table), or CACHE_URL / REDIS_URL, e.g.
# redis://127.0.0.1:6379/1.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL",
        default=env.str("REDIS_URL", default="") or "dbcache://booklibrary_cache",
    )
}
# Throttles (accounts.throttling): rule -> (attempts, window in seconds).
THROTTLE_CACHE = "default"
THROTTLE_RULES = {
    "login-account": (10, 15 * 60),  # failed logins per account
    "login-client": (30, 15 * 60),  # failed logins per client address
    "password-reset-address": (3, 60 * 60),  # reset mails per address
    "password-reset-client": (10, 60 * 60),  # reset requests per client
    "signup-client": (10, 60 * 60),  # sign-up attempts per client
}

# Reverse proxies whose X-Forwarded-For is believed (addresses or networks,
# e.g. 127.0.0.1 or 10.0.0.0/8): behind a local TLS proxy every request comes
# from the proxy, so the throttles would count all clients as one. Empty: the
# peer's own address (REMOTE_ADDR) is the client's.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from exc

# The seams: each is a dotted path, resolved lazily.
CATALOG_BACKEND = "catalog.backends.orm.OrmCatalogBackend"
USER_BACKEND = "accounts.backends.orm.OrmUserBackend"
CATALOG_PAGE_SIZE = env.int("CATALOG_PAGE_SIZE", default=24)

# Email: printed to the console unless an SMTP server is configured.
if env.str("SMTP_HOST", default=""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.str("SMTP_HOST"),
                "port": env.int("SMTP_PORT", default=587),
                "username": env.str("SMTP_USERNAME", default=""),
                "password": env.str("SMTP_PASSWORD", default=""),
                "use_tls": env.bool("SMTP_USE_TLS", default=True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="booklibrary@localhost")
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default=DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}


def sqlite_for_several_processes(database: dict) -> dict:
    """Tune a SQLite database for a web server and a worker writing at once."""
    if database.get("ENGINE", "").endswith("sqlite3"):
        options = database.setdefault("OPTIONS", {})
        # Take the write lock up front (no upgrade deadlocks), wait for it, and
        # let readers go on while one process writes (WAL).
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault(
            "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        )
    return database


# Background jobs (seam 2): Django Tasks; each mode picks the backend.
def filesystem_broker_options(folder: Path) -> dict:
    """Kombu's filesystem transport in ``folder``: a broker that needs no server.

    Used through ``worker.broker.Transport`` (``FILESYSTEM_BROKER_TRANSPORT``),
    which writes messages atomically and quarantines unreadable ones.
    """
    for sub in ("queue", "control", "claimed", "quarantine"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "claimed_folder": str(folder / "claimed"),
        "quarantine_folder": str(folder / "quarantine"),
        "store_processed": False,
        "polling_interval": 0.5,
    }


FILESYSTEM_BROKER_TRANSPORT = "worker.broker:Transport"


CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One job per pool slot at a time (acks late): a busy worker holds no queue
# of details jobs in its hands while an import waits.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Two queues, both consumed by every worker (each in turn): Celery's default
# for the jobs a person waits for (imports, tag changes, beat's sweeps) and
# "background" for bulk details lookups (worker.jobs.BACKGROUND_TASKS).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"celery": {}, "background": {}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A job that runs too long is stopped: SoftTimeLimitExceeded first, then the
# pool child is killed. The book stays pending and the sweep queues it again.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("JOB_SOFT_TIME_LIMIT", default=100)
CELERY_TASK_TIME_LIMIT = env.int("JOB_TIME_LIMIT", default=120)
# Publishing never hangs a request: a broker that is down fails the send fast
# (the book stays pending; the sweep queues it once the broker is back).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("BROKER_CONNECTION_TIMEOUT", default=2.0)
# The worker touches this file while its consumer loop runs; `make run`
# restarts a worker whose heartbeat goes stale (see worker.heartbeat).
WORKER_HEARTBEAT_FILE = env.str(
    "WORKER_HEARTBEAT_FILE", default=str(DATA_DIR / "worker.heartbeat")
)
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5.0)
# Jobs retry themselves with backoff (see worker.tasks); this caps a job's wait.
METADATA_MAX_ATTEMPTS = env.int("METADATA_MAX_ATTEMPTS", default=5)
METADATA_RETRY_BASE_SECONDS = env.float("METADATA_RETRY_BASE_SECONDS", default=30.0)
# The sweep: a book still pending this long after its details were asked for
# (longer than a job may run) is queued again, after twice as long the next
# time, up to METADATA_SWEEP_MAX_ATTEMPTS times; then it is marked failed.
METADATA_SWEEP_AFTER_SECONDS = env.float("METADATA_SWEEP_AFTER_SECONDS", default=180.0)
METADATA_SWEEP_MAX_ATTEMPTS = env.int("METADATA_SWEEP_MAX_ATTEMPTS", default=5)
METADATA_SWEEP_MAX_WAIT_SECONDS = 3600.0
METADATA_SWEEP_BATCH = 100
# How often the sweep runs (Celery beat locally; the worker function's
# schedule expression in zappa_settings.json on AWS).
METADATA_SWEEP_INTERVAL_SECONDS = env.float(
    "METADATA_SWEEP_INTERVAL_SECONDS", default=60.0
)
# A book pending longer than this says so and offers "try again".
METADATA_SLOW_AFTER_SECONDS = env.float("METADATA_SLOW_AFTER_SECONDS", default=180.0)
# A removal from the library can be undone this long; the cleanup (Celery beat
# locally, the worker function's schedule on AWS) then deletes what it held,
# the reader's own cover photos last.
REMOVAL_UNDO_SECONDS = 600
REMOVAL_CLEANUP_INTERVAL_SECONDS = 300.0
# Loans: the daily reminders cover those overdue and due within these days.
LOAN_REMINDER_DAYS_AHEAD = env.int("LOAN_REMINDER_DAYS_AHEAD", default=2)
LOAN_REMINDERS_INTERVAL_SECONDS = 24 * 3600.0
# Imports: the largest file taken (on AWS it goes straight to S3), how long
# one run of the job imports before queuing the rest, and how often the sweep
# queues again an import no worker is moving (catalog.services.imports).
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
IMPORT_RUN_SECONDS = env.float("IMPORT_RUN_SECONDS", default=60.0)
IMPORT_SWEEP_INTERVAL_SECONDS = 120.0
# On AWS the browser posts the file to S3 itself (Lambda takes 6 MB a request).
IMPORT_DIRECT_UPLOAD = False
CELERY_BEAT_SCHEDULE = {
    "sweep-imports": {
        "task": "booklibrary.sweep_imports",
        "schedule": IMPORT_SWEEP_INTERVAL_SECONDS,
    },
    "sweep-metadata": {
        "task": "booklibrary.sweep",
        "schedule": METADATA_SWEEP_INTERVAL_SECONDS,
    },
    "clean-removals": {
        "task": "booklibrary.clean_removals",
        "schedule": REMOVAL_CLEANUP_INTERVAL_SECONDS,
    },
    "loan-reminders": {
        "task": "booklibrary.send_loan_reminders",
        "schedule": LOAN_REMINDERS_INTERVAL_SECONDS,
    },
}

# AWS: region, stage (table names) and an endpoint override for local stand-ins.
AWS_REGION = env.str("AWS_REGION", default="us-west-2")
BOOKLIBRARY_ENV = env.str("BOOKLIBRARY_ENV", default="dev")
# Tables restored from a backup (`make restore-drill`) carry a suffix; a stage
# is pointed at them with this (scripts/deploy.py --table-suffix).
DYNAMODB_TABLE_SUFFIX = env.str("DYNAMODB_TABLE_SUFFIX", default="")
DYNAMODB_ENDPOINT_URL = env.str("DYNAMODB_ENDPOINT_URL", default="")

# Metadata providers (seam 5). Base URLs are settings so tests and the fake
# provider server can stand in for the real services.
OPENLIBRARY_URL = env.str("OPENLIBRARY_URL", default="https://openlibrary.org")
OPENLIBRARY_COVERS_URL = env.str(
    "OPENLIBRARY_COVERS_URL", default="https://covers.openlibrary.org"
)
GOOGLE_BOOKS_URL = env.str("GOOGLE_BOOKS_URL", default="https://www.googleapis.com")
GOOGLE_BOOKS_API_KEY = env.str("GOOGLE_BOOKS_API_KEY", default="")
# Requests a day Google Books is sent, counted in the shared cache (its keyless
# quota is about 1,000; set your key's quota; 0 counts nothing). Books left
# over wait, pending, for the next day (catalog.metadata.allowance).
GOOGLE_BOOKS_DAILY_QUOTA = env.int("GOOGLE_BOOKS_DAILY_QUOTA", default=1000)
# How long nobody asks a provider after it said "too many requests" without
# naming a time in Retry-After.
METADATA_RATE_LIMIT_COOLDOWN_SECONDS = env.float(
    "METADATA_RATE_LIMIT_COOLDOWN_SECONDS", default=60.0
)
METADATA_CONNECT_TIMEOUT = env.float("METADATA_CONNECT_TIMEOUT", default=5.0)
METADATA_READ_TIMEOUT = env.float("METADATA_READ_TIMEOUT", default=15.0)
METADATA_USER_AGENT = f"BookLibrary/{VERSION} ({CONTACT_EMAIL})"
# First pause before retrying a provider within one call (doubles each time).
METADATA_HTTP_BACKOFF_SECONDS = env.float("METADATA_HTTP_BACKOFF_SECONDS", default=0.5)
# Longest wait for a provider's Retry-After before handing the retry to the job.
METADATA_MAX_RETRY_AFTER = env.float("METADATA_MAX_RETRY_AFTER", default=10.0)
# One deadline per provider call: connecting, headers and body, retries
# included. A job can wait longer than a page (gunicorn kills a worker at 30 s).
METADATA_DEADLINE_SECONDS = env.float("METADATA_DEADLINE_SECONDS", default=10.0)
METADATA_SEARCH_DEADLINE_SECONDS = env.float(
    "METADATA_SEARCH_DEADLINE_SECONDS", default=4.0
)
# Largest provider answers read: a JSON document, a cover image.
METADATA_JSON_MAX_BYTES = env.int("METADATA_JSON_MAX_BYTES", default=5 * 1024 * 1024)
METADATA_COVER_MAX_BYTES = env.int("METADATA_COVER_MAX_BYTES", default=10 * 1024 * 1024)
# Besides the hosts of the URLs above, the only hosts covers are fetched from
# (and redirected to): the providers' documented image hosts. Open Library's
# covers redirect to the Internet Archive. A leading dot: any subdomain.
METADATA_IMAGE_HOSTS = env.list(
    "METADATA_IMAGE_HOSTS",
    default=[
        "covers.openlibrary.org",
        "archive.org",
        ".archive.org",
        "books.google.com",
        "books.googleusercontent.com",
    ],
)

# Barcode photos: the largest upload accepted, and the size decoded at.
BARCODE_MAX_UPLOAD_BYTES = env.int("BARCODE_MAX_UPLOAD_BYTES", default=15 * 1024 * 1024)
# Request bodies (booklibrary.request_limits): a small limit for every view,
# Django's own limit on form data the same; the photo views take a photo and a
# form around it, for someone logged in. 3 MB holds the largest form a reader may
# send (50,000 characters of notes at up to 4 UTF-8 bytes each, percent-encoded,
# with the rest of the page's fields), so a text over a field's limit gets the
# form's message with the text kept, not a 413 page.
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=3 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
REQUEST_MAX_UPLOAD_BYTES = BARCODE_MAX_UPLOAD_BYTES + 1024 * 1024
REQUEST_UPLOAD_VIEWS = ["catalog:add-photo", "catalog:book-cover", "catalog:book-add"]
# The Import page takes a file of up to IMPORT_MAX_UPLOAD_BYTES (local mode).
REQUEST_IMPORT_VIEWS = ["catalog:imports"]
BARCODE_DECODERS = [
    "catalog.barcodes.ZxingCppDecoder",
    "catalog.barcodes.PyzbarDecoder",
]
