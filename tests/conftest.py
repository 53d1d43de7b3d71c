import pytest
from rest_framework.test import APIClient

from config.celery_app import app as celery_app
from tests import factories


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process by default; tests marked `worker` use a real
    Celery worker process instead."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def api():
    return APIClient()


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


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
