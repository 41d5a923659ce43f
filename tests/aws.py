"""AWS under moto for tests: the tables, and the app switched to AWS mode."""

import pytest

DYNAMO_MODE = {
    "CATALOG_BACKEND": "catalog.backends.dynamodb.DynamoCatalogBackend",
    "USER_BACKEND": "accounts.backends.dynamodb.DynamoUserBackend",
    "SESSION_ENGINE": "accounts.sessions",
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


@pytest.fixture
def dynamo_mode(aws_tables, settings):
    """Users, sessions and the catalog in DynamoDB, as on AWS."""
    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    return aws_tables


@pytest.fixture(params=["orm", "dynamodb"])
def both_modes(request, db):
    """Run a test once on the ORM backends and once on DynamoDB (moto)."""
    if request.param == "dynamodb":
        request.getfixturevalue("dynamo_mode")
    return request.param
