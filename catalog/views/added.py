"""What the add pages say about the books just added: their names when known."""

from collections.abc import Sequence

from catalog.models import UserBook

ON_THEIR_WAY = "its title and cover are on their way"
NAMED_IN_A_LIST = 2


def _title(record: UserBook) -> str:
    """The title the reader sees (with their corrections), or "" while unknown."""
    return record.shown.title or ""


def _isbn(record: UserBook) -> str:
    return f"ISBN {record.shown.book.isbn13}"


def _unknown_tail(record: UserBook) -> str:
    if record.shown.book.is_pending:
        return f"; {ON_THEIR_WAY}."
    return "; no title is known for it yet, so you can type it on its page."


def added(record: UserBook) -> str:
    """The message for one book added."""
    title = _title(record)
    if title:
        return f"Added “{title}” to your library."
    return f"Added {_isbn(record)} to your library{_unknown_tail(record)}"


def already(record: UserBook) -> str:
    """The message for one book the reader already has."""
    title = _title(record)
    if title:
        return f"“{title}” is already in your library."
    return f"{_isbn(record)} is already in your library{_unknown_tail(record)}"


def _listing(names: list[str], total: int) -> str:
    """ "Dune, Emma and 1 more": the first names, then how many others."""
    shown = names[:NAMED_IN_A_LIST]
    rest = total - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def added_many(records: Sequence[UserBook]) -> str:
    """The message for the books added at once."""
    if len(records) == 1:
        return added(records[0])
    names = [f"“{t}”" for t in map(_title, records) if t]
    if not names:
        return (
            f"Added {len(records)} books to your library; "
            "their titles and covers are on their way."
        )
    return (
        f"Added {len(records)} books to your library: {_listing(names, len(records))}."
    )


def already_many(records: Sequence[UserBook]) -> str:
    """The message for the books posted that the reader already has."""
    if len(records) == 1:
        return already(records[0])
    names = [f"“{_title(r)}”" if _title(r) else _isbn(r) for r in records]
    return f"Already in your library: {_listing(names, len(names))}."
