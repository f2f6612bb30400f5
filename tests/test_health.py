from django.urls import reverse


def test_health_answers_ok_when_database_and_broker_answer(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_health_reports_a_broker_that_does_not_answer(client, db, monkeypatch):
    from converse import health

    monkeypatch.setattr(health, "_broker_ok", lambda: False)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"] is False
