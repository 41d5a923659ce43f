"""AWS under moto for tests: the tables, and the app switched to AWS mode."""

import pytest

DYNAMO_MODE = {
    "CATALOG_BACKEND": "catalog.backends.dynamodb.DynamoCatalogBackend",
    "USER_BACKEND": "accounts.backends.dynamodb.DynamoUserBackend",
    "SESSION_ENGINE": "accounts.sessions",
    "CACHES": {"default": {"BACKEND": "booklibrary.dynamodb_cache.DynamoDBCache"}},
}


# Per process, built once: a boto3 session whose service models are loaded,
# and the empty tables as moto holds them right after CreateTable (keyed by
# where they live and their names).
_session = None
_empty_tables: dict[tuple, tuple[str, dict]] = {}


def _shared_session():
    """The boto3 session the mocks share (a new one loads its models again)."""
    global _session
    if _session is None:
        import boto3

        _session = boto3.session.Session()
    return _session


def _empty_tables_in_place() -> None:
    """Put fresh empty tables in moto's just-reset DynamoDB backend.

    The first time (per region and table names) the tables are created through
    the API and a pristine copy of moto's Table objects is kept; afterwards
    each test gets a deep copy of that: the same tables, indexes and TTL
    setting, no CreateTable calls, and nothing from an earlier test.
    """
    import copy
    import os

    from django.conf import settings
    from moto.dynamodb.models import dynamodb_backends

    from booklibrary import dynamodb

    names = tuple(dynamodb.table_name(kind) for kind in dynamodb.table_schemas())
    key = (os.environ.get("MOTO_ACCOUNT_ID"), settings.AWS_REGION, names)
    if key not in _empty_tables:
        dynamodb.create_tables()
        ((account, backend),) = [
            (account, backend)
            for account, _, backend in dynamodb_backends.iter_backends()
            if set(names) <= set(backend.tables)
        ]
        tables = {name: backend.tables[name] for name in names}
        _empty_tables[key] = (account, copy.deepcopy(tables))
        return
    account, tables = _empty_tables[key]
    backend = dynamodb_backends[account][settings.AWS_REGION]
    assert not backend.tables, "moto's DynamoDB backend was not reset"
    backend.tables.update(copy.deepcopy(tables))


@pytest.fixture
def aws_tables(monkeypatch, settings):
    """The DynamoDB tables, empty, in moto (no AWS account involved).

    A fresh ``mock_aws()`` per test: moto resets every service on start, so
    nothing (items, tables, buckets, queues) is left from an earlier test.
    """
    import boto3
    from moto import mock_aws

    from booklibrary import dynamodb

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
    }.items():
        monkeypatch.setenv(name, value)
    settings.AWS_REGION = "us-west-2"
    settings.BOOKLIBRARY_ENV = "test"
    settings.DYNAMODB_ENDPOINT_URL = ""
    with mock_aws():
        # mock_aws() empties boto3's default session for its duration (and
        # puts the previous one back when it stops); the shared one spares
        # each client the loading of its service model.
        boto3.DEFAULT_SESSION = _shared_session()
        dynamodb.client.cache_clear()
        _empty_tables_in_place()
        yield dynamodb.client()
    dynamodb.client.cache_clear()


# Tables that exist only in local mode: on AWS, accounts, sessions and the
# catalog live in DynamoDB and the SQLite file holds Django's framework tables.
LOCAL_ONLY_TABLES = ("accounts_user", "catalog_", "django_session", "django_admin_log")


def refuse_local_only_tables(execute, sql, params, many, context):
    """A query wrapper failing any SQL that AWS mode could not run."""
    lowered = sql.lower()
    for table in LOCAL_ONLY_TABLES:
        if f'"{table}' in lowered:
            raise AssertionError(f"SQL on a local-only table in AWS mode: {sql}")
    return execute(sql, params, many, context)


# The largest key values DynamoDB takes (UTF-8 bytes); an empty one is refused too.
KEY_BYTES = {"HASH": 2048, "RANGE": 1024}


def _keys_named(operation: str, params: dict):
    """(table, key) for every key a read, update or delete call names."""
    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        yield params["TableName"], params["Key"]
    elif operation == "BatchGetItem":
        for table, request in params["RequestItems"].items():
            for key in request["Keys"]:
                yield table, key
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for action in params["TransactItems"]:
            for kind in ("Get", "Update", "Delete", "ConditionCheck"):
                if kind in action:
                    yield action[kind]["TableName"], action[kind]["Key"]
    elif operation == "BatchWriteItem":
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "DeleteRequest" in request:
                    yield table, request["DeleteRequest"]["Key"]


def refuse_keys_dynamodb_refuses(params, model, **kwargs):
    """Fail a call with a key real DynamoDB refuses (moto checks only puts).

    A key over the size limit or an empty one is a ValidationException on AWS:
    a server error for whoever typed it.
    """
    from booklibrary import dynamodb

    schemas = {
        dynamodb.table_name(kind): schema["KeySchema"]
        for kind, schema in dynamodb.table_schemas().items()
    }
    for table, key in _keys_named(model.name, params):
        for part in schemas.get(table, []):
            text = key.get(part["AttributeName"], {}).get("S")
            size = None if text is None else len(text.encode())
            if size is not None and not 0 < size <= KEY_BYTES[part["KeyType"]]:
                raise AssertionError(
                    f"DynamoDB refuses this {model.name} key: "
                    f"{part['AttributeName']} of {size} bytes ({text[:40]!r})"
                )


@pytest.fixture
def dynamo_mode(aws_tables, settings):
    """Users, sessions and the catalog in DynamoDB, as on AWS (and no SQL there)."""
    from django.db import connection

    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    events = aws_tables.meta.events
    events.register("before-parameter-build.dynamodb.*", refuse_keys_dynamodb_refuses)
    with connection.execute_wrapper(refuse_local_only_tables):
        yield aws_tables
    events.unregister("before-parameter-build.dynamodb.*", refuse_keys_dynamodb_refuses)


@pytest.fixture(params=["orm", "dynamodb"])
def both_modes(request, db):
    """Run a test once on the ORM backends and once on DynamoDB (moto)."""
    if request.param == "dynamodb":
        request.getfixturevalue("dynamo_mode")
    return request.param
