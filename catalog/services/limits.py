"""The limits of a book's details, wherever they are typed, fetched or corrected."""

from typing import Any

# The limits of a book's details, wherever they are typed or fetched: the same
# as the book's own fields (authors and description: ours). The forms use these.
#
# A reader's record is one DynamoDB item of at most 400 KB (409,600 bytes), and
# its corrections, provisional values, notes and location are all in it. At
# the worst, 4 bytes of UTF-8 a character, every field at its limit:
#   notes (records.NOTES_MAX_CHARS)           50,000 chars    200,000 bytes
#   location                                     200 chars        800
#   corrections: title 500, subtitle 500, publisher 300, publish date 50,
#     language 20, description 10,000, authors 50 x 200
#                                             21,370 chars     85,480
#   provisional: title 500, subtitle 500, authors 50 x 200
#                                             11,000 chars     44,000
#   listing keys: sort title 500, sort author 600, search text 2,000
#     (backends.base.SEARCH_TEXT_MAX), two index keys of 960 bytes   14,320
#   tags (catalog.tags): 50 x 60 chars, as typed and as keys
#                                              6,000 chars     24,500
#   series (catalog.series): 10 x 100 chars with positions, corrected, and
#     as keys and names; their sort value 600, its index key 960 bytes
#                                              3,800 chars     16,160
#   two cover paths, keys, dates, status, attribute names   under 2,000
#   total                                             under 387,300 bytes
# which is 95% of the item: the rest is room to spare. records.RECORD_MAX_BYTES
# refuses, on both backends alike, any record these limits would let past.
TEXT_LIMITS = {
    "title": 500,
    "subtitle": 500,
    "publisher": 300,
    "publish_date": 50,
    "language": 20,
    "description": 10_000,
}
AUTHOR_LIMIT = 200
AUTHORS_MAX = 50
PAGES_RANGE = (1, 100_000)
# A book's subjects (on the book only, never on a record).
SUBJECTS_MAX = 200
SUBJECT_LIMIT = 300


def fit_fetched(name: str, value: Any) -> Any:
    """Cut a fetched detail to its limit: a provider's text is never refused."""
    if name in TEXT_LIMITS and isinstance(value, str):
        return value[: TEXT_LIMITS[name]].rstrip()
    if name == "authors":
        return [str(n)[:AUTHOR_LIMIT].strip() for n in value][:AUTHORS_MAX]
    if name == "subjects":
        return [str(s)[:SUBJECT_LIMIT].strip() for s in value][:SUBJECTS_MAX]
    if name == "series":
        return _fit_series(value)
    if name == "pages":
        low, high = PAGES_RANGE
        return value if isinstance(value, int) and low <= value <= high else None
    return value


def _fit_series(value: Any) -> list[dict[str, str]]:
    """Keep the fetched series a reader could have typed: names cut, ten at most."""
    from catalog import series

    kept = []
    for one in series.from_stored(value):
        name = series.tidy(
            "".join(c for c in one["name"] if c not in "|\t\x00")[
                : series.NAME_MAX_CHARS
            ]
        )
        if name:
            kept.append(series.entry(name, one["position"]))
    return series.unique(kept)[: series.MAX_SERIES]
