"""Pages of a user's books: one Query on a sort index, cursors from item keys.

Each list order is a GSI whose sort key ends with ``\\0<book_key>``, so every
position is unique. A page asks for ``limit + 1`` items: the extra one tells
whether a next page exists, and the cursor is the key of the page's last item
(not ``LastEvaluatedKey``, which DynamoDB returns whenever ``Limit`` is hit),
so the last page never links to an empty one. The page before a position is
read the same way in the other direction (``ScanIndexForward`` flipped) and
turned round; cursors carry the number of items before their page.
"""

from dataclasses import dataclass
from typing import Any

from booklibrary import cursors
from booklibrary.dynamo_utils import Item
from booklibrary.dynamodb import SORT_KEYS, STATUS_SORTS

# Orders read newest or best first.
DESCENDING = {"added", "rating"}
# With a search or a tag filter, each Query reads this many items at first,
# then more each time.
_FIRST_SEARCH_READ, _MAX_SEARCH_READ = 100, 1000
# A filtered page reads at most this many times (1,500 items), then links on
# from where it stopped: the next page reads on from there.
MAX_FILTERED_QUERIES = 3


class Listing:
    """One listing (user, status, sort, search words, tags) and how to query it.

    ``tags`` are the stored-key substrings ("|fantasy|") every listed record's
    ``tag_keys`` holds, filtered like search words; ``series`` likewise one
    ("|dune chronicles|") its ``series_keys`` holds.
    """

    def __init__(
        self,
        user_id: int,
        *,
        status: str | None,
        sort: str,
        words: list[str],
        tags: list[str] = (),
        location_key: str = "",
        series: str = "",
    ):
        self.user_id, self.status, self.sort, self.words = user_id, status, sort, words
        self.tags = list(tags)
        self.location_key = location_key
        self.series = series
        self.sort_attr = SORT_KEYS[sort]
        self.scope = (
            f"dynamodb:{user_id}:{sort}:{status or ''}:{' '.join(words)}"
            f":{''.join(self.tags)}:{location_key}:{series}"
        )

    @property
    def status_index(self) -> bool:
        """Whether the status is the index's partition (else a filter)."""
        return bool(self.status) and self.sort in STATUS_SORTS

    @property
    def filtered(self) -> bool:
        """Whether the Query filters what it reads (its Limit then counts reads)."""
        return bool(
            self.words
            or self.tags
            or self.location_key
            or self.series
            or (self.status and not self.status_index)
        )

    def _partition(self) -> tuple[str, dict[str, str]]:
        if self.status_index:
            return "user_status", {"S": f"{self.user_id}#{self.status}"}
        return "user_id", {"N": str(self.user_id)}

    def query_params(self, table: str) -> dict[str, Any]:
        """Return the Query arguments for this listing, without paging."""
        attr, value = self._partition()
        prefix = "status-by" if self.status_index else "by"
        params: dict[str, Any] = {
            "TableName": table,
            "IndexName": f"{prefix}-{self.sort}",
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": attr},
            "ExpressionAttributeValues": {":p": value},
            "ScanIndexForward": self.sort not in DESCENDING,
        }
        tests = []
        if self.words:
            tests += [f"contains(#search, :w{i})" for i in range(len(self.words))]
            params["ExpressionAttributeNames"]["#search"] = "search_text"
            params["ExpressionAttributeValues"].update(
                {f":w{i}": {"S": word} for i, word in enumerate(self.words)}
            )
        if self.tags:
            tests += [f"contains(#tags, :t{i})" for i in range(len(self.tags))]
            params["ExpressionAttributeNames"]["#tags"] = "tag_keys"
            params["ExpressionAttributeValues"].update(
                {f":t{i}": {"S": key} for i, key in enumerate(self.tags)}
            )
        if self.location_key:
            tests.append("#loc = :loc")
            params["ExpressionAttributeNames"]["#loc"] = "location_key"
            params["ExpressionAttributeValues"][":loc"] = {"S": self.location_key}
        if self.status and not self.status_index:
            tests.append("#status = :status")
            params["ExpressionAttributeNames"]["#status"] = "status"
            params["ExpressionAttributeValues"][":status"] = {"S": self.status}
        if self.series:
            tests.append("contains(#series, :series)")
            params["ExpressionAttributeNames"]["#series"] = "series_keys"
            params["ExpressionAttributeValues"][":series"] = {"S": self.series}
        if tests:
            params["FilterExpression"] = " AND ".join(tests)
        return params

    def cursor_for(self, item: Item, *, backwards: bool = False, offset: int) -> str:
        """Return the signed cursor that reads on from ``item`` (or back from it)."""
        position = [item["book_key"]["S"], item[self.sort_attr]["S"]]
        return cursors.encode_page(
            position, scope=self.scope, backwards=backwards, offset=offset
        )

    def start_key(self, position: Any) -> Item:
        """Return the start key at a cursor's position, or raise InvalidCursor."""
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


@dataclass
class RawPage:
    """One page's record items and the cursors beside it (see ``Page``)."""

    items: list[Item]
    next_cursor: str | None
    prev_cursor: str | None
    offset: int


def _read(
    client: Any,
    params: dict[str, Any],
    listing: Listing,
    start: Item | None,
    wanted: int,
) -> tuple[list[Item], Item | None]:
    """Read up to ``wanted`` matching items from ``start`` in the params' direction.

    Returns the items and, when a filtered listing stopped at its bound of
    ``MAX_FILTERED_QUERIES`` calls before finding them all, the key to read on
    from (else None): a page costs the same few calls whatever the library.
    """
    read_size = _FIRST_SEARCH_READ
    items: list[Item] = []
    calls = 0
    while True:
        if listing.filtered:
            # Limit counts items read, before the filter: read in growing steps.
            params["Limit"] = max(read_size, wanted - len(items))
            read_size = min(read_size * 4, _MAX_SEARCH_READ)
        else:
            params["Limit"] = wanted - len(items)
        if start:
            params["ExclusiveStartKey"] = start
        answer = client.query(**params)
        calls += 1
        items += answer.get("Items", [])
        start = answer.get("LastEvaluatedKey")
        if len(items) >= wanted or not start:
            return items[:wanted], None
        if calls >= MAX_FILTERED_QUERIES:
            return items, start


def read_page(
    client: Any, table: str, listing: Listing, *, cursor: str | None, limit: int
) -> RawPage:
    """Return up to ``limit`` items of the listing and the cursors beside them."""
    params = listing.query_params(table)
    at = cursors.decode_page(cursor, scope=listing.scope) if cursor else None
    backwards = bool(at and at.backwards)
    if backwards:
        params["ScanIndexForward"] = not params["ScanIndexForward"]
    start = listing.start_key(at.at) if at else None
    items, resume = _read(client, params, listing, start, limit + 1)
    more, items = len(items) > limit, items[:limit]
    if backwards:
        items.reverse()
        offset = max(at.offset - len(items), 0) if more or resume else 0
        older, newer = more or resume is not None, True
    else:
        offset = at.offset if at else 0
        older, newer = at is not None, more or resume is not None
    # Where the listing goes on past each end: from the item at that end, or
    # from where a bounded read stopped (which is then past that end).
    first = items[0] if items else None
    last = items[-1] if items else None
    if resume is not None and not more:
        if backwards:
            first = resume
        else:
            last = resume
    return RawPage(
        items,
        listing.cursor_for(last, offset=offset + len(items))
        if newer and last
        else None,
        listing.cursor_for(first, backwards=True, offset=offset)
        if older and first
        else None,
        offset,
    )
