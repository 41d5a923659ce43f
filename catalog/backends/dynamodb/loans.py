"""Loans in DynamoDB: the Loans table (see ``booklibrary.dynamodb``).

Access patterns, none of them a Scan:

* lend: PutItem ``<book key>#~OPEN`` with ``attribute_not_exists``: a second
  open loan of the same record is refused atomically (then one GetItem reads
  the loan in the way, to name its borrower);
* the open loan of one record: GetItem; of a page of records: one BatchGetItem;
* a record's history: one Query, ``begins_with(loan_sk, <book key>#)``;
* every loan of a user's (the export): one Query of their partition, paged;
* open loans one way, by due date: one Query of the sparse ``open-by-due`` GSI;
* the daily reminders: Queries of the sparse ``loans-due`` GSI up to a day,
  then per loan one conditional UpdateItem of ``reminded_on``;
* return: one TransactWriteItems deleting the open item (if still the same
  loan) and putting the returned one under ``<book key>#<created>#<id>``;
* a user's account going: one Query of their partition, then batch deletes;
* the admin's listing: a Scan (never a request path).
"""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from booklibrary import dynamodb
from booklibrary.dynamo_utils import (
    Item,
    batch_delete,
    batch_get,
    cancellation_codes,
    check_item_size,
    error_code,
    scan_all,
    transact_write,
)
from catalog.backends.base import LoanAlreadyOpen
from catalog.backends.dynamodb.items import _decode_fields, _encode_model, _fields
from catalog.models import Loan

OPEN_SUFFIX = "#~OPEN"
# A lend that races a return is tried this many times.
_ATTEMPTS = 3
# Sorts after every due date: loans with none come last.
NO_DUE = "9999-12-31"


def loans_table() -> str:
    return dynamodb.table_name(dynamodb.LOANS)


def open_sk(book_key: str) -> str:
    return f"{book_key}{OPEN_SUFFIX}"


def closed_sk(loan: Loan) -> str:
    return f"{loan.book_key}#{loan.created_at.isoformat()}#{loan.pk}"


def loan_key(user_id: int, sk: str) -> Item:
    return {"user_id": {"N": str(user_id)}, "loan_sk": {"S": sk}}


def loan_to_item(loan: Loan) -> Item:
    """Return the loan's item: open ones carry the ``open-by-due`` keys."""
    item = _encode_model(loan, _fields(Loan, {"user"}))
    if loan.is_open:
        item["loan_sk"] = {"S": open_sk(loan.book_key)}
        due = loan.due_on.isoformat() if loan.due_on else NO_DUE
        item[dynamodb.OPEN_LOANS_PARTITION] = {"S": f"{loan.user_id}#{loan.direction}"}
        item[dynamodb.OPEN_LOANS_SORT] = {
            "S": f"{due}#{loan.lent_on.isoformat()}#{loan.book_key}"
        }
        if loan.due_on:
            item[dynamodb.LOANS_DUE_PARTITION] = {"S": dynamodb.LOANS_DUE_VALUE}
            item[dynamodb.LOANS_DUE_SORT] = {
                "S": f"{due}#{loan.user_id}#{loan.book_key}"
            }
    else:
        item["loan_sk"] = {"S": closed_sk(loan)}
    item["user_id"] = {"N": str(loan.user_id)}
    return item


def loan_from_item(item: Item, user: Any = None) -> Loan:
    loan = Loan(
        user_id=int(item["user_id"]["N"]),
        **_decode_fields(item, _fields(Loan, {"user"})),
    )
    if user is not None and user.pk == loan.user_id:
        loan.user = user
    loan._state.adding = False
    return loan


class DynamoLoans:
    """Mixed into the DynamoDB catalog backend."""

    def add_loan(self, user: Any, loan: Loan) -> Loan:
        loan.user = user
        item = loan_to_item(loan)
        check_item_size(item, what="This loan")
        for _ in range(_ATTEMPTS):
            try:
                dynamodb.client().put_item(
                    TableName=loans_table(),
                    Item=item,
                    ConditionExpression="attribute_not_exists(user_id)",
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                existing = self.open_loan(user, loan.book_key)
                if existing is not None:
                    raise LoanAlreadyOpen(existing) from None
                continue  # returned between the write and the read: again
            loan._state.adding = False
            return loan
        raise LoanAlreadyOpen(self.open_loan(user, loan.book_key) or loan)

    def open_loan(self, user: Any, key: str) -> Loan | None:
        answer = dynamodb.client().get_item(
            TableName=loans_table(),
            Key=loan_key(user.pk, open_sk(key)),
            ConsistentRead=True,
        )
        return loan_from_item(answer["Item"], user) if "Item" in answer else None

    def open_loans_for_keys(self, user: Any, keys: list[str]) -> dict[str, Loan]:
        if not keys:
            return {}
        table = loans_table()
        found = batch_get(
            dynamodb.client(),
            {table: [loan_key(user.pk, open_sk(k)) for k in dict.fromkeys(keys)]},
        )[table]
        loans = (loan_from_item(item, user) for item in found)
        return {loan.book_key: loan for loan in loans}

    def loans_for_book(self, user: Any, key: str) -> list[Loan]:
        client, loans = dynamodb.client(), []
        params = {
            "TableName": loans_table(),
            "KeyConditionExpression": "user_id = :u AND begins_with(loan_sk, :p)",
            "ExpressionAttributeValues": {
                ":u": {"N": str(user.pk)},
                ":p": {"S": f"{key}#"},
            },
            "ConsistentRead": True,
        }
        while True:
            answer = client.query(**params)
            loans += [loan_from_item(item, user) for item in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        loans.sort(key=lambda loan: (loan.created_at, loan.pk), reverse=True)
        return loans

    def loans_for_user(self, user: Any) -> Iterator[Loan]:
        """One Query of the user's partition, a page at a time, by book key.

        Within a book the returned loans come by age (their sort key holds the
        time made), the open one last.
        """
        params: dict[str, Any] = {
            "TableName": loans_table(),
            "KeyConditionExpression": "user_id = :u",
            "ExpressionAttributeValues": {":u": {"N": str(user.pk)}},
        }
        client = dynamodb.client()
        while True:
            answer = client.query(**params)
            for item in answer["Items"]:
                yield loan_from_item(item, user)
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def open_loans(self, user: Any, direction: str, limit: int) -> list[Loan]:
        answer = dynamodb.client().query(
            TableName=loans_table(),
            IndexName=dynamodb.OPEN_LOANS_INDEX,
            KeyConditionExpression="#p = :p",
            ExpressionAttributeNames={"#p": dynamodb.OPEN_LOANS_PARTITION},
            ExpressionAttributeValues={":p": {"S": f"{user.pk}#{direction}"}},
            Limit=limit,
        )
        return [loan_from_item(item, user) for item in answer["Items"]]

    def return_loan(self, user: Any, key: str, returned_on: date) -> Loan:
        loan = self.open_loan(user, key)
        if loan is None:
            raise Loan.DoesNotExist("This book is not on loan.")
        loan.returned_on = returned_on
        actions = [
            {
                "Delete": {
                    "TableName": loans_table(),
                    "Key": loan_key(user.pk, open_sk(key)),
                    # Still the loan read: one returned twice is returned once.
                    "ConditionExpression": "#id = :id",
                    "ExpressionAttributeNames": {"#id": "id"},
                    "ExpressionAttributeValues": {":id": {"S": loan.pk}},
                }
            },
            {"Put": {"TableName": loans_table(), "Item": loan_to_item(loan)}},
        ]
        try:
            transact_write(dynamodb.client(), actions)
        except ClientError as exc:
            if not cancellation_codes(exc):
                raise
            raise Loan.DoesNotExist("This book is not on loan.") from None
        return loan

    def all_loans(self) -> list[Loan]:
        """Every loan: a Scan, for the admin's listing only."""
        items = scan_all(dynamodb.client(), TableName=loans_table())
        loans = [loan_from_item(item) for item in items]
        loans.sort(key=lambda loan: (loan.created_at, loan.pk), reverse=True)
        return loans

    def remove_all_for_user(self, user: Any) -> int:
        """The records (``super()``), then the loans: a Query of their partition."""
        removed = super().remove_all_for_user(user)
        client = dynamodb.client()
        paginator = client.get_paginator("query")
        keys = [
            loan_key(user.pk, item["loan_sk"]["S"])
            for page in paginator.paginate(
                TableName=loans_table(),
                KeyConditionExpression="user_id = :u",
                ExpressionAttributeValues={":u": {"N": str(user.pk)}},
                ProjectionExpression="loan_sk",
                ConsistentRead=True,
            )
            for item in page.get("Items", [])
        ]
        batch_delete(client, loans_table(), keys)
        return removed

    def loans_due(self, due_by: date) -> Iterator[Loan]:
        """Query ``loans-due`` up to the day (a page at a time)."""
        client = dynamodb.client()
        after = (due_by + timedelta(days=1)).isoformat()
        params: dict[str, Any] = {
            "TableName": loans_table(),
            "IndexName": dynamodb.LOANS_DUE_INDEX,
            "KeyConditionExpression": "#p = :p AND #s < :after",
            "ExpressionAttributeNames": {
                "#p": dynamodb.LOANS_DUE_PARTITION,
                "#s": dynamodb.LOANS_DUE_SORT,
            },
            "ExpressionAttributeValues": {
                ":p": {"S": dynamodb.LOANS_DUE_VALUE},
                ":after": {"S": after},
            },
        }
        while True:
            answer = client.query(**params)
            for item in answer["Items"]:
                yield loan_from_item(item)
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def claim_reminder(self, loan: Loan, day: date) -> bool:
        """One conditional UpdateItem: still this open loan, not reminded today."""
        try:
            dynamodb.client().update_item(
                TableName=loans_table(),
                Key=loan_key(loan.user_id, open_sk(loan.book_key)),
                UpdateExpression="SET reminded_on = :day",
                ConditionExpression=(
                    "#id = :id AND (attribute_not_exists(reminded_on) "
                    "OR reminded_on < :day)"
                ),
                ExpressionAttributeNames={"#id": "id"},
                ExpressionAttributeValues={
                    ":id": {"S": loan.pk},
                    ":day": {"S": day.isoformat()},
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        loan.reminded_on = day
        return True

    def update_loan(self, user: Any, loan: Loan, names: list[str]) -> Loan:
        """One conditional UpdateItem of the open item, else of the returned one."""
        loan.user_id = user.pk
        item = loan_to_item(loan)
        index_keys = (
            dynamodb.OPEN_LOANS_SORT,
            dynamodb.LOANS_DUE_PARTITION,
            dynamodb.LOANS_DUE_SORT,
        )
        sets = [n for n in names if n in item]
        removes = [n for n in names if n not in item]
        if loan.is_open and "due_on" in names:
            sets += [n for n in index_keys if n in item]
            removes += [n for n in index_keys if n not in item]
        attrs = [*sets, *removes]
        names_map = {f"#a{i}": a for i, a in enumerate(attrs)} | {"#id": "id"}
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(sets)))
        if removes:
            expression += " REMOVE " + ", ".join(
                f"#a{i}" for i in range(len(sets), len(attrs))
            )
        values = {f":a{i}": item[a] for i, a in enumerate(sets)}
        values[":id"] = {"S": loan.pk}
        for sk in (open_sk(loan.book_key), closed_sk(loan)):
            try:
                answer = dynamodb.client().update_item(
                    TableName=loans_table(),
                    Key=loan_key(user.pk, sk),
                    UpdateExpression=expression,
                    ConditionExpression="#id = :id",
                    ExpressionAttributeNames=names_map,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                continue
            return loan_from_item(answer["Attributes"], user)
        raise Loan.DoesNotExist("This loan is gone.")
