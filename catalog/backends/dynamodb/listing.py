"""Pages of a user's books: one Query on a sort index, cursors from item keys.

Each list order is a GSI whose sort key ends with ``\\0<book_key>``, so every
position is unique. A page asks for ``limit + 1`` items: the extra one tells
whether a next page exists, and the cursor is the key of the page's last item
(not ``LastEvaluatedKey``, which DynamoDB returns whenever ``Limit`` is hit),
so the last page never links to an empty one.
"""

from typing import Any

from booklibrary import cursors
from booklibrary.dynamo_utils import Item
from booklibrary.dynamodb import SORT_KEYS

# Orders read newest or best first.
DESCENDING = {"added", "rating"}
# With a search, each Query reads this many items at first, then more each time.
_FIRST_SEARCH_READ, _MAX_SEARCH_READ = 100, 1000


class Listing:
    """One listing (user, status, sort, search words) and how to query it."""

    def __init__(
        self, user_id: int, *, status: str | None, sort: str, words: list[str]
    ):
        self.user_id, self.status, self.sort, self.words = user_id, status, sort, words
        self.sort_attr = SORT_KEYS[sort]
        self.scope = f"dynamodb:{user_id}:{sort}:{status or ''}:{' '.join(words)}"

    def _partition(self) -> tuple[str, dict[str, str]]:
        if self.status:
            return "user_status", {"S": f"{self.user_id}#{self.status}"}
        return "user_id", {"N": str(self.user_id)}

    def query_params(self, table: str) -> dict[str, Any]:
        """Return the Query arguments for this listing, without paging."""
        attr, value = self._partition()
        prefix = "status-by" if self.status else "by"
        params: dict[str, Any] = {
            "TableName": table,
            "IndexName": f"{prefix}-{self.sort}",
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": attr},
            "ExpressionAttributeValues": {":p": value},
            "ScanIndexForward": self.sort not in DESCENDING,
        }
        if self.words:
            params["FilterExpression"] = " AND ".join(
                f"contains(#search, :w{i})" for i in range(len(self.words))
            )
            params["ExpressionAttributeNames"]["#search"] = "search_text"
            params["ExpressionAttributeValues"].update(
                {f":w{i}": {"S": word} for i, word in enumerate(self.words)}
            )
        return params

    def cursor_for(self, item: Item) -> str:
        """Return the signed cursor that resumes after ``item``."""
        position = [item["book_key"]["S"], item[self.sort_attr]["S"]]
        return cursors.encode(position, scope=self.scope)

    def start_key(self, cursor: str) -> Item:
        """Return the ExclusiveStartKey inside a cursor, or raise InvalidCursor."""
        position = cursors.decode(cursor, scope=self.scope)
        if not (
            isinstance(position, list)
            and len(position) == 2
            and all(isinstance(p, str) and p for p in position)
        ):
            raise cursors.InvalidCursor("This page link is not valid.")
        key, sort_value = position
        attr, value = self._partition()
        return {
            "user_id": {"N": str(self.user_id)},
            "book_key": {"S": key},
            attr: value,
            self.sort_attr: {"S": sort_value},
        }


def read_page(
    client: Any, table: str, listing: Listing, *, cursor: str | None, limit: int
) -> tuple[list[Item], str | None]:
    """Return up to ``limit`` items of the listing and the next page's cursor."""
    params = listing.query_params(table)
    start = listing.start_key(cursor) if cursor else None
    wanted, read_size = limit + 1, _FIRST_SEARCH_READ
    items: list[Item] = []
    while True:
        if listing.words:
            # Limit counts items read, before the filter: read in growing steps.
            params["Limit"] = max(read_size, wanted - len(items))
            read_size = min(read_size * 4, _MAX_SEARCH_READ)
        else:
            params["Limit"] = wanted - len(items)
        if start:
            params["ExclusiveStartKey"] = start
        answer = client.query(**params)
        items += answer.get("Items", [])
        start = answer.get("LastEvaluatedKey")
        if len(items) >= wanted or not start:
            break
    if len(items) > limit:
        return items[:limit], listing.cursor_for(items[limit - 1])
    return items, None
