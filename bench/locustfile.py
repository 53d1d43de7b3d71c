"""The load of ``make loadtest`` (bench/loadtest.py starts everything):
anonymous browsing and search of the catalogue, buyers publishing tenders,
providers responding — all through the real HTTP stack.

Each simulated user thinks 0.5 to 2 s between actions. The mix, by weight:
browse 5, search 4, publish 1, respond 2."""

from __future__ import annotations

import datetime
import json
import os
import random

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ["LOADTEST_DATA"]).read())  # noqa: SIM115
WORDS = [
    "stockage",
    "souverain",
    "calcul",
    "sauvegarde",
    "HDS",
    "SecNumCloud",
    "objet",
    "kubernetes",
    "messagerie",
]


class Visitor(HttpUser):
    wait_time = between(0.5, 2)

    @task(3)
    def browse_home(self):
        self.client.get("/", name="browse /")

    @task(2)
    def browse_catalogue(self):
        self.client.get("/catalogue/", name="browse /catalogue/")

    @task(2)
    def browse_offers_api(self):
        self.client.get("/api/v1/offers/", name="browse /api/v1/offers/")

    @task(4)
    def search(self):
        self.client.get(
            f"/api/v1/offers/?q={random.choice(WORDS)}", name="search /api/v1/offers/?q="
        )

    @task(1)
    def publish(self):
        headers = {"Authorization": f"Token {random.choice(DATA['buyers'])}"}
        deadline = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=20)).isoformat()
        with self.client.post(
            "/api/v1/tenders/",
            json={
                "title": "Charge : stockage objet",
                "category": "iaas_storage",
                "cpv_code": "72317000-0",
                "level": "N1",
                "flags": [],
                "location_constraint": "EU",
                "quantity": "10",
                "unit": "TB_MONTH",
                "duration_months": 12,
                "estimated_value": "50000",
                "response_deadline": deadline,
            },
            headers=headers,
            name="publish: create",
            catch_response=True,
        ) as created:
            if created.status_code != 201:
                created.failure(f"{created.status_code}: {created.text[:200]}")
                return
        self.client.post(
            f"/api/v1/tenders/{created.json()['id']}/publish/",
            headers=headers,
            name="publish: publish",
        )

    @task(2)
    def respond(self):
        if not DATA["responders"]:
            return
        responder = random.choice(DATA["responders"])
        self.client.post(
            f"/api/v1/tenders/{DATA['tender']}/responses/",
            json={
                "offer": responder["offer"],
                "total_price": f"{random.randint(5000, 90000)}.00",
                "technical_answer": "Réponse technique : hébergement en France, équipe support 24/7.",
            },
            headers={"Authorization": f"Token {responder['token']}"},
            name="respond",
        )
