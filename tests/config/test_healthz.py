import pytest

from tests.worker import celery_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_reports_every_service_ok_with_a_live_worker(client):
    with celery_worker():
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "ok"}


@pytest.mark.django_db
def test_it_answers_503_naming_the_missing_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert "no Celery worker" in body["worker"]


@pytest.mark.django_db
def test_it_reports_a_database_failure_as_text(client, monkeypatch):
    from config import views

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(views, "_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "RuntimeError: connection refused"
