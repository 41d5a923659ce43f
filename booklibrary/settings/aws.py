"""AWS mode (Lambda behind API Gateway). Required values have no default.

A deploy that lacks SECRET_KEY, ALLOWED_HOSTS, JOBS_QUEUE_URL or MEDIA_BUCKET
fails at boot, not on the first request. Values come from the Lambda
environment (see README, "Deploy to AWS"); secrets never live in a file.
"""

from pathlib import Path

from .base import *  # noqa: F403
from .base import AWS_REGION, BASE_DIR, env

SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
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
# scripts/package collects into staticfiles/; tests collect into a folder of their own.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
