"""The metadata providers against recorded API shapes and the fake server."""

import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from PIL import Image

from catalog import metadata
from catalog.metadata.http import parse_retry_after
from tests import fake_provider as fake_provider_module
from tests.fake_provider import FakeProviderServer, load_fixture, make_cover_jpeg

fake_provider = fake_provider_module.fake_provider

OL_BOOKS = "https://openlibrary.org/api/books"
OL_SEARCH = "https://openlibrary.org/search.json"
GOOGLE = "https://www.googleapis.com/books/v1/volumes"
MR_FOX = "9780140328721"
DUNE = "9780441172719"
CRIME = "9780140449136"
NMR = "9780306406157"
UNKNOWN = "9780000000002"


@pytest.fixture(autouse=True)
def provider_settings(settings):
    settings.OPENLIBRARY_URL = "https://openlibrary.org"
    settings.OPENLIBRARY_COVERS_URL = "https://covers.openlibrary.org"
    settings.GOOGLE_BOOKS_URL = "https://www.googleapis.com"
    settings.GOOGLE_BOOKS_API_KEY = ""
    settings.METADATA_MAX_RETRY_AFTER = 10.0
    settings.METADATA_HTTP_BACKOFF_SECONDS = 0.5  # sleeps are injected, not real
    settings.METADATA_USER_AGENT = "BookLibrary/test (library@example.com)"
    return settings


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def chain(sleeps):
    return [
        metadata.OpenLibrary(sleep=sleeps.append),
        metadata.GoogleBooks(sleep=sleeps.append),
    ]


def query_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def bibkeys_of(call) -> list[str]:
    return query_of(call)["bibkeys"].split(",")


def isbns(count: int) -> list[str]:
    """``count`` distinct valid ISBN-13s."""
    bodies = [f"97800000{n:04d}" for n in range(count)]
    return [body + _check_digit(body) for body in bodies]


def _check_digit(body: str) -> str:
    total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(body))
    return str(-total % 10)


# Open Library Books API


def test_openlibrary_parses_a_hit_and_asks_politely(mocked, sleeps):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_hit.json"))

    found = metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX, DUNE])

    fox = found[MR_FOX]
    assert fox.title == "Fantastic Mr. Fox"
    assert fox.authors == ["Roald Dahl"]
    assert fox.publisher == "Puffin"
    assert fox.publish_date == "October 1, 1988"
    assert fox.pages == 96
    assert fox.subjects[:2] == ["Animals", "Hunger"]
    assert fox.cover_url == "https://covers.openlibrary.org/b/id/8739161-L.jpg"
    assert fox.provider_ids == {"openlibrary": "OL7353617M"}
    assert fox.description == ""  # notes and excerpts are not a description
    (call,) = mocked.calls
    assert bibkeys_of(call) == [
        f"ISBN:{MR_FOX}",
        "ISBN:0140328726",
        f"ISBN:{DUNE}",
        "ISBN:0441172717",
    ]
    assert query_of(call)["jscmd"] == "data"
    assert query_of(call)["format"] == "json"
    assert (
        call.request.headers["User-Agent"] == "BookLibrary/test (library@example.com)"
    )
    assert call.request.headers["Accept"] == "application/json"
    assert sleeps == []


def test_openlibrary_reads_a_description_given_as_typed_text(mocked):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_hit.json"))

    dune = metadata.OpenLibrary().lookup([DUNE])[DUNE]

    assert dune.description.startswith("Set on the desert planet Arrakis")


def test_openlibrary_empty_answer_means_not_found(mocked):
    mocked.get(OL_BOOKS, json={})

    assert metadata.OpenLibrary().lookup([MR_FOX]) == {}


def test_openlibrary_record_filed_under_isbn10_maps_back_to_isbn13(mocked):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_isbn10_only.json"))

    found = metadata.OpenLibrary().lookup([NMR])

    assert list(found) == [NMR]
    assert found[NMR].isbn13 == NMR
    assert found[NMR].subtitle == "applications to enzyme systems"
    assert found[NMR].pages == 413  # from "xii, 413 p. :"
    assert found[NMR].cover_url == ""


def test_openlibrary_asks_in_batches_of_25_isbns(mocked):
    mocked.get(OL_BOOKS, json={})

    metadata.OpenLibrary().lookup(isbns(26))

    assert len(mocked.calls) == 2
    first = [key for key in bibkeys_of(mocked.calls[0]) if len(key) == 18]
    assert len(first) == 25
    assert bibkeys_of(mocked.calls[1])[0] == f"ISBN:{isbns(26)[25]}"


def test_979_isbn_is_asked_without_an_isbn10(mocked):
    mocked.get(OL_BOOKS, json={})

    metadata.OpenLibrary().lookup(["9791032305690"])

    assert bibkeys_of(mocked.calls[0]) == ["ISBN:9791032305690"]


# Google Books


def test_google_picks_the_volume_that_lists_the_isbn(mocked):
    mocked.get(GOOGLE, json=load_fixture("google_volumes_hit.json"))

    crime = metadata.GoogleBooks().lookup([CRIME])[CRIME]

    assert crime.provider_ids == {"google": "SYu-4-oO3h8C"}
    assert crime.publisher == "Penguin UK"
    assert crime.pages == 720
    assert crime.language == "en"
    assert crime.subjects == ["Fiction"]
    assert crime.cover_url == (
        "https://books.google.com/books/content"
        "?id=SYu-4-oO3h8C&printsec=frontcover&img=1&zoom=1&source=gbs_api"
    )
    assert query_of(mocked.calls[0]) == {"q": f"isbn:{CRIME}"}


def test_google_miss_has_no_items(mocked):
    mocked.get(GOOGLE, json=load_fixture("google_volumes_miss.json"))

    assert metadata.GoogleBooks().lookup([MR_FOX]) == {}


def test_google_ignores_volumes_that_do_not_list_the_isbn(mocked):
    mocked.get(GOOGLE, json=load_fixture("google_volumes_hit.json"))

    assert metadata.GoogleBooks().lookup([DUNE]) == {}


def test_google_api_key_is_sent_only_when_set(mocked, settings):
    mocked.get(GOOGLE, json=load_fixture("google_volumes_miss.json"))

    metadata.GoogleBooks().lookup([MR_FOX])
    settings.GOOGLE_BOOKS_API_KEY = "AIza-test-key"
    metadata.GoogleBooks().lookup([MR_FOX])

    assert "key" not in query_of(mocked.calls[0])
    assert query_of(mocked.calls[1])["key"] == "AIza-test-key"


def test_google_daily_limit_403_waits_for_the_next_day(mocked):
    body = {
        "error": {
            "code": 403,
            "message": "Daily Limit Exceeded.",
            "errors": [{"reason": "dailyLimitExceeded", "domain": "usageLimits"}],
        }
    }
    mocked.get(GOOGLE, json=body, status=403)

    with pytest.raises(metadata.QuotaUsedUp) as caught:
        metadata.GoogleBooks(sleep=lambda _: None).lookup([MR_FOX])

    assert caught.value.transient and not caught.value.rate_limited
    assert 0 < caught.value.retry_after <= 25 * 3600
    assert "The daily quota of Google Books is used up" in str(caught.value)
    assert len(mocked.calls) == 1  # not asked again today


def test_google_rate_limit_403_is_transient(mocked):
    body = {
        "error": {
            "code": 403,
            "message": "Rate Limit Exceeded",
            "errors": [{"reason": "rateLimitExceeded", "domain": "usageLimits"}],
        }
    }
    mocked.get(GOOGLE, json=body, status=403)

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.GoogleBooks(sleep=lambda _: None).lookup([MR_FOX])

    assert caught.value.transient and caught.value.rate_limited
    assert "Google Books is rate-limiting us" in str(caught.value)


def test_bad_api_key_is_not_transient_and_says_why(mocked):
    body = {"error": {"code": 400, "message": "API key not valid."}}
    mocked.get(GOOGLE, json=body, status=400)

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.GoogleBooks().lookup([MR_FOX])

    assert not caught.value.transient
    assert caught.value.provider == "google"
    assert str(caught.value) == (
        "Google Books refused the request (HTTP 400: API key not valid.)"
    )
    assert len(mocked.calls) == 1


# Retries, rate limits and outages


def test_429_with_retry_after_waits_that_long_then_succeeds(mocked, sleeps):
    mocked.get(OL_BOOKS, status=429, headers={"Retry-After": "3"})
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_hit.json"))

    found = metadata.OpenLibrary(sleep=sleeps.append).lookup([DUNE])

    assert DUNE in found
    assert sleeps == [3.0]
    agents = {call.request.headers["User-Agent"] for call in mocked.calls}
    assert agents == {"BookLibrary/test (library@example.com)"}


def test_429_asking_for_a_long_wait_is_left_to_the_job(mocked, sleeps):
    mocked.get(GOOGLE, status=429, headers={"Retry-After": "30"})

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.GoogleBooks(sleep=sleeps.append).lookup([MR_FOX])

    assert caught.value.transient
    assert caught.value.retry_after == 30.0
    assert str(caught.value) == "Google Books is rate-limiting us; try again in 30 s"
    assert sleeps == []
    assert len(mocked.calls) == 1


def test_429_without_retry_after_backs_off_then_gives_up(mocked, sleeps):
    mocked.get(OL_BOOKS, status=429)

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX])

    assert caught.value.transient
    assert caught.value.retry_after is None
    assert sleeps == [0.5, 1.0]
    assert len(mocked.calls) == 3


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (requests.exceptions.ReadTimeout(), "Open Library did not answer in time"),
        (requests.exceptions.ConnectTimeout(), "Open Library did not answer in time"),
        (requests.exceptions.ConnectionError(), "Open Library could not be reached"),
    ],
)
def test_timeouts_and_connection_errors_retry_then_fail(
    mocked, sleeps, exception, message
):
    mocked.get(OL_BOOKS, body=exception)

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX])

    assert caught.value.transient
    assert str(caught.value) == message
    assert sleeps == [0.5, 1.0]


def test_server_error_then_success(mocked, sleeps):
    mocked.get(OL_BOOKS, status=500)
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_hit.json"))

    assert MR_FOX in metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX])
    assert sleeps == [0.5]


def test_persistent_server_error_is_transient(mocked, sleeps):
    mocked.get(OL_BOOKS, status=503)

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX])

    assert caught.value.transient
    assert "Open Library is having trouble (HTTP 503)" in str(caught.value)
    assert len(mocked.calls) == 3


def test_an_answer_that_is_not_json_is_transient(mocked):
    mocked.get(OL_BOOKS, body="<html>Maintenance</html>", content_type="text/html")

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.OpenLibrary().lookup([MR_FOX])

    assert caught.value.transient
    assert str(caught.value) == "Open Library returned a response that is not JSON"


def test_provider_errors_survive_pickling():
    error = metadata.ProviderError(
        "Open Library is rate-limiting us",
        provider="openlibrary",
        transient=True,
        retry_after=12.0,
    )

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301

    assert (str(copy), copy.provider, copy.transient, copy.retry_after) == (
        "Open Library is rate-limiting us",
        "openlibrary",
        True,
        12.0,
    )


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=45), usegmt=True)

    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after(later, now=now) == 45.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_429_with_an_http_date_waits_until_then(mocked, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=4)
    headers = {"Retry-After": format_datetime(when, usegmt=True)}
    mocked.get(OL_BOOKS, status=429, headers=headers)
    mocked.get(OL_BOOKS, json={})

    metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX])

    assert len(sleeps) == 1
    assert 2.0 <= sleeps[0] <= 4.0


# The chain


def test_chain_fills_missing_fields_from_google_with_provenance(mocked, chain):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_partial.json"))
    mocked.get(GOOGLE, json=load_fixture("google_volumes_hit.json"))

    result = metadata.lookup([CRIME], providers=chain)[CRIME]

    book = result.metadata
    assert book.title == "Crime and Punishment"
    assert book.authors == ["Fyodor Dostoyevsky"]
    assert book.pages == 720
    assert result.sources["title"] == "openlibrary"
    assert result.sources["authors"] == "google"
    assert result.sources["cover_url"] == "google"
    assert book.provider_ids == {"openlibrary": "OL7580823M", "google": "SYu-4-oO3h8C"}
    assert result.source_labels == ["Open Library", "Google Books"]
    assert result.errors == []


def test_chain_does_not_ask_google_for_a_complete_record(mocked, chain):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_hit.json"))

    result = metadata.lookup([DUNE], providers=chain)[DUNE]

    assert result.metadata.title == "Dune"
    assert set(result.sources.values()) == {"openlibrary"}
    assert [urlsplit(c.request.url).path for c in mocked.calls] == ["/api/books"]


def test_chain_found_nothing_is_not_found(mocked, chain):
    mocked.get(OL_BOOKS, json={})
    mocked.get(GOOGLE, json=load_fixture("google_volumes_miss.json"))

    result = metadata.lookup([MR_FOX], providers=chain)[MR_FOX]

    assert result.metadata is None
    assert result.not_found and not result.failed
    assert result.errors == []


def test_chain_outage_everywhere_is_failed_with_the_errors(mocked, chain, sleeps):
    mocked.get(OL_BOOKS, status=502)
    mocked.get(GOOGLE, body=requests.exceptions.ReadTimeout())

    result = metadata.lookup([MR_FOX], providers=chain)[MR_FOX]

    assert result.metadata is None
    assert result.failed and not result.not_found
    assert [e.provider for e in result.errors] == ["openlibrary", "google"]
    assert all(e.transient for e in result.errors)
    assert result.failing_labels == ["Open Library", "Google Books"]


def test_chain_names_only_the_providers_that_failed_for_a_while(mocked, chain):
    mocked.get(OL_BOOKS, status=503)
    mocked.get(GOOGLE, json=load_fixture("google_volumes_miss.json"))

    result = metadata.lookup([MR_FOX], providers=chain)[MR_FOX]

    assert result.failed and result.failing_labels == ["Open Library"]


@pytest.mark.parametrize(
    ("labels", "sentence"),
    [
        (["Open Library"], "Open Library is not answering"),
        (
            ["Open Library", "Google Books"],
            "Open Library and Google Books are not answering",
        ),
        ([], "The book services are not answering"),
    ],
)
def test_an_outage_names_the_providers_in_words(labels, sentence):
    from catalog.services.metadata import outage_sentence

    assert outage_sentence(labels) == sentence


def test_chain_uses_google_when_open_library_is_down(mocked, chain):
    mocked.get(OL_BOOKS, status=500)
    mocked.get(GOOGLE, json=load_fixture("google_volumes_hit.json"))

    result = metadata.lookup([CRIME], providers=chain)[CRIME]

    assert result.metadata.title == "Crime and Punishment"
    assert not result.failed
    assert [e.provider for e in result.errors] == ["openlibrary"]


def test_chain_stops_asking_a_provider_that_failed(mocked, sleeps):
    mocked.get(OL_BOOKS, status=500)

    results = metadata.lookup(
        isbns(30), providers=[metadata.OpenLibrary(sleep=sleeps.append)]
    )

    assert len(mocked.calls) == 3  # one batch, with its retries
    assert all(result.failed for result in results.values())


def test_chain_falls_back_to_the_open_library_cover_by_isbn(mocked, chain):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_isbn10_only.json"))
    mocked.get(GOOGLE, json=load_fixture("google_volumes_miss.json"))

    result = metadata.lookup([NMR], providers=chain)[NMR]

    assert result.metadata.cover_url == (
        f"https://covers.openlibrary.org/b/isbn/{NMR}-L.jpg?default=false"
    )
    assert result.sources["cover_url"] == "openlibrary"


def test_chain_keys_results_by_the_isbns_given(mocked, chain):
    mocked.get(OL_BOOKS, json=load_fixture("openlibrary_books_hit.json"))

    results = metadata.lookup(["0441172717", DUNE], providers=chain)

    assert set(results) == {"0441172717", DUNE}
    assert results["0441172717"].metadata.isbn13 == DUNE
    assert bibkeys_of(mocked.calls[0]) == [f"ISBN:{DUNE}", "ISBN:0441172717"]


# Search


def test_search_parses_works_and_their_editions(mocked):
    mocked.get(OL_SEARCH, json=load_fixture("openlibrary_search.json"))

    hits = metadata.search("  dune  ", limit=3)

    dune, messiah, road = hits
    assert dune.title == "Dune"
    assert dune.authors == ["Frank Herbert"]
    assert dune.year == 1965
    assert dune.work_id == "OL893415W"
    assert dune.edition_count == 172
    # ISBN-10s become ISBN-13s, duplicates and bad checksums go, five at most.
    assert dune.isbns == [
        DUNE,
        "9780441013593",
        "9780593099322",
        "9780340960196",
        "9780425027066",
    ]
    assert dune.cover_url == "https://covers.openlibrary.org/b/id/11481354-M.jpg"
    assert messiah.isbns == ["9780441172696", "9780593198445"]
    assert road.isbns == [] and road.cover_url == "" and road.subtitle
    params = query_of(mocked.calls[0])
    assert params["q"] == "dune"
    assert params["limit"] == "3"
    assert params["fields"].split(",")[:3] == ["key", "title", "subtitle"]


def test_search_with_an_empty_query_asks_nothing(mocked):
    assert metadata.search("   ") == []
    assert len(mocked.calls) == 0


def test_search_outage_raises_a_provider_error(mocked):
    mocked.get(OL_SEARCH, status=500)

    with pytest.raises(metadata.ProviderError):
        metadata.search("dune", sleep=lambda _: None)


# Covers


COVER = "https://covers.openlibrary.org/b/id/8739161-L.jpg"


def test_get_bytes_downloads_an_image(mocked):
    jpeg = make_cover_jpeg(seed="fox")
    mocked.get(COVER, body=jpeg, content_type="image/jpeg")

    data = metadata.get_bytes(COVER, max_bytes=100_000)

    assert Image.open(BytesIO(data)).format == "JPEG"
    assert mocked.calls[0].request.headers["Accept"] == "image/*"


def test_get_bytes_refuses_what_is_not_an_image(mocked):
    mocked.get(COVER, body="<html></html>", content_type="text/html")

    with pytest.raises(metadata.ProviderError, match="instead of an image"):
        metadata.get_bytes(COVER, max_bytes=100_000)


def test_get_bytes_caps_the_size(mocked):
    mocked.get(COVER, body=b"\xff" * 5000, content_type="image/jpeg")

    with pytest.raises(metadata.ProviderError, match="larger than") as caught:
        metadata.get_bytes(COVER, max_bytes=1024)

    assert not caught.value.transient


def test_get_bytes_missing_cover_is_not_transient(mocked):
    mocked.get(COVER, status=404)

    with pytest.raises(metadata.ProviderError) as caught:
        metadata.get_bytes(COVER, max_bytes=100_000)

    assert not caught.value.transient
    assert str(caught.value) == "covers.openlibrary.org has no image at this address"


# End to end, against the fake server


def test_real_providers_against_the_fake_server(fake_provider):
    results = metadata.lookup([MR_FOX, DUNE, CRIME, NMR, "9780143107637"])

    assert results[MR_FOX].metadata.title == "Fantastic Mr. Fox"
    assert results[DUNE].metadata.description.startswith("Set on the desert")
    assert results[CRIME].sources["authors"] == "google"
    assert results[NMR].metadata.title.startswith("Nuclear magnetic resonance")
    assert results["9780143107637"].sources["title"] == "google"
    cover = results[MR_FOX].metadata.cover_url
    assert cover.startswith(fake_provider.url)
    assert Image.open(BytesIO(metadata.get_bytes(cover, max_bytes=10**6))).size
    google_cover = results[CRIME].metadata.cover_url
    assert google_cover.startswith(f"{fake_provider.url}/books/content?")
    assert metadata.get_bytes(google_cover, max_bytes=10**6)
    with pytest.raises(metadata.ProviderError):
        metadata.get_bytes(results[NMR].metadata.cover_url, max_bytes=10**6)


def test_fake_server_misses_failures_and_search(fake_provider, sleeps, chain):
    fake_provider.fail_isbns.add(DUNE)

    assert metadata.lookup([DUNE], providers=chain)[DUNE].failed
    assert metadata.lookup([UNKNOWN], providers=chain)[UNKNOWN].not_found
    assert [hit.title for hit in metadata.search("fantastic fox")] == [
        "Fantastic Mr. Fox"
    ]
    assert metadata.search("dune")[0].isbns[0] == DUNE


def test_fake_server_can_be_slow(fake_provider, settings, sleeps):
    settings.METADATA_READ_TIMEOUT = 0.05
    fake_provider.slow_isbns.add(MR_FOX)
    fake_provider.delay = 0.3

    with pytest.raises(metadata.ProviderError, match="did not answer in time"):
        metadata.OpenLibrary(sleep=sleeps.append).lookup([MR_FOX])


def test_fake_server_runs_as_a_context_manager():
    with FakeProviderServer() as server:
        server.add_book(isbn13=UNKNOWN, title="A Test Book", authors=("Ann",))
        answer = requests.get(
            f"{server.url}/api/books",
            params={"bibkeys": f"ISBN:{UNKNOWN}", "jscmd": "data"},
            timeout=5,
        ).json()

    assert answer[f"ISBN:{UNKNOWN}"]["title"] == "A Test Book"
    assert answer[f"ISBN:{UNKNOWN}"]["cover"]["large"].startswith(server.url)
