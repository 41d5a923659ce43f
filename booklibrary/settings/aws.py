"""AWS mode (Lambda behind API Gateway). Required values have no default.

A deploy that lacks SECRET_KEY, ALLOWED_HOSTS, JOBS_QUEUE_URL or MEDIA_BUCKET
fails at boot, not on the first request. Values come from the Lambda
environment (see README, "Deploy to AWS"); secrets never live in a file.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import AWS_REGION, BASE_DIR, content_security_policy, env


def strong_secret_key(key: str) -> str:
    """Return ``key`` if it is long and random enough to sign sessions, else refuse."""
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_LENGTH} random "
            f"characters (at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones), "
            "e.g. the output of `openssl rand -base64 48`."
        )
    return key


def named_hosts(hosts: list[str]) -> list[str]:
    """Return ``hosts`` if each names a host, else refuse (no wildcards)."""
    if not hosts or any("*" in host or host in {"", "."} for host in hosts):
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must name the site's host names, without wildcards "
            "(e.g. abc123.execute-api.us-west-2.amazonaws.com); "
            f"it is {','.join(hosts)!r}."
        )
    return hosts


def secret_key() -> str:
    """SECRET_KEY, or else the SSM parameter that SECRET_KEY_PARAMETER names.

    A deploy (scripts/deploy.py) gives the functions only the parameter's name:
    the key itself is read once per cold start, decrypted, and never stored in
    the function's configuration.
    """
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    name = env.str("SECRET_KEY_PARAMETER", default="")
    if not name:
        raise ImproperlyConfigured(
            "Set SECRET_KEY, or SECRET_KEY_PARAMETER to the name of the SSM "
            "parameter (a SecureString) that holds it."
        )
    import boto3

    ssm = boto3.client("ssm", region_name=AWS_REGION)
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


SECRET_KEY = strong_secret_key(secret_key())
ALLOWED_HOSTS = named_hosts(env.list("ALLOWED_HOSTS"))
DEBUG = False

# Accounts and catalog data in DynamoDB; sessions there too.
CATALOG_BACKEND = "catalog.backends.dynamodb.DynamoCatalogBackend"
USER_BACKEND = "accounts.backends.dynamodb.DynamoUserBackend"
SESSION_ENGINE = "accounts.sessions"

# The throttles' shared cache: items in the Users table, expiring by its TTL.
CACHES = {
    "default": env.cache_url("CACHE_URL")
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "booklibrary.dynamodb_cache.DynamoDBCache"}
}

# Django's framework tables (contenttypes, permissions) live in a SQLite file
# in Lambda's temporary directory, built at cold start; nothing that must last
# is written there.
DATA_DIR = Path(env.str("DATA_DIR", default="/tmp/booklibrary"))  # noqa: S108
# Lambda's /tmp starts empty; so does a machine running manage.py with these settings.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "framework.sqlite3"),
    }
}

# Jobs go to SQS; the worker function runs them (worker.sqs_handler).
TASKS = {"default": {"BACKEND": "worker.backends.sqs.SqsTaskBackend"}}
JOBS_QUEUE_URL = env.str("JOBS_QUEUE_URL")
SQS_ENDPOINT_URL = env.str("SQS_ENDPOINT_URL", default="")

# Covers and uploads in a private S3 bucket, served through signed URLs.
MEDIA_BUCKET = env.str("MEDIA_BUCKET")
SERVE_MEDIA = False
EXPORT_TO_STORAGE = True
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "region_name": AWS_REGION,
            "signature_version": "s3v4",
            "querystring_auth": True,
            "querystring_expire": 3600,
            "default_acl": None,
            "file_overwrite": True,
            "location": "media",
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        },
    },
    # Static files ship inside the Lambda package and whitenoise serves them
    # (one origin, hashed names cached for a year): see README.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
IMPORT_DIRECT_UPLOAD = True
# scripts/package collects into staticfiles/; tests collect into a folder of their own.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))


def media_origins(bucket: str, region: str, endpoint_url: str) -> list[str]:
    """Where the bucket's signed URLs point, for the policy's img-src."""
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    return [
        f"https://{bucket}.s3.amazonaws.com",
        f"https://{bucket}.s3.{region}.amazonaws.com",
    ]


SECURE_CSP = content_security_policy(
    media_origins(
        MEDIA_BUCKET, AWS_REGION, STORAGES["default"]["OPTIONS"]["endpoint_url"]
    )
)

# Mail goes out only through SMTP (SMTP_HOST); without it nothing is sent and
# the log says so (the console would write reset links into the logs).
if not env.str("SMTP_HOST", default=""):
    MAILERS = {"default": {"BACKEND": "booklibrary.mail.UnsentMailBackend"}}

# HTTPS only: API Gateway speaks nothing else and says so in X-Forwarded-Proto.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# REMOTE_ADDR already is API Gateway's source IP (booklibrary.lambda_handler
# makes X-Forwarded-For just that before Zappa reads it): no proxy to trust.
TRUSTED_PROXIES: list[str] = []
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
# The site's own host name and any below it (API Gateway's hosts have none);
# set false when the site is served from a domain whose other hosts lack HTTPS.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
