"""The rulebook's fixes, as reps and managers meet them in Slack."""

from __future__ import annotations

import pytest

from bot.slack.ids import Action
from storage import lifecycle
from storage.lifecycle import Refused
from tests.support.slack_bot import make_bot
from tests.support.team import team
from tests.support.waiting import wait_until


def pool_manager_team():  # type: ignore[no-untyped-def]
    """The boss manages the overflow pool only (no top-level managers)."""
    return team(
        {
            "managers: [U0BOSS]": "managers: []",
            "overflow: {members: [mia], channel: C0OVER}": (
                "overflow: {members: [mia], channel: C0OVER, manager: U0BOSS}"
            ),
        }
    )


def test_a_pool_member_cannot_reassign_a_colleagues_offered_lead_to_himself(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0BEN", bot.card("C0SALES", lead_id), Action.reassign.value)
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert "can reassign it while it is offered to <@U0ANA>" in reply["text"]
    assert not bot.standin.views(user="U0BEN", kind="modal"), "no form to pick himself in"
    with pytest.raises(Refused):  # nor through an old form or any other way
        lifecycle.reassign(bot.engine, bot.config, lead_id, "ben", "ben", "mine", bot.clock())
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ana"


def test_not_mine_from_someone_else_does_not_move_the_lead(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0BEN", bot.card("C0SALES", lead_id), Action.decline.value)
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert "Only <@U0ANA> can say it is not theirs" in reply["text"]
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ana"


def test_reassigning_to_an_inactive_rep_is_refused_in_the_form(standin, tmp_path, now):
    config = team(
        {"mia: {slack_id: U0MIA, name: Mia}": "mia: {slack_id: U0MIA, name: Mia, active: false}"}
    )
    bot = make_bot(standin, tmp_path, now, config)
    try:
        lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
        bot.deliver()
        bot.slack.click("U0BOSS", bot.card("C0SALES", lead_id), Action.reassign.value)
        modal = wait_until(lambda: bot.standin.views(user="U0BOSS", kind="modal"))[-1]
        answer = bot.slack.submit_view(
            "U0BOSS", modal, {"reassign_user_input": "U0MIA", "reason_input": "cover"}
        )
        assert answer.json()["response_action"] == "errors"
        assert "inactive" in answer.json()["errors"]["reassign_user"]
        assert lifecycle.get_lead(bot.engine, lead_id).owner == "ana"
    finally:
        bot.server.close()


def test_a_pool_manager_manages_that_pools_leads_only(standin, tmp_path, now):
    config = pool_manager_team()
    bot = make_bot(standin, tmp_path, now, config)
    try:
        lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]  # sales: not the boss's pool
        bot.deliver()
        bot.slack.click("U0BOSS", bot.card("C0SALES", lead_id), Action.reassign.value)
        reply = wait_until(lambda: bot.standin.responses())[-1]
        assert "Only <@U0ANA> or a manager of this lead" in reply["text"]
        with pytest.raises(Refused):
            lifecycle.reassign(bot.engine, config, lead_id, "U0BOSS", "mia", "x", bot.clock())
    finally:
        bot.server.close()


def test_a_pool_managers_team_board_shows_their_pool(standin, tmp_path, now):
    config = pool_manager_team()
    bot = make_bot(standin, tmp_path, now, config)
    try:
        bot.post_lead(email="kim@acme.io")  # a sales lead, for Ana
        bot.deliver()
        bot.slack.home_opened("U0BOSS")
        board = str(wait_until(lambda: bot.standin.home_view("U0BOSS")).blocks)
        assert "Team board" in board and "<@U0MIA>" in board
        assert "<@U0ANA>" not in board and "Unclaimed: 0" in board
    finally:
        bot.server.close()


def test_routing_stats_shows_a_pool_manager_their_own_pools(standin, tmp_path, now):
    config = pool_manager_team()
    bot = make_bot(standin, tmp_path, now, config)
    try:
        bot.slack.command("U0BOSS", "/routing-stats")
        reports = wait_until(lambda: bot.standin.responses())
        assert [r["text"] for r in reports] == ["Routing stats · 7d · overflow"]

        bot.slack.command("U0BOSS", "/routing-stats", "sales")
        refused = wait_until(lambda: bot.standin.responses()[1:])[-1]["text"]
        assert refused.startswith("You manage overflow; the stats of sales are for")
    finally:
        bot.server.close()
