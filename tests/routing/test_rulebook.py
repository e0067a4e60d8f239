"""routing.rulebook: one table of who may do what, in which state."""

from __future__ import annotations

import pytest

from routing import rulebook
from routing.rulebook import Action
from tests.support.team import team

CONFIG = team(
    {
        "managers: [U0BOSS]": "managers: [U0BOSS]",
        "overflow: {members: [mia], channel: C0OVER}": (
            "overflow: {members: [mia], channel: C0OVER, manager: chloe}"
        ),
    }
)


def verdict(actor: str, action: Action, state: str = "assigned", **lead: object):  # type: ignore[no-untyped-def]
    fields = {"owner": "ana", "pool_id": "sales", "open_to_pool": False, **lead}
    return rulebook.check(CONFIG, actor, action, state=state, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actor", "action", "state", "lead", "allowed"),
    [
        ("ana", Action.claim, "assigned", {}, True),
        ("ben", Action.claim, "assigned", {}, False),  # offered to Ana
        ("ben", Action.claim, "assigned", {"open_to_pool": True}, True),
        ("mia", Action.claim, "assigned", {"open_to_pool": True}, False),  # not in the pool
        ("mia", Action.claim, "triage", {"owner": None, "pool_id": None}, True),
        ("ana", Action.decline, "assigned", {}, True),
        ("ben", Action.decline, "assigned", {}, False),  # only the owner says "not mine"
        ("U0BOSS", Action.decline, "assigned", {}, False),  # a manager reassigns instead
        ("ben", Action.reassign, "assigned", {}, False),  # no cherry-picking an offered lead
        ("ben", Action.reassign, "assigned", {"open_to_pool": True}, True),
        ("U0BOSS", Action.reassign, "assigned", {}, True),
        ("chloe", Action.reassign, "assigned", {"owner": "mia", "pool_id": "overflow"}, True),
        ("ana", Action.contacted, "claimed", {}, True),
        ("ben", Action.contacted, "claimed", {}, False),
        ("ana", Action.contacted, "assigned", {}, False),  # claim first
        ("U0BOSS", Action.outcome, "contacted", {}, True),
        ("ana", Action.outcome, "won", {}, False),
    ],
)
def test_the_table(actor, action, state, lead, allowed):
    assert bool(verdict(actor, action, state, **lead)) is allowed


def test_a_pool_manager_manages_that_pool_only():
    # chloe manages overflow (mia's pool), and is a plain member of sales
    assert verdict("chloe", Action.outcome, "claimed", owner="mia", pool_id="overflow")
    assert not verdict("chloe", Action.outcome, "claimed")  # ana's lead, in sales
    assert rulebook.managed_pools(CONFIG, "chloe") == {"overflow"}
    assert rulebook.managed_pools(CONFIG, "U0BOSS") is None  # top-level: every pool
    assert rulebook.is_manager(CONFIG, "chloe") and not rulebook.is_manager(CONFIG, "ben")


def test_reasons_say_why_not():
    assert verdict("ben", Action.claim).reason == "offered_to_owner"
    assert verdict("ben", Action.decline).reason == "only_owner_declines"
    assert verdict("ana", Action.contacted).reason == "wrong_state"
    managers_only = team(
        {"managers: [U0BOSS]": "managers: [U0BOSS]\npermissions: {reassign: managers}"}
    )
    denied = rulebook.check(
        managers_only, "ana", Action.reassign, state="assigned", owner="ana", pool_id="sales"
    )
    assert denied.reason == "managers_only"


def test_the_card_shows_what_somebody_may_do_in_each_state():
    assert rulebook.actions("assigned") == [Action.claim, Action.decline, Action.reassign]
    assert rulebook.actions("triage") == [Action.claim, Action.reassign]
    assert rulebook.actions("claimed") == [Action.reassign, Action.contacted, Action.outcome]
    assert rulebook.actions("won") == []
