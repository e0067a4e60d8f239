"""Write-back: the record found or created, owner and status written once, a task for a new
owner, never twice, and nothing without an email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.crm import writeback
from bot.crm.ownership import Ownership
from routing.loader import parse_config
from storage.models import LeadRow
from tests.crm.fake import FakeCrm
from tests.support.team import TEAM_YAML

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CONFIG = parse_config(
    TEAM_YAML.replace(
        "ana: {slack_id: U0ANA, name: Ana, capacity: 100}",
        "ana: {slack_id: U0ANA, name: Ana, capacity: 100, email: ana@sales.io}",
    )
    + "crm: {provider: hubspot}\n",
    "team.yml",
)


def lead(**fields) -> LeadRow:  # type: ignore[no-untyped-def]
    values = {
        "id": 12, "created_at": NOW, "source": "typeform", "email": "kim@acme.com",
        "company": "Acme", "data": {"email": "kim@acme.com", "name": "Kim Lee"},
        "state": "assigned", "owner": "ana", "reason": "North America → pool na",
        "claim_due_at": NOW + timedelta(minutes=30),
    }  # fmt: skip
    return LeadRow(**{**values, **fields})


def setup() -> tuple[FakeCrm, Ownership]:
    crm = FakeCrm(owners_by_id={"11": "ana@sales.io"})
    lookup = Ownership(crm, CONFIG)
    lookup.refresh_owners()
    return crm, lookup


def test_a_new_lead_gets_a_contact_its_owner_its_status_and_one_task():
    crm, lookup = setup()
    link, _note = writeback.sync(crm, lookup, CONFIG, lead(), None, NOW)
    assert link is not None and link.record_id == "100" and link.url
    assert crm.contacts["kim@acme.com"]["owner"] == "11"
    assert crm.updates == [("100", {"hs_lead_status": "NEW"})]  # the owner was set at creation
    [(record, task)] = crm.tasks
    assert record == "100" and task.owner_id == "11" and task.due == NOW + timedelta(minutes=30)
    assert "Follow up Kim Lee (Acme)" in task.subject and task.marker == "leadrouter-12-ana"

    again, _ = writeback.sync(crm, lookup, CONFIG, lead(), link, NOW)  # nothing new to say
    assert len(crm.updates) == 1 and len(crm.tasks) == 1 and again is link


def test_a_claim_writes_only_the_new_status():
    crm, lookup = setup()
    link, _ = writeback.sync(crm, lookup, CONFIG, lead(), None, NOW)
    writeback.sync(crm, lookup, CONFIG, lead(state="claimed"), link, NOW)
    assert crm.updates[-1] == ("100", {"hs_lead_status": "OPEN"})
    assert len(crm.tasks) == 1


def test_a_retry_in_doubt_does_not_create_the_task_twice():
    crm, lookup = setup()
    link, _ = writeback.sync(crm, lookup, CONFIG, lead(), None, NOW)
    link.task_for = None  # as if the first attempt's answer was lost after the task was made
    writeback.sync(crm, lookup, CONFIG, lead(), link, NOW, in_doubt=True)
    assert len(crm.tasks) == 1


def test_won_sets_the_lifecycle_stage_too():
    crm, lookup = setup()
    link, _ = writeback.sync(crm, lookup, CONFIG, lead(), None, NOW)
    writeback.sync(crm, lookup, CONFIG, lead(state="won"), link, NOW)
    assert crm.updates[-1][1] == {"hs_lead_status": "OPEN_DEAL", "lifecyclestage": "customer"}


def test_a_lead_without_email_is_not_written():
    crm, lookup = setup()
    link, note = writeback.sync(crm, lookup, CONFIG, lead(email=None, data={}), None, NOW)
    assert link is None and "no email" in note and crm.contacts == {}
