"""A stack update adds a table's new index (by-series) one at a time."""

import re
from pathlib import Path

import pytest

from booklibrary import dynamodb
from infra.deploy.common import DeployError
from infra.deploy.stack import check_index_changes, table_indexes

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "cloudformation.yaml"


def _without_series(text: str) -> str:
    """The template as deployed before series: no by-series index."""
    text = text.replace("        - {AttributeName: series_sk, AttributeType: S}\n", "")
    return re.sub(r"        - IndexName: by-series\n(          .*\n){4}", "", text)


def test_the_template_names_every_tables_indexes():
    indexes = table_indexes(TEMPLATE.read_text(encoding="utf-8"))
    wanted = {
        g["IndexName"]
        for g in dynamodb.table_schemas()[dynamodb.USERBOOKS]["GlobalSecondaryIndexes"]
    }
    assert indexes["UserBooksTable"] == wanted
    assert "by-series" in wanted and "status-by-series" not in wanted
    assert indexes["BooksTable"] == {"pending"}
    assert set(indexes) == {"UsersTable", "BooksTable", "LoansTable", "UserBooksTable"}


def test_a_deployment_from_before_series_gets_its_one_new_index():
    text = TEMPLATE.read_text(encoding="utf-8")
    before = _without_series(text)
    assert "IndexName: by-series" not in before and "series_sk" not in before
    assert table_indexes(text)["UserBooksTable"] - table_indexes(before)[
        "UserBooksTable"
    ] == {"by-series"}
    check_index_changes(before, text)  # one index: CloudFormation can apply it
    check_index_changes(text, text)


def test_an_update_adding_two_indexes_to_a_table_is_refused():
    text = TEMPLATE.read_text(encoding="utf-8")
    block = (
        "        - IndexName: status-by-series\n"
        "          KeySchema:\n"
        "            - {AttributeName: user_status, KeyType: HASH}\n"
        "            - {AttributeName: series_sk, KeyType: RANGE}\n"
        "          Projection: {ProjectionType: ALL}\n"
    )
    two = text.replace(
        "        # A book's owners.\n", block + "        # A book's owners.\n"
    )
    assert "status-by-series" in table_indexes(two)["UserBooksTable"]
    with pytest.raises(DeployError, match="changes 2 indexes of UserBooksTable"):
        check_index_changes(_without_series(text), two)
