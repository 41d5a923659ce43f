"""Local mode: SQLite (or DATABASE_URL), media on disk, one machine."""

import secrets

from .base import *  # noqa: F403
from .base import (
    DATA_DIR,
    FILESYSTEM_BROKER_TRANSPORT,
    env,
    filesystem_broker_options,
    sqlite_for_several_processes,
)


def _local_secret_key() -> str:
    """Return the key kept in DATA_DIR, made once so sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()

DATABASES = {
    "default": sqlite_for_several_processes(
        env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
    )
}

# Background jobs: Django Tasks on a Celery worker. Without CELERY_BROKER_URL
# the broker is a folder in DATA_DIR (kombu's filesystem transport): no server.
TASKS = {"default": {"BACKEND": "worker.backends.celery.CeleryTaskBackend"}}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(DATA_DIR / "broker")
    CELERY_BROKER_TRANSPORT = FILESYSTEM_BROKER_TRANSPORT
    # Remote control would need its own fan-out folder; nothing here uses it.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
