import pytest
from django.conf import settings
from django.utils import translation
from rest_framework.test import APIClient

from config.celery_app import app as celery_app
from tests import factories


def pytest_configure(config):
    """Test mode is said, not guessed (GUICHET_TESTING): `make test` says it
    and hands pytest the services it started."""
    if not settings.TESTING:
        raise pytest.UsageError(
            "run the tests with `make test ARGS=...` (python -m config.launcher test ...), "
            "which starts the services and sets GUICHET_TESTING=1; a bare pytest needs "
            "GUICHET_TESTING=1, DATABASE_URL and REDIS_URL in its environment"
        )


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process by default; tests marked `worker` use a real
    Celery worker process instead."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _english():
    """Tests speak English, as the messages' ids do: a service called
    directly refuses in English, and the API clients below ask for English.
    A test of the French text says so (``translation.override("fr")``,
    ``Accept-Language: fr``); the site's default stays French."""
    with translation.override("en"):
        yield


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def provider_a(db):
    return factories.ProviderFactory(name="Alpha Cloud", slug="alpha")


@pytest.fixture
def provider_b(db):
    return factories.ProviderFactory(name="Beta Hosting", slug="beta")


@pytest.fixture
def member_a(provider_a):
    return factories.MemberFactory(provider=provider_a)


@pytest.fixture
def member_b(provider_b):
    return factories.MemberFactory(provider=provider_b)


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="operateur-test", is_staff=True, is_superuser=True)


def client_for(user, language: str | None = "en"):
    """An API client for this user (None: anonymous) asking for ``language``
    (None: no Accept-Language, i.e. the site's default, French)."""
    client = APIClient(**({"HTTP_ACCEPT_LANGUAGE": language} if language else {}))
    if user is not None:
        client.force_authenticate(user)
    return client
