"""Helpers for the low-level DynamoDB client shared by every AWS-mode backend.

DynamoDB refuses requests past its limits (100 keys per BatchGetItem, 25 puts
per BatchWriteItem, 100 actions per TransactWriteItems, 400 KB per item) and
may leave part of a batch unprocessed; moto enforces little of this, so these
helpers check the limits before calling AWS and retry what was left over.
"""

import time
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25
MAX_TRANSACT_ITEMS = 100
MAX_ITEM_BYTES = 400 * 1024
# Unprocessed keys/items are retried this many times, backing off exponentially.
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.05

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, dict[str, Any]]


class ItemTooLarge(ValueError):
    """An item would exceed DynamoDB's 400 KB limit; nothing was written."""


class RequestTooLarge(ValueError):
    """A request would exceed a DynamoDB limit that cannot be split safely."""


class UnprocessedError(RuntimeError):
    """DynamoDB kept leaving part of a batch unprocessed after every retry."""


def chunked[T](values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of ``values`` holding at most ``size`` entries."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def backoff(attempt: int) -> None:
    """Sleep before retry number ``attempt`` (1, 2, ...), doubling each time."""
    time.sleep(min(BACKOFF_SECONDS * 2 ** (attempt - 1), 2.0))


def _native(value: Any) -> Any:
    """Return ``value`` with floats as Decimals, which TypeSerializer requires."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_native(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Return a deserialised value with Decimals as ints or floats (JSON-like)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def to_attribute(value: Any) -> dict[str, Any]:
    """Return the typed attribute value (``{"S": ...}`` etc.) for a Python value."""
    return _serializer.serialize(_native(value))


def from_attribute(value: dict[str, Any], *, plain: bool = False) -> Any:
    """Return the Python value of a typed attribute (JSON-like if ``plain``)."""
    native = _deserializer.deserialize(value)
    return _plain(native) if plain else native


def to_item(values: dict[str, Any]) -> Item:
    """Return a typed item for a dict of Python values, leaving out ``None``s."""
    return {k: to_attribute(v) for k, v in values.items() if v is not None}


def from_item(item: Item) -> dict[str, Any]:
    """Return the Python values of a typed item."""
    return {k: from_attribute(v) for k, v in item.items()}


def _value_size(value: dict[str, Any]) -> int:
    """Estimate the stored size of one typed value, per AWS's sizing rules."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(inner)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if kind in {"SS", "BS"}:
        return sum(len(v.encode() if kind == "SS" else v) for v in inner)
    if kind == "NS":
        return sum(_value_size({"N": v}) for v in inner)
    raise ValueError(f"Unknown DynamoDB type {kind!r}.")


def item_size(item: Item) -> int:
    """Estimate the size DynamoDB counts for a typed item, in bytes."""
    return sum(len(name.encode()) + _value_size(v) for name, v in item.items())


def check_item_size(item: Item, *, what: str = "This item") -> None:
    """Raise ``ItemTooLarge`` if the item would exceed the 400 KB limit."""
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise ItemTooLarge(
            f"{what} is too large to store ({size // 1024} KB; the limit is "
            f"{MAX_ITEM_BYTES // 1024} KB). Shorten its longest text, such as "
            "the description or the notes."
        )


def batch_get(
    client: Any,
    requests: dict[str, list[Item]],
    *,
    consistent: bool = False,
    attributes: Sequence[str] = (),
) -> dict[str, list[Item]]:
    """Fetch keys from one or more tables: 100 keys a call, unprocessed retried.

    With ``attributes``, only those attributes of each item are read.
    """
    found: dict[str, list[Item]] = {table: [] for table in requests}
    pending = [(table, key) for table, keys in requests.items() for key in keys]
    projection: dict[str, Any] = {}
    if attributes:
        names = {f"#p{i}": name for i, name in enumerate(attributes)}
        projection = {
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
        }
    for chunk in chunked(pending, MAX_BATCH_GET):
        request: dict[str, dict[str, Any]] = {}
        for table, key in chunk:
            entry = request.setdefault(
                table, {"Keys": [], "ConsistentRead": consistent, **projection}
            )
            entry["Keys"].append(key)
        attempt = 0
        while request:
            answer = client.batch_get_item(RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                found[table].extend(items)
            request = answer.get("UnprocessedKeys") or {}
            if request:
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    raise UnprocessedError("DynamoDB is too busy to read; try again.")
                backoff(attempt)
    return found


def batch_put(client: Any, table: str, items: Iterable[Item]) -> None:
    """Put items into one table: 25 a call, sizes checked, unprocessed retried."""
    items = list(items)
    for item in items:
        check_item_size(item)
    _batch_write(client, table, [{"PutRequest": {"Item": item}} for item in items])


def batch_delete(client: Any, table: str, keys: Iterable[Item]) -> None:
    """Delete items from one table by key: 25 a call, unprocessed retried."""
    _batch_write(client, table, [{"DeleteRequest": {"Key": key}} for key in keys])


def _batch_write(client: Any, table: str, writes: list[dict[str, Any]]) -> None:
    for chunk in chunked(writes, MAX_BATCH_WRITE):
        request = {table: list(chunk)}
        attempt = 0
        while request:
            answer = client.batch_write_item(RequestItems=request)
            request = answer.get("UnprocessedItems") or {}
            if request:
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    raise UnprocessedError("DynamoDB is too busy to write; try again.")
                backoff(attempt)


def scan_all(client: Any, **kwargs: Any) -> Iterator[Item]:
    """Yield every item a Scan returns, page after page.

    For the admin's listings and the migration's checks only: request paths
    use keys and indexes, never a Scan.
    """
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(**kwargs):
        yield from page.get("Items", [])


def transact_write(client: Any, actions: list[dict[str, Any]]) -> None:
    """Run TransactWriteItems after checking the action count and item sizes."""
    if len(actions) > MAX_TRANSACT_ITEMS:
        raise RequestTooLarge(
            f"A transaction holds at most {MAX_TRANSACT_ITEMS} actions, "
            f"not {len(actions)}."
        )
    for action in actions:
        if "Put" in action:
            check_item_size(action["Put"]["Item"])
    client.transact_write_items(TransactItems=actions)


def error_code(exc: ClientError) -> str:
    """Return the error code of a client error."""
    return exc.response.get("Error", {}).get("Code", "")


def cancellation_codes(exc: ClientError) -> list[str]:
    """Return each action's reason code from a ``TransactionCanceledException``."""
    reasons = exc.response.get("CancellationReasons") or []
    return [reason.get("Code") or "None" for reason in reasons]
