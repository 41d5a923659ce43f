"""factory_boy factories; they write through the managers, so any backend works."""

import factory

from accounts.models import User
from catalog.models import Book, MetadataStatus, UserBook


def isbn13_for(n: int) -> str:
    """Return a valid ISBN-13 (978 prefix) built from the number ``n``."""
    first12 = f"978{n % 10**9:09d}"
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = "correct horse battery staple"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return User.objects.create_user(*args, **kwargs)


class BookFactory(factory.Factory):
    class Meta:
        model = Book

    isbn13 = factory.Sequence(lambda n: isbn13_for(100000 + n))
    key = factory.LazyAttribute(lambda b: b.isbn13)
    title = factory.Sequence(lambda n: f"Book number {n}")
    authors = factory.Sequence(lambda n: [f"Author {n}"])
    metadata_status = MetadataStatus.COMPLETE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        book, _ = Book.objects.get_or_create_book(model_class(*args, **kwargs))
        return book


class UserBookFactory(factory.Factory):
    class Meta:
        model = UserBook

    user = factory.SubFactory(UserFactory)
    book = factory.SubFactory(BookFactory)

    @classmethod
    def _create(cls, model_class, *args, user, book, **kwargs):
        return UserBook.objects.add(user, book, **kwargs)
