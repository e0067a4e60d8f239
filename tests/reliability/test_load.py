"""50 clients at once against one `leadrouter serve` on SQLite: every lead accepted, none lost
or doubled, and the round robin exact."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from storage.models import Assignment, LeadRow
from tests.reliability.conftest import SALES, LeadPoster, Servers

CLIENTS = 50
LEADS = 1000


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_fifty_concurrent_clients_lose_no_lead_and_keep_the_round_robin_exact(
    servers: Servers, db, poster: LeadPoster
) -> None:  # type: ignore[no-untyped-def]
    server = servers.serve("server")
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> list[tuple[int, dict]]:
        start.wait()
        answers = []
        for n in range(c, LEADS, CLIENTS):
            body = {"email": f"buyer{n}@load{n}.example", "company": f"Load {n}", "employees": 80}
            response = poster.post(server.url, body)
            answers.append((response.status_code, response.json()))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for batch in pool.map(client, range(CLIENTS)) for answer in batch]

    assert Counter(status for status, _body in answers) == {202: LEADS}
    assert not any(body.get("duplicate") for _status, body in answers)
    assert len({body["lead_id"] for _status, body in answers}) == LEADS
    with Session(db()) as session:
        leads = session.exec(select(LeadRow)).all()
        assignments = Counter(a.lead_id for a in session.exec(select(Assignment)).all())
    assert len(leads) == len({row.email for row in leads}) == LEADS
    assert set(assignments.values()) == {1} and len(assignments) == LEADS
    # the answers said the same as the database, and the pool of four shared exactly
    assert Counter(body["owner"] for _status, body in answers) == {rep: LEADS // 4 for rep in SALES}
    assert Counter(row.owner for row in leads) == {rep: LEADS // 4 for rep in SALES}
    assert server.errors() == []
