import pytest

from tests.factories import BookFactory, UserBookFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test stores its files (covers, uploads) in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (throttle counters included)."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def make_book(db):
    return BookFactory


@pytest.fixture
def make_userbook(db):
    return UserBookFactory


from tests.aws import aws_tables, both_modes, dynamo_mode  # noqa: E402, F401
from tests.fake_provider import fake_provider  # noqa: E402, F401


@pytest.fixture(scope="session")
def aws_static_root(tmp_path_factory):
    """Static files collected with the AWS settings (hashed names, manifest)."""
    from tests.lambda_events import collect_aws_static_files

    return collect_aws_static_files(tmp_path_factory.mktemp("aws") / "staticfiles")
