"""The catalog manager contract: every backend must pass these same tests.

Each operation is exercised through the managers (``Book.objects``,
``UserBook.objects``) with ``CATALOG_BACKEND`` pointing at one backend, the way
Django's ``SessionTestsMixin`` runs one suite over every session engine.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booklibrary.cursors import InvalidCursor
from catalog.backends.base import AlreadyInLibrary, BookInUse, StaleEdit
from catalog.models import Book, MetadataStatus, UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for


def _titles(page):
    return [r.book.title for r in page.items]


def _walk(user, **lookup):
    """Follow cursors to the end; return every title in order."""
    titles, cursor, pages = [], None, 0
    while True:
        page = UserBook.objects.page_for_user(user, cursor=cursor, limit=3, **lookup)
        titles += _titles(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return titles, pages


class CatalogContract:
    """Mixed into one test class per backend; the class sets ``backend``."""

    backend: str

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    @pytest.fixture
    def reader(self):
        return UserFactory()

    # Books --------------------------------------------------------------------

    def test_pending_metadata_due_lists_pending_books_past_their_check_earliest_first(
        self,
    ):
        now = timezone.now()

        def book(n, status, check_minutes):
            isbn = isbn13_for(700 + n)
            Book.objects.get_or_create_book(
                Book(
                    key=isbn,
                    isbn13=isbn,
                    metadata_status=status,
                    metadata_check_at=now + timedelta(minutes=check_minutes),
                )
            )
            return isbn

        late = book(1, MetadataStatus.PENDING, -10)
        later = book(2, MetadataStatus.PENDING, -1)
        book(3, MetadataStatus.PENDING, 5)  # not due yet
        book(4, MetadataStatus.COMPLETE, -20)  # done: never swept
        book(5, MetadataStatus.FAILED, -20)
        due = Book.objects.pending_metadata_due(now, 10)
        assert [b.pk for b in due] == [late, later]
        assert all(b.is_pending for b in due)
        assert [b.pk for b in Book.objects.pending_metadata_due(now, 1)] == [late]

    def test_a_book_leaves_the_pending_list_once_its_details_are_in(self):
        now = timezone.now()
        isbn = isbn13_for(710)
        book, _ = Book.objects.get_or_create_book(
            Book(key=isbn, isbn13=isbn, metadata_check_at=now - timedelta(minutes=1))
        )
        assert [b.pk for b in Book.objects.pending_metadata_due(now, 10)] == [isbn]
        book.metadata_status = MetadataStatus.COMPLETE
        Book.objects.save_book(book)
        assert Book.objects.pending_metadata_due(now, 10) == []
        book.metadata_status = MetadataStatus.PENDING
        book.metadata_check_at = now + timedelta(minutes=3)
        Book.objects.save_book(book)
        assert Book.objects.pending_metadata_due(now, 10) == []
        later = now + timedelta(minutes=4)
        assert [b.pk for b in Book.objects.pending_metadata_due(later, 10)] == [isbn]

    def test_mark_metadata_attempt_writes_only_the_bookkeeping(self):
        now = timezone.now()
        isbn = isbn13_for(720)
        book, _ = Book.objects.get_or_create_book(
            Book(key=isbn, isbn13=isbn, metadata_check_at=now - timedelta(minutes=1))
        )
        # A fetch stores the details after the sweep read the book.
        fetched = Book.objects.get_by_key(isbn)
        fetched.title, fetched.authors = "Dune", ["Frank Herbert"]
        Book.objects.save_book(fetched)
        assert Book.objects.mark_metadata_attempt(
            isbn,
            status=MetadataStatus.PENDING,
            attempts=2,
            check_at=now + timedelta(minutes=5),
        )
        stored = Book.objects.get_by_key(isbn)
        assert (stored.title, stored.authors) == ("Dune", ["Frank Herbert"])
        assert stored.metadata_attempts == 2 and stored.is_pending
        assert stored.metadata_check_at == now + timedelta(minutes=5)
        assert stored.updated_at > book.updated_at
        # The sweep's pending list follows the new check time.
        assert Book.objects.pending_metadata_due(now, 10) == []
        due = Book.objects.pending_metadata_due(now + timedelta(minutes=6), 10)
        assert [b.pk for b in due] == [isbn]

    def test_mark_metadata_attempt_only_if_pending_spares_a_finished_fetch(self):
        now = timezone.now()
        isbn = isbn13_for(721)
        Book.objects.get_or_create_book(
            Book(key=isbn, isbn13=isbn, metadata_check_at=now - timedelta(minutes=1))
        )
        done = Book.objects.get_by_key(isbn)
        done.title, done.metadata_status = "Dune", MetadataStatus.COMPLETE
        Book.objects.save_book(done)
        assert not Book.objects.mark_metadata_attempt(
            isbn, status=MetadataStatus.FAILED, error="gave up"
        )
        assert not Book.objects.mark_metadata_attempt(
            isbn, status=MetadataStatus.PENDING, attempts=3, check_at=now
        )
        stored = Book.objects.get_by_key(isbn)
        assert stored.metadata_status == MetadataStatus.COMPLETE
        assert (stored.title, stored.metadata_error, stored.metadata_attempts) == (
            "Dune",
            "",
            0,
        )
        # Asked for again regardless of its status, it is pending once more.
        assert Book.objects.mark_metadata_attempt(
            isbn,
            status=MetadataStatus.PENDING,
            error="",
            attempts=0,
            check_at=now - timedelta(seconds=1),
            requested_at=now,
            only_if_pending=False,
        )
        again = Book.objects.get_by_key(isbn)
        assert again.is_pending and again.title == "Dune"
        assert again.metadata_requested_at == now
        assert [b.pk for b in Book.objects.pending_metadata_due(now, 10)] == [isbn]

    def test_mark_metadata_attempt_failed_leaves_the_pending_list(self):
        now = timezone.now()
        isbn = isbn13_for(722)
        Book.objects.get_or_create_book(
            Book(key=isbn, isbn13=isbn, metadata_check_at=now - timedelta(minutes=1))
        )
        assert Book.objects.mark_metadata_attempt(
            isbn, status=MetadataStatus.FAILED, error="gave up"
        )
        stored = Book.objects.get_by_key(isbn)
        assert (stored.metadata_status, stored.metadata_error) == ("failed", "gave up")
        assert Book.objects.pending_metadata_due(now + timedelta(days=1), 10) == []

    def test_mark_metadata_attempt_never_creates_a_book(self):
        isbn = isbn13_for(723)
        for only_if_pending in (True, False):
            assert not Book.objects.mark_metadata_attempt(
                isbn,
                status=MetadataStatus.PENDING,
                check_at=timezone.now(),
                only_if_pending=only_if_pending,
            )
        with pytest.raises(Book.DoesNotExist):
            Book.objects.get_by_key(isbn)

    def test_get_or_create_book_creates_once_then_returns_the_stored_one(self):
        isbn = isbn13_for(42)
        book, created = Book.objects.get_or_create_book(
            Book(key=isbn, isbn13=isbn, title="First")
        )
        assert created and book.title == "First"
        again, created = Book.objects.get_or_create_book(
            Book(key=isbn, isbn13=isbn, title="Second")
        )
        assert not created and again.title == "First"
        assert Book.objects.get_by_isbn(isbn).title == "First"

    def test_get_many_returns_the_known_books_by_key(self):
        books = [BookFactory(), BookFactory()]
        found = Book.objects.get_many([books[0].pk, isbn13_for(3), books[1].pk])
        assert sorted(found) == sorted(b.pk for b in books)
        assert found[books[0].pk].title == books[0].title
        assert Book.objects.get_many([]) == {}

    def test_get_by_key_of_unknown_book_raises_does_not_exist(self):
        with pytest.raises(Book.DoesNotExist):
            Book.objects.get_by_key(isbn13_for(7))

    def test_save_book_refreshes_what_owners_sort_and_search_on(self, reader):
        record = UserBookFactory(user=reader, book=BookFactory(title="Pending"))
        book = Book.objects.get_by_key(record.book_id)
        book.title, book.authors = "Dune", ["Frank Herbert"]
        book.metadata_status = MetadataStatus.COMPLETE
        Book.objects.save_book(book)
        page = UserBook.objects.page_for_user(reader, query="herbert")
        assert _titles(page) == ["Dune"]
        assert page.items[0].book.metadata_status == MetadataStatus.COMPLETE

    # Adding and reading records ---------------------------------------------

    def test_add_then_add_again_raises_already_in_library_with_the_record(self, reader):
        book = BookFactory(title="Emma")
        record = UserBook.objects.add(reader, book, status="reading")
        assert record.status == "reading" and record.version == 1
        with pytest.raises(AlreadyInLibrary) as exc:
            UserBook.objects.add(reader, book, status="want")
        assert exc.value.existing.book_id == book.pk
        assert exc.value.existing.status == "reading"

    def test_get_for_user_is_scoped_to_the_owner(self, reader):
        record = UserBookFactory(user=reader)
        assert UserBook.objects.get_for_user(reader, record.book_id).book.title
        with pytest.raises(UserBook.DoesNotExist):
            UserBook.objects.get_for_user(UserFactory(), record.book_id)

    def test_for_keys_returns_only_the_users_records(self, reader):
        mine = UserBookFactory(user=reader)
        theirs = UserBookFactory()
        found = UserBook.objects.for_keys(reader, [mine.book_id, theirs.book_id])
        assert list(found) == [mine.book_id]
        assert UserBook.objects.for_keys(reader, []) == {}

    # Listing -------------------------------------------------------------------

    def test_title_order_pages_through_every_book_once(self, reader):
        names = [
            "The Hobbit",
            "Anna Karenina",
            "beloved",
            "Candide",
            "Dracula",
            "An Essay",
            "Frankenstein",
        ]
        for name in names:
            UserBookFactory(user=reader, book=BookFactory(title=name))
        titles, pages = _walk(reader, sort="title")
        assert titles == [
            "Anna Karenina",
            "beloved",
            "Candide",
            "Dracula",
            "An Essay",
            "Frankenstein",
            "The Hobbit",
        ]
        assert pages == 3

    def test_author_order_uses_the_first_authors_surname(self, reader):
        for title, author in [
            ("Persuasion", "Jane Austen"),
            ("Ulysses", "James Joyce"),
            ("Middlemarch", "George Eliot"),
            ("Anonymous", None),
        ]:
            book = BookFactory(title=title, authors=[author] if author else [])
            UserBookFactory(user=reader, book=book)
        titles, _ = _walk(reader, sort="author")
        assert titles == ["Persuasion", "Middlemarch", "Ulysses", "Anonymous"]

    def test_added_order_is_newest_first(self, reader):
        now = timezone.now()
        for days, title in [(3, "Old"), (1, "Newest"), (2, "Middle")]:
            UserBookFactory(
                user=reader,
                book=BookFactory(title=title),
                added_at=now - timedelta(days=days),
            )
        titles, _ = _walk(reader, sort="added")
        assert titles == ["Newest", "Middle", "Old"]

    def test_rating_order_is_best_first_and_unrated_last(self, reader):
        for rating, title in [
            (None, "Unrated"),
            ("4.5", "Great"),
            ("2.0", "Meh"),
            ("5.0", "Best"),
            (None, "Also unrated"),
        ]:
            UserBookFactory(
                user=reader,
                book=BookFactory(title=title),
                rating=Decimal(rating) if rating else None,
            )
        titles, _ = _walk(reader, sort="rating")
        assert titles[:3] == ["Best", "Great", "Meh"]
        assert sorted(titles[3:]) == ["Also unrated", "Unrated"]

    def test_status_filter_and_search_ignore_case_and_accents(self, reader):
        UserBookFactory(
            user=reader,
            status="read",
            book=BookFactory(
                title="Cien años de soledad", authors=["Gabriel García Márquez"]
            ),
        )
        UserBookFactory(
            user=reader,
            status="want",
            book=BookFactory(
                title="El amor en los tiempos del cólera",
                authors=["Gabriel García Márquez"],
            ),
        )
        UserBookFactory(user=reader, status="read", book=BookFactory(title="Other"))
        assert len(UserBook.objects.page_for_user(reader, query="GARCIA").items) == 2
        found = UserBook.objects.page_for_user(reader, query="garcía", status="read")
        assert _titles(found) == ["Cien años de soledad"]
        assert _titles(UserBook.objects.page_for_user(reader, query="colera amor")) == [
            "El amor en los tiempos del cólera"
        ]
        assert UserBook.objects.page_for_user(reader, query="zzz").items == []

    def test_search_matches_the_isbn(self, reader):
        record = UserBookFactory(user=reader)
        page = UserBook.objects.page_for_user(reader, query=record.book.isbn13)
        assert [r.book_id for r in page.items] == [record.book_id]

    def test_listing_never_shows_another_users_books(self, reader):
        UserBookFactory(user=reader, book=BookFactory(title="Mine"))
        UserBookFactory(book=BookFactory(title="Theirs"))
        assert _titles(UserBook.objects.page_for_user(reader)) == ["Mine"]

    def test_a_cursor_is_refused_when_tampered_or_reused_elsewhere(self, reader):
        for _ in range(4):
            UserBookFactory(user=reader)
        cursor = UserBook.objects.page_for_user(
            reader, sort="title", limit=2
        ).next_cursor
        assert cursor
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(
                reader, sort="title", cursor=cursor[:-3] + "xyz"
            )
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(reader, sort="author", cursor=cursor)
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(UserFactory(), sort="title", cursor=cursor)

    def test_status_counts(self, reader):
        for status in ["read", "read", "reading", "dnf"]:
            UserBookFactory(user=reader, status=status)
        UserBookFactory(status="want")
        assert UserBook.objects.status_counts(reader) == {
            "want": 0,
            "reading": 1,
            "read": 2,
            "dnf": 1,
            "all": 4,
        }

    # Updating and removing ---------------------------------------------------

    def test_update_applies_changes_and_bumps_the_version(self, reader):
        record = UserBookFactory(user=reader)
        updated = UserBook.objects.update_for_user(
            reader,
            record.book_id,
            version=1,
            changes={"status": "read", "rating": Decimal("3.5"), "notes": "Loved it"},
        )
        assert (updated.status, updated.rating, updated.version) == (
            "read",
            Decimal("3.5"),
            2,
        )
        assert UserBook.objects.get_for_user(reader, record.book_id).notes == "Loved it"

    def test_a_stale_update_raises_stale_edit_and_changes_nothing(self, reader):
        record = UserBookFactory(user=reader)
        UserBook.objects.update_for_user(
            reader, record.book_id, version=1, changes={"location": "Study"}
        )
        with pytest.raises(StaleEdit) as exc:
            UserBook.objects.update_for_user(
                reader, record.book_id, version=1, changes={"location": "Attic"}
            )
        assert exc.value.current.location == "Study"
        assert exc.value.current.version == 2

    def test_update_of_a_missing_record_raises_does_not_exist(self, reader):
        with pytest.raises(UserBook.DoesNotExist):
            UserBook.objects.update_for_user(
                reader, isbn13_for(9), version=1, changes={"notes": "x"}
            )

    def test_another_user_cannot_update_or_remove_my_record(self, reader):
        record = UserBookFactory(user=reader)
        stranger = UserFactory()
        with pytest.raises(UserBook.DoesNotExist):
            UserBook.objects.update_for_user(
                stranger, record.book_id, version=1, changes={"notes": "mine now"}
            )
        with pytest.raises(UserBook.DoesNotExist):
            UserBook.objects.remove_for_user(stranger, record.book_id)
        assert UserBook.objects.get_for_user(reader, record.book_id).notes == ""

    def test_pages_for_user_equal_the_pages_read_one_by_one(self, reader):
        shelf = [
            ("Emma", "reading"),
            ("Dune", "read"),
            ("Beloved", "reading"),
            ("Kindred", "want"),
            ("Quixote", "read"),
        ]
        for n, (title, status) in enumerate(shelf):
            UserBookFactory(
                user=reader,
                status=status,
                added_at=timezone.now() - timedelta(days=n),
                book=BookFactory(title=title),
            )
        lookups = [
            {"status": "reading", "limit": 6},
            {"sort": "added", "limit": 3},
            {"query": "quixote"},
        ]
        together = UserBook.objects.pages_for_user(reader, lookups)
        one_by_one = [UserBook.objects.page_for_user(reader, **kw) for kw in lookups]
        assert [_titles(page) for page in together] == [
            _titles(page) for page in one_by_one
        ]
        assert [bool(p.next_cursor) for p in together] == [False, True, False]
        assert _titles(together[1]) == ["Emma", "Dune", "Beloved"]
        assert _titles(together[2]) == ["Quixote"]

    def test_remove_deletes_the_record_but_keeps_the_book(self, reader):
        record = UserBookFactory(user=reader, status="read")
        UserBook.objects.remove_for_user(reader, record.book_id)
        with pytest.raises(UserBook.DoesNotExist):
            UserBook.objects.get_for_user(reader, record.book_id)
        assert Book.objects.get_by_key(record.book_id)
        assert UserBook.objects.status_counts(reader)["all"] == 0

    # A reader's own corrections ---------------------------------------------

    def _fetch(self, key: str, **fields) -> Book:
        book = Book.objects.get_by_key(key)
        for name, value in fields.items():
            setattr(book, name, value)
        book.metadata_status = MetadataStatus.COMPLETE
        return Book.objects.save_book(book)

    def test_corrections_are_stored_with_the_record_and_read_back(self, reader):
        fixes = {"title": "Mine", "authors": ["Ann Ó Briain"], "pages": 321}
        record = UserBook.objects.add(reader, BookFactory(), corrections=fixes)
        again = UserBook.objects.get_for_user(reader, record.book_id)
        assert again.corrections == fixes and isinstance(
            again.corrections["pages"], int
        )
        assert again.shown.title == "Mine" and again.book.title != "Mine"

    def test_a_record_sorts_and_searches_by_its_own_corrections(self, reader):
        UserBookFactory(user=reader, book=BookFactory(title="Middle", authors=["M"]))
        fixed = UserBook.objects.add(
            reader,
            BookFactory(title="Zebra", authors=["Zed"]),
            corrections={"title": "The Aardvark", "authors": ["Ann Abbot"]},
        )
        page = UserBook.objects.page_for_user(reader, sort="title")
        assert [r.shown.title for r in page.items] == ["The Aardvark", "Middle"]
        page = UserBook.objects.page_for_user(reader, sort="author")
        assert page.items[0].book_id == fixed.book_id
        assert _titles(UserBook.objects.page_for_user(reader, query="aardvark")) == [
            "Zebra"
        ]
        assert not UserBook.objects.page_for_user(reader, query="zebra").items

    def test_an_update_of_corrections_moves_the_record_in_the_lists(self, reader):
        record = UserBookFactory(user=reader, book=BookFactory(title="Zebra"))
        UserBookFactory(user=reader, book=BookFactory(title="Middle"))
        UserBook.objects.update_for_user(
            reader,
            record.book_id,
            version=record.version,
            changes={"corrections": {"title": "Aardvark"}},
        )
        page = UserBook.objects.page_for_user(reader, sort="title")
        assert page.items[0].book_id == record.book_id
        assert UserBook.objects.page_for_user(reader, query="aardvark").items
        UserBook.objects.update_for_user(
            reader,
            record.book_id,
            version=record.version + 1,
            changes={"corrections": {}},
        )
        assert UserBook.objects.page_for_user(reader, query="zebra").items

    def test_save_book_keeps_each_owners_corrected_keys(self, reader):
        book = BookFactory(title="", authors=[], metadata_status="pending")
        mine = UserBook.objects.add(
            reader, book, corrections={"title": "Visit evil.example"}
        )
        other, third = UserFactory(), UserFactory()
        UserBook.objects.add(other, book)
        UserBook.objects.add(
            third, book, provisional={"title": "Search title", "authors": ["S"]}
        )
        assert UserBook.objects.page_for_user(third, query="search").items
        self._fetch(book.pk, title="Fetched Title", authors=["Real Author"])
        assert UserBook.objects.page_for_user(reader, query="evil").items
        assert not UserBook.objects.page_for_user(reader, query="fetched").items
        assert UserBook.objects.page_for_user(other, query="fetched").items
        assert not UserBook.objects.page_for_user(other, query="evil").items
        # Provisional values give way once the edition has its own details.
        assert UserBook.objects.page_for_user(third, query="fetched").items
        assert not UserBook.objects.page_for_user(third, query="search").items
        assert mine.corrections == {"title": "Visit evil.example"}

    def test_a_correction_of_pages_only_still_follows_the_fetched_title(self, reader):
        book = BookFactory(title="Old")
        UserBook.objects.add(reader, book, corrections={"pages": 12})
        self._fetch(book.pk, title="New title")
        page = UserBook.objects.page_for_user(reader, query="new")
        assert _titles(page) == ["New title"] and page.items[0].shown.pages == 12

    # Tags -------------------------------------------------------------------

    def _tagged(self, reader):
        books = {}
        for n, (title, tags, status) in enumerate(
            [
                ("Dune", ["Sci Fi", "Classic"], "read"),
                ("Emma", ["classic"], "want"),
                ("Solaris", ["sci fi", "Classic", "Été"], "want"),
                ("Ubik", ["sci-fi"], "want"),
                ("Kim", [], "want"),
            ]
        ):
            books[title] = UserBookFactory(
                user=reader,
                book=BookFactory(isbn13=isbn13_for(900 + n), title=title),
                tags=tags,
                status=status,
            )
        return books

    def _exact_count(self, number):
        """The count a backend gives for a tag filter: exact, or unknown on DynamoDB."""
        return None if "dynamodb" in self.backend else number

    def test_tags_are_stored_as_typed_with_their_keys(self, reader):
        self._tagged(reader)
        solaris = UserBook.objects.get_for_user(reader, isbn13_for(902))
        assert solaris.tags == ["sci fi", "Classic", "Été"]
        assert solaris.tag_keys == "|sci fi|classic|été|"
        untagged = UserBook.objects.get_for_user(reader, isbn13_for(904))
        assert (untagged.tags, untagged.tag_keys) == ([], "")

    def test_a_tag_filter_keeps_books_with_every_tag_ignoring_case(self, reader):
        self._tagged(reader)

        def titles(**lookup):
            return _titles(
                UserBook.objects.page_for_user(reader, sort="title", **lookup)
            )

        assert titles(tags=["CLASSIC"]) == ["Dune", "Emma", "Solaris"]
        assert titles(tags=["classic", "Sci fi"]) == ["Dune", "Solaris"]
        # A tag is matched whole: "sci" is no tag, "sci-fi" is another one.
        assert titles(tags=["sci"]) == []
        assert titles(tags=["sci-fi"]) == ["Ubik"]
        # Accents are kept: "ete" is not "été".
        assert titles(tags=["ete"]) == []
        assert titles(tags=["ÉTÉ"]) == ["Solaris"]
        assert titles(tags=["classic"], status="want") == ["Emma", "Solaris"]
        assert titles(tags=["classic"], query="dun") == ["Dune"]
        assert UserBook.objects.count_for_user(reader, tags=["classic"]) == (
            self._exact_count(3)
        )
        assert UserBook.objects.count_for_user(reader, tags=["sci fi"]) == (
            self._exact_count(2)
        )

    def test_tag_counts_are_the_readers_own_by_name_in_their_most_used_form(
        self, reader
    ):
        self._tagged(reader)
        other = UserFactory()
        UserBookFactory(user=other, book=BookFactory(), tags=["Classic", "Other"])
        assert UserBook.objects.tag_counts(reader).tags == [
            ("Classic", "classic", 3),
            ("Sci Fi", "sci fi", 2),
            ("sci-fi", "sci-fi", 1),
            ("Été", "été", 1),
        ]
        assert UserBook.objects.tag_counts(other).tags == [
            ("Classic", "classic", 1),
            ("Other", "other", 1),
        ]
        assert UserBook.objects.tag_counts(UserFactory()).tags == []

    def test_a_tag_filter_pages_both_ways_and_its_cursors_keep_to_it(self, reader):
        self._tagged(reader)
        first = UserBook.objects.page_for_user(
            reader, tags=["classic"], sort="title", limit=2
        )
        assert _titles(first) == ["Dune", "Emma"]
        second = UserBook.objects.page_for_user(
            reader, tags=["classic"], sort="title", limit=2, cursor=first.next_cursor
        )
        assert _titles(second) == ["Solaris"] and second.next_cursor is None
        back = UserBook.objects.page_for_user(
            reader, tags=["classic"], sort="title", limit=2, cursor=second.prev_cursor
        )
        assert _titles(back) == ["Dune", "Emma"]
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(
                reader, tags=["sci fi"], sort="title", cursor=first.next_cursor
            )

    def test_changing_tags_moves_the_book_in_and_out_of_the_filter(self, reader):
        books = self._tagged(reader)
        kim = books["Kim"]
        UserBook.objects.update_for_user(
            reader, kim.book_id, version=kim.version, changes={"tags": ["Classic"]}
        )
        page = UserBook.objects.page_for_user(reader, tags=["classic"], sort="title")
        assert _titles(page) == ["Dune", "Emma", "Kim", "Solaris"]
        stored = UserBook.objects.get_for_user(reader, kim.book_id)
        assert (stored.tags, stored.tag_keys) == (["Classic"], "|classic|")
        UserBook.objects.update_for_user(
            reader, kim.book_id, version=stored.version, changes={"tags": []}
        )
        page = UserBook.objects.page_for_user(reader, tags=["classic"], sort="title")
        assert _titles(page) == ["Dune", "Emma", "Solaris"]

    def test_another_readers_tags_never_match(self, reader):
        self._tagged(reader)
        other = UserFactory()
        UserBookFactory(user=other, book=BookFactory(title="Theirs"), tags=["classic"])
        page = UserBook.objects.page_for_user(other, tags=["classic"])
        assert _titles(page) == ["Theirs"]
        mine = UserBook.objects.page_for_user(reader, tags=["classic"], sort="title")
        assert "Theirs" not in _titles(mine)

    # Locations ----------------------------------------------------------------

    def _placed(self, reader):
        books = {}
        for n, (title, location, status) in enumerate(
            [
                ("Dune", "Study shelf", "read"),
                ("Emma", "study SHELF", "want"),
                ("Solaris", "Attic", "want"),
                ("Ubik", "Study", "want"),
                ("Kim", "", "want"),
            ]
        ):
            books[title] = UserBookFactory(
                user=reader,
                book=BookFactory(isbn13=isbn13_for(920 + n), title=title),
                location=location,
                status=status,
            )
        return books

    def test_a_location_is_stored_with_its_key(self, reader):
        self._placed(reader)
        emma = UserBook.objects.get_for_user(reader, isbn13_for(921))
        assert (emma.location, emma.location_key) == ("study SHELF", "study shelf")
        kim = UserBook.objects.get_for_user(reader, isbn13_for(924))
        assert (kim.location, kim.location_key) == ("", "")

    def test_a_location_filter_matches_the_whole_location_ignoring_case(self, reader):
        self._placed(reader)

        def titles(**lookup):
            return _titles(
                UserBook.objects.page_for_user(reader, sort="title", **lookup)
            )

        assert titles(location="STUDY shelf") == ["Dune", "Emma"]
        assert titles(location="study") == ["Ubik"]
        assert titles(location="nowhere") == []
        assert titles(location="study shelf", status="want") == ["Emma"]
        assert titles(location="study shelf", query="dun") == ["Dune"]
        assert titles(location="") == ["Dune", "Emma", "Kim", "Solaris", "Ubik"]
        assert UserBook.objects.count_for_user(reader, location="attic") == (
            self._exact_count(1)
        )

    def test_a_location_filter_pages_and_its_cursors_keep_to_it(self, reader):
        self._placed(reader)
        first = UserBook.objects.page_for_user(
            reader, location="study shelf", sort="title", limit=1
        )
        assert _titles(first) == ["Dune"]
        second = UserBook.objects.page_for_user(
            reader,
            location="study shelf",
            sort="title",
            limit=1,
            cursor=first.next_cursor,
        )
        assert _titles(second) == ["Emma"] and second.next_cursor is None
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(
                reader, location="attic", sort="title", cursor=first.next_cursor
            )

    def test_location_counts_group_locations_ignoring_case(self, reader):
        self._placed(reader)
        UserBookFactory(user=UserFactory(), book=BookFactory(), location="Attic")
        counts = UserBook.objects.location_counts(reader)
        assert counts.complete
        shown = {key: (name, n) for name, key, n in counts.locations}
        assert list(shown) == ["attic", "study", "study shelf"]
        assert shown["attic"] == ("Attic", 1)
        assert shown["study"] == ("Study", 1)
        assert shown["study shelf"][1] == 2
        assert shown["study shelf"][0] in {"Study shelf", "study SHELF"}

    def test_changing_the_location_moves_the_book_in_and_out_of_the_filter(
        self, reader
    ):
        kim = self._placed(reader)["Kim"]
        UserBook.objects.update_for_user(
            reader, kim.book_id, version=kim.version, changes={"location": "ATTIC"}
        )
        stored = UserBook.objects.get_for_user(reader, kim.book_id)
        assert stored.location_key == "attic"
        page = UserBook.objects.page_for_user(reader, location="attic", sort="title")
        assert _titles(page) == ["Kim", "Solaris"]
        UserBook.objects.update_for_user(
            reader, kim.book_id, version=stored.version, changes={"location": ""}
        )
        page = UserBook.objects.page_for_user(reader, location="attic", sort="title")
        assert _titles(page) == ["Solaris"]
        assert UserBook.objects.get_for_user(reader, kim.book_id).location_key == ""

    def test_readings_are_stored_and_read_back_exactly(self, reader):
        record = UserBookFactory(user=reader, status="want")
        readings = [
            {
                "id": 1,
                "started_on": "2024-01-02",
                "finished_on": None,
                "outcome": "dnf",
                "progress_page": 120,
                "progress_percent": None,
            },
            {
                "id": 2,
                "started_on": None,
                "finished_on": None,
                "outcome": "reading",
                "progress_page": None,
                "progress_percent": 45,
            },
        ]
        UserBook.objects.update_for_user(
            reader,
            record.book_id,
            version=1,
            changes={"readings": readings, "status": "reading"},
        )
        stored = UserBook.objects.get_for_user(reader, record.book_id)
        assert stored.readings == readings
        assert (
            UserBook.objects.for_keys(reader, [record.book_id])[record.book_id].readings
            == readings
        )
        [listed] = UserBook.objects.page_for_user(reader, status="reading").items
        assert listed.readings == readings
        assert UserBook.objects.status_counts(reader)["reading"] == 1

    # Adding many at once (an import's chunk) --------------------------------

    def _additions(self, reader, count=3):
        """New editions pending their details, each with the fields an import gives."""
        additions = []
        for n in range(count):
            isbn = isbn13_for(500 + n)
            book = Book(
                key=isbn,
                isbn13=isbn,
                metadata_status=MetadataStatus.PENDING,
                metadata_check_at=timezone.now() + timedelta(minutes=10),
            )
            fields = {
                "status": ("read", "want", "reading")[n % 3],
                "rating": Decimal("4.5") if n % 2 else None,
                "tags": ["Sci Fi", f"Shelf {n % 2}"],
                "location": "Attic" if n % 2 else "",
                "notes": f"Note {n}",
                "corrections": {
                    "title": f"The Bulk Title {n}",
                    "authors": [f"Ann Author{n}"],
                    "series": [{"name": "Bulk Saga", "position": str(n + 1)}],
                },
                "added_at": timezone.now() - timedelta(days=n),
            }
            additions.append((book, fields))
        return additions

    def test_add_many_stores_what_add_stores_one_by_one(self, reader):
        stored = BookFactory(title="Stored Already")
        additions = self._additions(reader)
        additions.append(
            (
                stored,
                {"status": "want", "tags": ["Sci Fi"], "added_at": timezone.now()},
            )
        )
        done = UserBook.objects.add_many(reader, additions)
        assert [(a.added, a.book_created) for a in done] == [
            (True, True),
            (True, True),
            (True, True),
            (True, False),
        ]
        assert [a.record.book_id for a in done] == [b.pk for b, _ in additions]
        # The same additions one by one, for another reader: the same records.
        other = UserFactory()
        for book, fields in additions:
            UserBook.objects.add(other, Book.objects.get_by_key(book.pk), **fields)
        names = [
            "status",
            "rating",
            "tags",
            "tag_keys",
            "location",
            "location_key",
            "notes",
            "corrections",
            "added_at",
            "sort_title",
            "sort_author",
            "sort_series",
            "series_keys",
            "series_names",
            "search_text",
            "version",
        ]
        for book, _ in additions:
            mine = UserBook.objects.get_for_user(reader, book.pk)
            theirs = UserBook.objects.get_for_user(other, book.pk)
            assert [getattr(mine, n) for n in names] == [
                getattr(theirs, n) for n in names
            ]
        new = Book.objects.get_by_key(additions[0][0].pk)
        assert new.metadata_status == MetadataStatus.PENDING
        assert new.metadata_check_at == additions[0][0].metadata_check_at
        assert Book.objects.pending_metadata_due(
            timezone.now() + timedelta(minutes=11), 10
        )
        # Listed, searched and counted like records added one by one.
        assert UserBook.objects.status_counts(reader) == UserBook.objects.status_counts(
            other
        )
        assert UserBook.objects.status_counts(reader)["all"] == 4
        assert UserBook.objects.tag_counts(reader).tags == [
            ("Sci Fi", "sci fi", 4),
            ("Shelf 0", "shelf 0", 2),
            ("Shelf 1", "shelf 1", 1),
        ]
        assert UserBook.objects.location_counts(reader).locations == [
            ("Attic", "attic", 1)
        ]
        assert UserBook.objects.series_counts(reader).series == [
            ("Bulk Saga", "bulk saga", 3)
        ]
        found = UserBook.objects.page_for_user(reader, query="author2")
        assert [r.book_id for r in found.items] == [additions[2][0].pk]
        walked, _ = _walk(reader, sort="series", series="Bulk Saga")
        assert len(walked) == 3

    def test_add_many_never_overwrites_a_record_or_a_book_stored_meanwhile(
        self, reader
    ):
        additions = self._additions(reader)
        mine_first = additions[0][0]
        # The reader added the first book meanwhile; another reader stored
        # the second edition with its details.
        UserBook.objects.add(
            reader,
            Book.objects.get_or_create_book(
                Book(key=mine_first.pk, isbn13=mine_first.pk, title="Mine")
            )[0],
            status="reading",
            notes="Kept",
        )
        theirs = additions[1][0]
        Book.objects.get_or_create_book(
            Book(
                key=theirs.pk,
                isbn13=theirs.pk,
                title="Fetched",
                metadata_status=MetadataStatus.COMPLETE,
            )
        )
        done = UserBook.objects.add_many(reader, additions)
        assert [(a.added, a.book_created) for a in done] == [
            (False, False),
            (True, False),
            (True, True),
        ]
        assert (done[0].record.status, done[0].record.notes) == ("reading", "Kept")
        kept = UserBook.objects.get_for_user(reader, mine_first.pk)
        assert (kept.status, kept.notes, kept.version) == ("reading", "Kept", 1)
        fetched = Book.objects.get_by_key(theirs.pk)
        assert (fetched.title, fetched.metadata_status) == ("Fetched", "complete")
        assert UserBook.objects.status_counts(reader)["all"] == 3
        assert UserBook.objects.tag_counts(reader).tags == [
            ("Sci Fi", "sci fi", 2),
            ("Shelf 0", "shelf 0", 1),
            ("Shelf 1", "shelf 1", 1),
        ]

    def test_add_many_of_nothing_adds_nothing(self, reader):
        assert UserBook.objects.add_many(reader, []) == []
        assert UserBook.objects.status_counts(reader)["all"] == 0


class TestOrmBackend(CatalogContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"


class TestDynamoBackend(CatalogContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"

    @pytest.fixture(autouse=True)
    def _moto(self, aws_tables):
        """The tables in moto; any Scan fails the test (every path is by key)."""
        scans = []

        def refuse_scan(**kwargs):
            scans.append(kwargs.get("params"))
            raise AssertionError("The catalog must never Scan a DynamoDB table.")

        aws_tables.meta.events.register("before-call.dynamodb.Scan", refuse_scan)
        yield
        assert scans == []

    def test_add_many_writes_transactions_of_49_with_counters_moved_once_each(
        self, reader, aws_tables
    ):
        from catalog.backends.dynamodb import tallies

        additions = []
        for n in range(120):
            isbn = isbn13_for(7000 + n)
            book = Book(key=isbn, isbn13=isbn, metadata_status=MetadataStatus.MANUAL)
            additions.append((book, {"status": "read", "tags": ["Bulk"]}))
        calls = []

        def record(params, **kwargs):
            calls.append(len(params["TransactItems"]))

        aws_tables.meta.events.register(
            "before-parameter-build.dynamodb.TransactWriteItems", record
        )
        done = UserBook.objects.add_many(reader, additions)
        # 49 books and records each, the status counters and the tags.
        assert calls == [100, 100, 46]
        assert all(a.added and a.book_created for a in done)
        assert UserBook.objects.status_counts(reader)["read"] == 120
        assert tallies.read(reader.pk).tags == {"Bulk": 120}

    def test_add_many_writes_nothing_when_one_item_is_too_large(self, reader):
        from booklibrary.dynamo_utils import ItemTooLarge

        additions = self._additions(reader)
        additions[2][1]["notes"] = "x" * 420_000
        with pytest.raises(ItemTooLarge):
            UserBook.objects.add_many(reader, additions)
        keys = [book.pk for book, _ in additions]
        assert Book.objects.get_many(keys) == {}
        assert UserBook.objects.for_keys(reader, keys) == {}
        assert UserBook.objects.status_counts(reader)["all"] == 0


class AdminListingContract:
    """The admin's whole-table operations (a Scan is allowed there, nowhere else)."""

    backend: str

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    def test_all_books_and_all_records_span_every_user(self):
        ann, bob = UserFactory(), UserFactory()
        shared = UserBookFactory(user=ann, status="read").book
        UserBookFactory(user=bob, book=shared, status="want")
        UserBookFactory(user=bob, status="reading")
        Book.objects.get_or_create_book(Book(key="manual-x", title="Nobody's"))
        books = {book.pk: book.title for book in Book.objects.all_books()}
        assert len(books) == 3 and books["manual-x"] == "Nobody's"
        records = UserBook.objects.all_records()
        assert sorted((r.user_id, r.status) for r in records) == sorted(
            [(ann.pk, "read"), (bob.pk, "want"), (bob.pk, "reading")]
        )
        assert {r.book.title for r in records if r.book_id == shared.pk} == {
            shared.title
        }

    def test_removing_a_users_whole_library_leaves_others_and_books(self):
        ann, bob = UserFactory(), UserFactory()
        for status in ("read", "want", "reading"):
            UserBookFactory(user=ann, status=status)
        kept = UserBookFactory(user=bob)
        assert UserBook.objects.remove_all_for_user(ann) == 3
        assert UserBook.objects.status_counts(ann)["all"] == 0
        assert UserBook.objects.page_for_user(ann).items == []
        assert UserBook.objects.get_for_user(bob, kept.book_id)
        assert len(Book.objects.all_books()) == 4
        assert UserBook.objects.remove_all_for_user(ann) == 0

    def test_a_book_in_a_library_cannot_be_deleted_and_one_in_none_can(self):
        ann, bob = UserFactory(), UserFactory()
        book = UserBookFactory(user=ann, status="read").book
        UserBookFactory(user=bob, book=book, status="want")
        assert sorted(Book.objects.owner_ids(book.pk)) == sorted([ann.pk, bob.pk])
        with pytest.raises(BookInUse):
            Book.objects.delete_book(book.pk)
        assert Book.objects.get_by_key(book.pk)
        for reader in (ann, bob):
            UserBook.objects.remove_for_user(reader, book.pk)
        assert Book.objects.owner_ids(book.pk) == []
        Book.objects.delete_book(book.pk)
        with pytest.raises(Book.DoesNotExist):
            Book.objects.get_by_key(book.pk)

    def test_store_readings_writes_records_kept_before_readings_once(self):
        from tests.catalog.test_reading_services import _strip_readings

        ann = UserFactory()
        old = UserBookFactory(user=ann, status="read", finished_on=date(2024, 2, 3))
        UserBookFactory(user=ann, status="want")
        mode = "orm" if "orm" in self.backend else "dynamodb"
        _strip_readings(old, mode)
        assert list(UserBook.objects.store_readings(dry_run=True)) == [(2, 1)]
        stored = UserBook.objects.get_for_user(ann, old.book_id)
        assert stored.readings == []
        steps = list(UserBook.objects.store_readings(batch=1))
        assert sorted(steps) == [(1, 0), (1, 1)]  # a step per record, in any order
        stored = UserBook.objects.get_for_user(ann, old.book_id)
        assert [(r["outcome"], r["finished_on"]) for r in stored.readings] == [
            ("finished", "2024-02-03")
        ]
        assert stored.version == old.version
        assert list(UserBook.objects.store_readings()) == [(2, 0)]


class TestOrmAdminListing(AdminListingContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"


@pytest.mark.usefixtures("aws_tables")
class TestDynamoAdminListing(AdminListingContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"
