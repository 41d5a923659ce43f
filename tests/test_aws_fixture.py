"""The AWS fixture: each test gets the full tables, empty, and nothing of another test.

The tables are copied in from a pristine set rather than created per test, so
these check what a test may rely on: every table with its key schema, indexes
and TTL, no item, and no table, index, bucket or queue a previous test made.
Both parameters run the same checks, then leave a mess behind: whichever runs
second fails if anything of the first one survives.
"""

import boto3
import pytest

from booklibrary import dynamodb


def _index_names(description: dict) -> set[str]:
    return {
        index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])
    }


@pytest.mark.parametrize("turn", ["first", "second"])
def test_every_test_starts_with_the_empty_tables_and_nothing_else(aws_tables, turn):
    client = aws_tables
    names = {dynamodb.table_name(kind): kind for kind in dynamodb.table_schemas()}
    assert set(client.list_tables()["TableNames"]) == set(names)
    for name, kind in names.items():
        schema = dynamodb.table_schemas()[kind]
        table = client.describe_table(TableName=name)["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["KeySchema"] == schema["KeySchema"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert _index_names(table) == _index_names(schema)
        assert client.scan(TableName=name, Select="COUNT")["Count"] == 0
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if kind in dynamodb.TTL_ATTRIBUTES:
            assert ttl == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": dynamodb.TTL_ATTRIBUTES[kind],
            }
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"
    s3 = boto3.client("s3", region_name="us-west-2")
    sqs = boto3.client("sqs", region_name="us-west-2")
    assert s3.list_buckets()["Buckets"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []

    # The mess a test may leave: items, a changed and a dropped table, an
    # extra table, a bucket and a queue.
    users, books = (
        dynamodb.table_name(dynamodb.USERS),
        dynamodb.table_name(dynamodb.BOOKS),
    )
    client.put_item(TableName=users, Item={"pk": {"S": f"USER#{turn}"}})
    client.update_table(
        TableName=users,
        GlobalSecondaryIndexUpdates=[
            {"Delete": {"IndexName": dynamodb.REMOVALS_INDEX}}
        ],
    )
    client.delete_table(TableName=books)
    client.create_table(
        TableName=f"Stray-{turn}",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(
        Bucket=f"stray-{turn}",
        CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
    )
    sqs.create_queue(QueueName=f"stray-{turn}")
    assert client.scan(TableName=users, Select="COUNT")["Count"] == 1
    assert _index_names(client.describe_table(TableName=users)["Table"]) == set()


@pytest.mark.django_db
def test_dynamo_mode_fails_any_sql_on_a_local_only_table(dynamo_mode):
    from catalog.models import Book

    with pytest.raises(AssertionError, match="SQL on a local-only table"):
        Book.objects.count()


def test_dynamo_mode_fails_a_key_dynamodb_would_refuse(dynamo_mode):
    users = dynamodb.table_name(dynamodb.USERS)
    for key in ("", "x" * 2049):
        with pytest.raises(AssertionError, match="DynamoDB refuses this GetItem key"):
            dynamo_mode.get_item(TableName=users, Key={"pk": {"S": key}})
    assert "Item" not in dynamo_mode.get_item(
        TableName=users, Key={"pk": {"S": "x" * 2048}}
    )
