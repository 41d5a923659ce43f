"""A record at every field's limit is stored, or refused with a message, alike."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from booklibrary import dynamo_utils
from catalog import records, services
from catalog.backends.base import SEARCH_TEXT_MAX, record_listing_fields
from catalog.models import UserBook
from catalog.services.limits import AUTHOR_LIMIT, AUTHORS_MAX, TEXT_LIMITS
from tests.factories import UserBookFactory, isbn13_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

WIDE = "\U0001d538"  # 4 bytes of UTF-8, one character
TOO_LARGE = "This record is too large to store: shorten the notes."


def _stored(user, key: str) -> UserBook:
    return UserBook.objects.get_for_user(user, key)


def _details(limits: dict[str, int], author_limit: int) -> dict:
    details = {name: WIDE * limit for name, limit in limits.items()}
    return {**details, "pages": 100_000, "authors": [WIDE * author_limit] * AUTHORS_MAX}


def _correct(user, record: UserBook, corrections: dict) -> UserBook:
    return services.userbook_correct(
        user=user,
        book_key=record.book_id,
        version=record.version,
        loaded=record.corrections,
        corrections=corrections,
    ).record


def _notes(user, record: UserBook, notes: str) -> UserBook:
    return services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=record.version,
        changes={"notes": notes, "location": WIDE * records.LOCATION_MAX_CHARS},
    )


def _largest_record(user) -> UserBook:
    """Every field at its limit in 4-byte characters: provisional values too."""
    isbn = isbn13_for(777001)
    provisional = {
        "title": WIDE * TEXT_LIMITS["title"],
        "subtitle": WIDE * TEXT_LIMITS["subtitle"],
        "authors": [WIDE * AUTHOR_LIMIT] * AUTHORS_MAX,
    }
    services.userbook_add_many(user=user, isbns=[isbn], shown={isbn: provisional})
    record = _stored(user, isbn)
    record = _correct(user, record, _details(TEXT_LIMITS, AUTHOR_LIMIT))
    return _notes(user, record, WIDE * records.NOTES_MAX_CHARS)


def test_the_largest_record_the_limits_allow_is_stored(user, both_modes):
    record = _largest_record(user)
    stored = _stored(user, record.book_id)
    assert len(stored.notes) == records.NOTES_MAX_CHARS
    assert stored.corrections["description"] == WIDE * TEXT_LIMITS["description"]
    assert len(stored.provisional["authors"]) == AUTHORS_MAX
    assert len(stored.search_text) <= SEARCH_TEXT_MAX
    if both_modes == "dynamodb":
        from catalog.backends.dynamodb.items import userbook_to_item

        size = dynamo_utils.item_size(userbook_to_item(stored))
        # The worst case added up next to TEXT_LIMITS: under 346,600 bytes.
        assert 300_000 < size < 346_600 < dynamo_utils.MAX_ITEM_BYTES


def test_search_text_is_capped_and_still_finds_title_author_and_isbn(user):
    record = UserBookFactory(user=user)
    authors = [f"Octavia{n} " + "x" * 180 for n in range(AUTHORS_MAX)]
    corrections = {"title": "Kindred " * 60, "authors": authors}
    key = _correct(user, record, corrections).book_id
    assert len(record_listing_fields(_stored(user, key))["search_text"]) <= 2_000
    assert len(_stored(user, key).search_text) <= SEARCH_TEXT_MAX
    for query in ("kindred", "octavia0", key):
        page = UserBook.objects.page_for_user(user, query=query)
        assert [r.book_id for r in page.items] == [key], query


def test_details_past_the_limits_are_refused_with_a_message_not_stored(user):
    record = UserBookFactory(user=user)
    record = _notes(user, record, WIDE * records.NOTES_MAX_CHARS)
    # What the corrections allowed before the record's total was added up.
    old = {**TEXT_LIMITS, "description": 20_000}
    with pytest.raises(ValidationError) as refused:
        _correct(user, record, _details(old, 300))
    assert set(refused.value.message_dict) == {"description", "authors"}
    assert _stored(user, record.book_id).corrections == {}


def test_a_correction_form_past_the_limits_is_a_message_not_an_error(user, user_client):
    record = UserBookFactory(user=user)
    record = _notes(user, record, WIDE * records.NOTES_MAX_CHARS)
    url = reverse("catalog:book-correct", kwargs={"key": record.book_id})
    response = user_client.post(
        url,
        {
            "fix-version": record.version,
            "fix-loaded": "{}",
            "fix-description": WIDE * 20_000,
            "initial-fix-description": "",
        },
    )
    assert response.status_code == 200
    assert "at most 10000 characters" in response.content.decode()
    assert _stored(user, record.book_id).corrections == {}


def test_a_record_over_the_total_is_refused_alike_on_every_backend(user, monkeypatch):
    monkeypatch.setattr(records, "RECORD_MAX_BYTES", 10_000)
    record = UserBookFactory(user=user, notes="")
    with pytest.raises(ValidationError) as refused:
        _notes(user, record, WIDE * 2_500)
    assert refused.value.message_dict == {"notes": [TOO_LARGE]}
    assert _stored(user, record.book_id).notes == ""


def test_an_item_the_table_refuses_is_a_message_on_dynamodb(
    user, both_modes, monkeypatch
):
    if both_modes != "dynamodb":
        pytest.skip("only DynamoDB has an item limit of its own")
    monkeypatch.setattr(dynamo_utils, "MAX_ITEM_BYTES", 8_000)
    record = UserBookFactory(user=user, notes="")
    with pytest.raises(ValidationError) as refused:
        _notes(user, record, WIDE * 2_500)
    assert refused.value.message_dict == {"notes": [TOO_LARGE]}
    assert _stored(user, record.book_id).notes == ""


def test_a_correction_refused_for_the_notes_is_a_message_on_the_form(
    user, user_client, monkeypatch
):
    record = UserBookFactory(user=user)
    record = _notes(user, record, WIDE * 2_000)  # 8,000 bytes, location 800
    monkeypatch.setattr(records, "RECORD_MAX_BYTES", 8_500)
    url = reverse("catalog:book-correct", kwargs={"key": record.book_id})
    response = user_client.post(
        url,
        {
            "fix-version": record.version,
            "fix-loaded": "{}",
            "fix-publisher": "A publisher",
            "initial-fix-publisher": "",
        },
    )
    assert response.status_code == 200
    assert TOO_LARGE in response.content.decode()
    assert _stored(user, record.book_id).corrections == {}


def test_the_largest_record_with_every_series_at_its_limit_is_stored(user, both_modes):
    from catalog import series

    wide = [
        {"name": f"{n}{WIDE * (series.NAME_MAX_CHARS - 1)}", "position": "99998-99999"}
        for n in range(series.MAX_SERIES)
    ]
    isbn = isbn13_for(777002)
    provisional = {
        "title": WIDE * TEXT_LIMITS["title"],
        "subtitle": WIDE * TEXT_LIMITS["subtitle"],
        "authors": [WIDE * AUTHOR_LIMIT] * AUTHORS_MAX,
    }
    services.userbook_add_many(user=user, isbns=[isbn], shown={isbn: provisional})
    details = {**_details(TEXT_LIMITS, AUTHOR_LIMIT), "series": wide}
    record = _correct(user, _stored(user, isbn), details)
    stored = _notes(user, record, WIDE * records.NOTES_MAX_CHARS)
    assert stored.corrections["series"] == wide
    assert stored.series_names.count("|") == series.MAX_SERIES - 1
    assert len(stored.notes) == records.NOTES_MAX_CHARS
    if both_modes == "dynamodb":
        from catalog.backends.dynamodb.items import userbook_to_item

        size = dynamo_utils.item_size(userbook_to_item(stored))
        # The worst case added up next to TEXT_LIMITS, series included.
        assert size < 387_300 < dynamo_utils.MAX_ITEM_BYTES
