"""The shared caches the throttles count in honour the same contract.

The subset of Django's cache API ``accounts.throttling`` uses (get, set, add,
incr, delete, expiry), run against the database cache (local default), the
DynamoDB cache (AWS, under moto) and the in-memory one (tests).
"""

import os
import socket
import time

import pytest
from django.core.cache import caches

BACKENDS = {
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "booklibrary_cache",
    },
    "dynamodb": {"BACKEND": "booklibrary.dynamodb_cache.DynamoDBCache"},
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/14",
        "KEY_PREFIX": "cache-contract",
    },
}


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _backends():
    for name in sorted(BACKENDS):
        marks = []
        if name == "redis" and not _redis_available() and not os.environ.get("CI"):
            marks = [pytest.mark.skip(reason="no Redis on 127.0.0.1:6379")]
        yield pytest.param(name, id=name, marks=marks)


@pytest.fixture(params=list(_backends()))
def cache(request, settings):
    if request.param == "dynamodb":
        request.getfixturevalue("aws_tables")
    settings.CACHES = {"default": BACKENDS[request.param]}
    if request.param == "database":
        from accounts.throttling import create_cache_tables

        request.getfixturevalue("db")
        create_cache_tables()  # what `migrate` runs after migrating
    if request.param == "redis":
        caches["default"].clear()
    yield caches["default"]
    if request.param == "redis":
        caches["default"].clear()


def test_get_returns_what_set_stored_or_the_default(cache):
    assert cache.get("k") is None and cache.get("k", 5) == 5
    cache.set("k", {"a": [1, 2]}, 60)
    assert cache.get("k") == {"a": [1, 2]}
    cache.set("n", 7, 60)
    assert cache.get("n") == 7
    cache.set("k", "replaced", 60)
    assert cache.get("k") == "replaced"


def test_add_stores_only_when_nothing_lives_there(cache):
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 2, 60) is False
    assert cache.get("k") == 1


def test_incr_adds_to_a_live_number_and_refuses_a_missing_one(cache):
    cache.set("n", 1, 60)
    assert cache.incr("n") == 2
    assert cache.incr("n", 5) == 7
    assert cache.get("n") == 7
    with pytest.raises(ValueError):
        cache.incr("missing")


def test_delete_removes_and_tells_whether_it_was_there(cache):
    cache.set("k", 1, 60)
    assert cache.delete("k") is True
    assert cache.get("k") is None
    assert cache.delete("k") is False


def test_entries_expire_and_expired_ones_count_as_absent(cache):
    cache.set("n", 1, 1)
    cache.add("other", 1, 1)
    time.sleep(1.2 if "LocMem" in type(cache).__name__ else 2.1)
    assert cache.get("n") is None
    with pytest.raises(ValueError):
        cache.incr("n")
    assert cache.add("n", 10, 60) is True  # an expired entry can be replaced
    assert cache.get("n") == 10


def test_a_timeout_of_none_keeps_the_entry(cache):
    cache.set("k", "kept", None)
    assert cache.get("k") == "kept"


def test_the_dynamodb_entry_carries_its_expiry_as_the_ttl_attribute(aws_tables):
    from booklibrary import dynamodb
    from booklibrary.dynamodb_cache import DynamoDBCache

    cache = DynamoDBCache("", {})
    cache.set("k", 3, 300)
    items = aws_tables.scan(TableName=dynamodb.table_name(dynamodb.USERS))["Items"]
    [item] = [i for i in items if i["pk"]["S"].startswith("CACHE#")]
    assert abs(int(item["expires"]["N"]) - (time.time() + 300)) < 5
    ttl = aws_tables.describe_time_to_live(
        TableName=dynamodb.table_name(dynamodb.USERS)
    )["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires" and ttl["TimeToLiveStatus"] == "ENABLED"


def test_migrate_creates_the_local_cache_table(tmp_path):
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.local",
        "DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    tables = sqlite3.connect(tmp_path / "db.sqlite3").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    assert "booklibrary_cache" in {name for (name,) in tables}
