"""AWS under moto for tests: the tables, and the app switched to AWS mode."""

import pytest

DYNAMO_MODE = {
    "CATALOG_BACKEND": "catalog.backends.dynamodb.DynamoCatalogBackend",
    "USER_BACKEND": "accounts.backends.dynamodb.DynamoUserBackend",
    "SESSION_ENGINE": "accounts.sessions",
    "CACHES": {"default": {"BACKEND": "booklibrary.dynamodb_cache.DynamoDBCache"}},
}


@pytest.fixture
def aws_tables(monkeypatch, settings):
    """The three DynamoDB tables, created in moto (no AWS account involved)."""
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
        dynamodb.client.cache_clear()
        dynamodb.create_tables()
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


@pytest.fixture
def dynamo_mode(aws_tables, settings):
    """Users, sessions and the catalog in DynamoDB, as on AWS (and no SQL there)."""
    from django.db import connection

    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    with connection.execute_wrapper(refuse_local_only_tables):
        yield aws_tables


@pytest.fixture(params=["orm", "dynamodb"])
def both_modes(request, db):
    """Run a test once on the ORM backends and once on DynamoDB (moto)."""
    if request.param == "dynamodb":
        request.getfixturevalue("dynamo_mode")
    return request.param
