"""Books found by a photo or the camera: details shown, batch lookups, in-place adds.

And the word on a provider outage, wherever pending details are shown.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import services
from catalog.models import Book, UserBook
from tests.barcode_images import ean13_image, side_by_side, to_bytes
from tests.factories import BookFactory, UserBookFactory, isbn13_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("both_modes"),
]
DUNE = "9780441172719"
FOX = "9780140328721"
OUTAGE = "Open Library and Google Books are not answering"


def _photo(image):
    return SimpleUploadedFile("barcode.png", to_bytes(image), content_type="image/png")


class Cost:
    """What a block of code asks of the catalog: SQL queries or DynamoDB calls."""

    def __init__(self, mode: str, request):
        self.mode = mode
        self.calls: list[str] = []
        if mode == "dynamodb":
            tables = request.getfixturevalue("dynamo_mode")
            tables.meta.events.register("before-call.dynamodb", self._record)

    def _record(self, model, **kwargs):
        assert model.name != "Scan", "A request path must never Scan a table."
        self.calls.append(model.name)

    def measure(self, action) -> list[str]:
        """The SQL statements or DynamoDB operations ``action`` made."""
        self.calls.clear()
        if self.mode == "dynamodb":
            action()
            return list(self.calls)
        with CaptureQueriesContext(connection) as queries:
            action()
        return [query["sql"].split()[0] for query in queries.captured_queries]


@pytest.fixture
def cost(both_modes, request):
    return Cost(both_modes, request)


def test_photo_results_show_title_authors_cover_and_an_add_button(
    user_client, user, fake_provider
):
    response = user_client.post(
        reverse("catalog:add-photo"), {"photo": _photo(ean13_image(DUNE))}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Found 1 ISBN" in body
    assert "Dune" in body and "Frank Herbert" in body
    assert f'src="/media/covers/{DUNE}-thumb' in body  # stored, not hot-linked
    add = body[body.index(f'data-found-isbn="{DUNE}"') :]
    assert 'action="/books/add/many/"' in add and "csrfmiddlewaretoken" in add
    assert f'name="isbns" value="{DUNE}"' in add
    assert 'Add<span class="visually-hidden"> Dune</span>' in add
    assert "Fetching details" not in body  # the fetch ran: nothing pending
    assert UserBook.objects.status_counts(user)["all"] == 0  # offered, not added


def test_photo_results_link_the_readers_own_copy_with_their_title(
    user_client, user, fake_provider
):
    UserBookFactory(
        user=user,
        book=BookFactory(key=FOX, isbn13=FOX, title="Fantastic Mr. Fox"),
        corrections={"title": "My fox"},
    )
    image = side_by_side(ean13_image(DUNE), ean13_image(FOX))
    body = user_client.post(
        reverse("catalog:add-photo"), {"photo": _photo(image)}
    ).content.decode()
    assert "Found 2 ISBNs" in body
    owned = body[body.index(f'data-found-isbn="{FOX}"') :]
    owned = owned[: owned.index("</li>")]
    assert "In your library" in owned and "My fox" in owned
    assert f'href="/books/{FOX}/"' in owned and 'name="isbns"' not in owned
    mine = body[body.index(f'data-found-isbn="{DUNE}"') :]
    assert f'name="isbns" value="{DUNE}"' in mine[: mine.index("</li>")]
    # With one book left to add, its own Add button is the only one.
    assert 'id="photo-add-form"' not in body


def test_photo_with_several_new_books_offers_to_add_them_all(
    user_client, user, fake_provider
):
    image = side_by_side(ean13_image(DUNE), ean13_image(FOX))
    body = user_client.post(
        reverse("catalog:add-photo"), {"photo": _photo(image)}
    ).content.decode()
    add_all = body[body.index('id="photo-add-form"') :]
    add_all = add_all[: add_all.index("</form>")]
    assert f'value="{DUNE}"' in add_all and f'value="{FOX}"' in add_all


def test_photo_results_while_pending_refresh_from_a_fragment(
    user_client, user, settings
):
    # Details never arrive here: no worker runs the job.
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    body = user_client.post(
        reverse("catalog:add-photo"), {"photo": _photo(ean13_image(DUNE))}
    ).content.decode()
    assert "Fetching details…" in body and "data-pending" in body
    url = reverse("catalog:add-found") + f"?isbns={DUNE}"
    assert f'data-refresh-url="{url}"' in body
    assert "js/found.js" in body
    book = Book.objects.get_by_key(DUNE)
    book.title, book.metadata_status = "Dune", "complete"
    Book.objects.save_book(book)
    fragment = user_client.get(url).content.decode()
    assert "Dune" in fragment and "data-pending" not in fragment


def test_found_fragment_reads_only_known_books_and_the_readers_own_records(
    user_client, user, other_user
):
    BookFactory(key=DUNE, isbn13=DUNE, title="Dune")
    UserBookFactory(
        user=other_user, book=BookFactory(key=FOX, isbn13=FOX, title="Their fox")
    )
    unknown = isbn13_for(777)
    response = user_client.get(
        reverse("catalog:add-found"), {"isbns": f"{DUNE},{FOX},{unknown},junk"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dune" in html and "Their fox" in html
    assert "In your library" not in html  # another reader's copy is not theirs
    assert unknown not in html
    with pytest.raises(Book.DoesNotExist):
        Book.objects.get_by_key(unknown)


def test_found_books_cost_the_same_for_one_and_five_isbns(user_client, user, cost):
    isbns = [isbn13_for(5000 + n) for n in range(5)]
    for n, isbn in enumerate(isbns):
        book = BookFactory(key=isbn, isbn13=isbn, title=f"Known {n}")
        if n % 2:
            UserBookFactory(user=user, book=book)
    url = reverse("catalog:add-found")

    def fragment(keys):
        def get():
            response = user_client.get(url, {"isbns": ",".join(keys)})
            assert response.content.decode().count("data-found-isbn") == len(keys)

        return get

    def lookup(keys):
        def batch():
            assert list(services.books_lookup(isbns=keys)) == keys

        return batch

    assert cost.measure(fragment(isbns[:1])) == cost.measure(fragment(isbns))
    one, five = cost.measure(lookup(isbns[:1])), cost.measure(lookup(isbns))
    assert one == five and len(one) == 1  # every known edition in one read


def test_books_lookup_stores_new_editions_and_fetches_them_in_one_job(
    user, fake_provider, monkeypatch
):
    asked = []
    monkeypatch.setattr(
        "catalog.services.metadata._enqueue_fetch", lambda keys: asked.append(keys)
    )
    BookFactory(key=FOX, isbn13=FOX, title="Fantastic Mr. Fox")
    books = services.books_lookup(isbns=[DUNE, FOX, DUNE])
    assert list(books) == [DUNE, FOX]
    assert books[DUNE].metadata_status == "pending"
    assert asked == [[DUNE]]  # the known edition is not fetched again


def test_camera_adds_in_place_and_reports_a_book_already_there(
    user_client, user, fake_provider
):
    url = reverse("catalog:add-one")
    first = user_client.post(url, {"isbn": DUNE, "status": "reading"})
    assert first.status_code == 201
    data = first.json()
    assert (data["isbn"], data["title"], data["already"]) == (DUNE, "Dune", False)
    assert data["url"] == f"/books/{DUNE}/"
    assert data["message"] == "Added “Dune” to your library."
    again = user_client.post(url, {"isbn": "0-441-17271-7", "status": "want"})
    assert again.status_code == 200 and again.json()["already"] is True
    assert again.json()["message"] == "“Dune” is already in your library."
    counts = UserBook.objects.status_counts(user)
    assert counts["all"] == 1 and counts["reading"] == 1


@pytest.mark.parametrize(
    ("posted", "words"),
    [
        ({"isbn": "9780441172718"}, "is not a valid ISBN: "),
        ({"isbn": "12"}, "10 or 13 digits"),
        ({"isbn": DUNE, "status": "lost"}, "Choose a reading status"),
    ],
)
def test_camera_add_refusals_are_said_in_words(user_client, user, posted, words):
    response = user_client.post(reverse("catalog:add-one"), posted)
    assert response.status_code == 400 and words in response.json()["error"]
    assert UserBook.objects.status_counts(user)["all"] == 0


def test_camera_add_takes_only_posts(user_client):
    assert user_client.get(reverse("catalog:add-one")).status_code == 405


def test_camera_page_keeps_the_session_list_and_the_no_javascript_way_out(
    user_client,
):
    body = user_client.get(reverse("catalog:add-camera")).content.decode()
    assert f'data-add-url="{reverse("catalog:add-one")}"' in body
    assert 'id="camera-added"' in body and "Added this session" in body
    assert 'aria-live="polite"' in body and "csrfmiddlewaretoken" in body
    assert "<noscript>" in body and reverse("catalog:add-photo") in body


def _troubled_record(user, **book):
    return UserBookFactory(
        user=user,
        book=BookFactory(
            key=DUNE,
            isbn13=DUNE,
            title="",
            authors=[],
            metadata_status="pending",
            metadata_error=OUTAGE,
            metadata_attempts=1,
            **book,
        ),
    )


def test_outage_is_named_on_the_book_page_cards_photo_results_and_camera(
    user_client, user
):
    record = _troubled_record(user)
    sentence = f"{OUTAGE}; we keep trying."
    detail = user_client.get(record.get_absolute_url()).content.decode()
    assert sentence in detail and "data-refresh-url" in detail  # keeps polling
    assert f'data-metadata-trouble="{OUTAGE}"' in detail
    listing = user_client.get(reverse("catalog:book-list")).content.decode()
    assert sentence in listing and 'data-pending="trouble"' in listing
    cards = user_client.get(reverse("catalog:book-cards"), {"keys": DUNE})
    assert sentence in cards.content.decode()
    found = user_client.get(reverse("catalog:add-found"), {"isbns": DUNE})
    assert sentence in found.content.decode()
    lookup = user_client.get(reverse("catalog:book-lookup"), {"isbn": DUNE})
    assert lookup.json()["trouble"] == OUTAGE


def test_outage_sentence_goes_once_the_details_arrive(user_client, user, fake_provider):
    record = _troubled_record(user)
    services.books_refresh_metadata(book_keys=[DUNE])
    detail = user_client.get(record.get_absolute_url()).content.decode()
    assert "Dune" in detail and "not answering" not in detail
    assert 'data-metadata-trouble=""' in detail


def test_given_up_says_so_and_offers_to_try_again(user_client, user):
    record = UserBookFactory(
        user=user,
        book=BookFactory(
            metadata_status="failed",
            metadata_error="Open Library is having trouble (HTTP 503); try again later",
        ),
    )
    detail = user_client.get(record.get_absolute_url()).content.decode()
    assert "We stopped trying to fetch the details: Open Library is having" in detail
    refresh = reverse("catalog:book-refresh", kwargs={"key": record.book_id})
    assert f'action="{refresh}"' in detail and "Try again" in detail
    listing = user_client.get(reverse("catalog:book-list")).content.decode()
    assert "Details could not be fetched; open the book to try again." in listing


def test_the_first_failed_try_names_the_failing_provider(
    user, fake_provider, settings, monkeypatch
):
    from worker import tasks

    retries = []
    monkeypatch.setattr(tasks, "enqueue_later", lambda *args: retries.append(args))
    fake_provider.fail_all = True
    book = BookFactory(key=DUNE, isbn13=DUNE, title="", metadata_status="pending")
    assert tasks.fetch_metadata.call([book.pk]) == {DUNE: "retrying"}
    assert len(retries) == 1  # one failed try so far, and a retry queued
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == "pending"
    assert book.metadata_trouble == OUTAGE
    # When the provider answers again, the word on the outage goes.
    fake_provider.fail_all = False
    tasks.fetch_metadata.call([book.pk], 2)
    book = Book.objects.get_by_key(DUNE)
    assert (book.title, book.metadata_trouble, book.metadata_error) == ("Dune", "", "")


def test_only_the_provider_that_failed_is_named(user, fake_provider, monkeypatch):
    from worker import tasks

    monkeypatch.setattr(tasks, "enqueue_later", lambda *args: None)
    from catalog.metadata import OpenLibrary

    fake_provider.fail_isbns.add(DUNE)
    only_open_library = lambda: [OpenLibrary()]  # noqa: E731
    monkeypatch.setattr("catalog.metadata.chain.default_providers", only_open_library)
    BookFactory(key=DUNE, isbn13=DUNE, title="", metadata_status="pending")
    tasks.fetch_metadata.call([DUNE])
    trouble = Book.objects.get_by_key(DUNE).metadata_trouble
    assert trouble == "Open Library is not answering"
