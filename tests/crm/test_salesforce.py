"""bot.crm against the Salesforce stand-in: ownership by SOQL, Leads and Tasks written back,
the token renewed when Salesforce ends the session, Salesforce's refusals sorted."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.crm import writeback
from bot.crm.ownership import Ownership
from bot.crm.salesforce import SalesforceCrm
from bot.slack.errors import Failed, Handling
from crm_standins.salesforce import SalesforceStandin
from routing import Lead, RoutingConfig
from storage.models import LeadRow
from tests.crm.conftest import assigned_lead, crm_team, ownership_of

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
# A budget no loaded test machine misses with two or three calls to a local server; the
# tests of a slow CRM use SLOW's 300 ms.
CONFIG = crm_team("{provider: salesforce, budget_ms: 3000}")
SLOW = crm_team("{provider: salesforce, budget_ms: 300}")


def crm_of(salesforce: SalesforceStandin, **options: str) -> SalesforceCrm:
    if "access_token" in options:
        return SalesforceCrm(salesforce.url, **options)
    return SalesforceCrm(
        salesforce.url, client_id=salesforce.client_id, client_secret=salesforce.client_secret
    )


def lookup(
    salesforce: SalesforceStandin, config: RoutingConfig = CONFIG
) -> tuple[SalesforceCrm, Ownership]:
    crm = crm_of(salesforce)
    return crm, ownership_of(crm, config)


def lead(**fields) -> LeadRow:  # type: ignore[no-untyped-def]
    return assigned_lead(NOW, **fields)


@pytest.fixture
def reps(salesforce: SalesforceStandin) -> dict[str, str]:
    return {
        "ana": salesforce.add_user("ana@sales.io", name="Ana Silva"),
        "ben": salesforce.add_user("ben@sales.io", name="Ben Carter"),
        "other": salesforce.add_user("someone@else.io"),
    }


# ---------------------------------------------------------------- ownership


def test_a_contact_then_a_lead_then_an_account_owns_the_email(salesforce, reps):
    salesforce.add_lead("kim@acme.com", owner_id=reps["ben"])
    _crm, ownership = lookup(salesforce)
    answer = ownership.answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id == "ben"
    assert answer.why == "Salesforce: lead kim@acme.com is owned by Ben"
    salesforce.add_contact("kim@acme.com", owner_id=reps["ana"])
    fresh = lookup(salesforce)[1].answer(Lead(email="kim@acme.com"))
    assert fresh is not None and fresh.rep_id == "ana"


def test_the_account_whose_website_is_the_domain_owns_it_not_one_that_merely_contains_it(
    salesforce, reps
):
    """`Website LIKE '%acme.com%'` also matched notacme.com.au: a stranger's account named
    the owner. Only a website whose host is the domain (or a subdomain of it) counts."""
    salesforce.add_account("Not Acme", website="https://www.notacme.com.au", owner_id=reps["other"])
    answer = lookup(salesforce)[1].answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id is None
    assert answer.why == "Salesforce: nobody owns kim@acme.com or acme.com"
    salesforce.add_account("Acme", website="http://www.Acme.com/", owner_id=reps["ben"])
    found = lookup(salesforce)[1].answer(Lead(email="kim@acme.com"))
    assert found is not None and found.rep_id == "ben"
    assert found.why == "Salesforce: account acme.com is owned by Ben"


def test_free_mail_never_asks_for_an_account(salesforce, reps):
    lookup(salesforce)[1].answer(Lead(email="kim@gmail.com"))
    assert not any("FROM Account" in c.query.get("q", "") for c in salesforce.calls("query"))


def test_a_slow_salesforce_does_not_hold_the_lead(salesforce, reps):
    _crm, ownership = lookup(salesforce, SLOW)
    salesforce.slow("query", 2.0)
    started = time.monotonic()
    answer = ownership.answer(Lead(email="kim@acme.com"))
    assert time.monotonic() - started < 1.0  # Salesforce took 2 s
    assert answer is not None and answer.why == "Salesforce not consulted: no answer within 300 ms"


def test_owners_are_read_across_query_pages(salesforce, reps):
    salesforce.query_batch = 2
    owners = crm_of(salesforce).owners()
    assert set(owners.values()) >= {"ana@sales.io", "ben@sales.io", "someone@else.io"}
    assert len(salesforce.calls("query.more")) >= 1


# ---------------------------------------------------------------- write-back


def test_a_new_lead_becomes_a_salesforce_lead_with_its_owner_status_and_task(salesforce, reps):
    crm, ownership = lookup(salesforce)
    link, _note = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    [record] = salesforce.records("Lead")
    assert link is not None and link.record_id == record["Id"]
    assert (record["FirstName"], record["LastName"], record["Company"]) == ("Kim", "Lee", "Acme")
    assert record["OwnerId"] == reps["ana"] and record["Status"] == "Open - Not Contacted"
    [task] = salesforce.records("Task")
    assert task["WhoId"] == record["Id"] and task["OwnerId"] == reps["ana"]
    assert task["ActivityDate"] == "2026-12-02" and "leadrouter-12-ana" in task["Subject"]
    assert (
        task["IsReminderSet"]
        and task["ReminderDateTime"] == (NOW + timedelta(minutes=30)).timestamp()
    )
    writeback.sync(crm, ownership, CONFIG, lead(state="contacted"), link, NOW)
    assert salesforce.record(record["Id"])["Status"] == "Working - Contacted"


def test_long_form_answers_are_cut_to_salesforces_field_lengths(salesforce, reps):
    """A 130-character job title was refused with STRING_TOO_LONG, and the lead never reached
    Salesforce."""
    crm, ownership = lookup(salesforce)
    data = {"email": "kim@acme.com", "name": "Kim " + "L" * 100, "title": "VP " + "x" * 200}
    writeback.sync(crm, ownership, CONFIG, lead(data=data, company="C" * 300), None, NOW)
    [record] = salesforce.records("Lead")
    assert len(record["Title"]) == 128 and len(record["LastName"]) == 80
    assert len(record["Company"]) == 255


def test_a_duplicate_rule_match_is_the_record_written_to(salesforce, reps):
    """A blocking duplicate rule refuses the new Lead and names the one to use: it is used."""
    existing = salesforce.add_lead(
        "kim@old-acme.com", FirstName="Kim", LastName="Lee", Company="Acme"
    )
    salesforce.block_duplicates = True
    crm, ownership = lookup(salesforce)
    link, _ = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert link is not None and link.record_id == existing
    assert salesforce.record(existing)["OwnerId"] == reps["ana"]
    assert len(salesforce.records("Lead")) == 1


def test_a_duplicate_of_a_contact_is_given_up_saying_which(salesforce, reps):
    contact = salesforce.add_contact("kim@acme.com", owner_id=reps["ben"])
    salesforce.block_duplicates = True
    crm, ownership = lookup(salesforce)
    with pytest.raises(Failed) as refused:
        writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert refused.value.kind is Handling.permanent
    assert "DUPLICATES_DETECTED" in refused.value.code and contact in refused.value.code


# ---------------------------------------------------------------- the session and refusals


def test_an_ended_session_is_renewed_once_with_the_client_credentials(salesforce, reps):
    crm, ownership = lookup(salesforce)
    salesforce.expire_sessions()
    writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert salesforce.tokens_issued == 2 and len(salesforce.records("Lead")) == 1
    assert 401 in [c.status for c in salesforce.calls("query")]


def test_many_calls_refused_at_once_share_one_new_token(salesforce, reps):
    crm = crm_of(salesforce)
    crm.owners()
    salesforce.expire_sessions()
    with ThreadPoolExecutor(6) as pool:
        found = list(pool.map(lambda _n: crm.find_record("kim@acme.com"), range(6)))
    assert found == [None] * 6 and salesforce.tokens_issued == 2


def test_a_static_token_salesforce_ends_is_given_up_visibly(salesforce, reps):
    crm = crm_of(salesforce, access_token=salesforce.session())
    salesforce.expire_sessions()
    with pytest.raises(Failed) as refused:
        crm.find_record("kim@acme.com")
    assert refused.value.kind is Handling.permanent and "INVALID_SESSION_ID" in refused.value.code


def test_the_daily_api_allocation_spent_waits_and_an_outage_retries(salesforce, reps):
    crm = crm_of(salesforce)
    salesforce.limit_api(5, used=5)
    with pytest.raises(Failed) as limited:
        crm.find_record("kim@acme.com")
    assert limited.value.kind is Handling.rate_limited and limited.value.retry_after == 3600
    salesforce.limit_api(None)
    salesforce.outage("query", status=503)
    with pytest.raises(Failed) as down:
        crm.find_record("kim@acme.com")
    assert down.value.kind is Handling.transient and "503" in down.value.code


def test_a_lead_converted_in_salesforce_meanwhile_is_left_to_salesforce(salesforce, reps):
    """A rep marks the lead contacted in Slack after the Lead was converted in Salesforce (the
    outcome poll has not run yet): Salesforce refuses to change a converted Lead, which is no
    failure (it was given up, and the triage channel told, for nothing)."""
    crm, ownership = lookup(salesforce)
    link, _ = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert link is not None
    salesforce.convert_lead(link.record_id)
    writeback.sync(crm, ownership, CONFIG, lead(state="contacted"), link, NOW)
    assert salesforce.record(link.record_id)["Status"] == "Closed - Converted"
    assert [c.status for c in salesforce.calls("sobjects.update")][-1] == 400
