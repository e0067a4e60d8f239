"""The bot's own token refused by Slack pauses delivery: nothing is given up or re-routed,
/healthz and a gauge say why, one log line marks each change, and delivery resumes by itself."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.slack.delivery import PROBE_SECONDS
from storage import lifecycle
from storage.models import OutboxMessage


def statuses(bot) -> set[str]:  # type: ignore[no-untyped-def]
    with Session(bot.engine) as session:
        return {m.status for m in session.exec(select(OutboxMessage))}


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_refused_token_pauses_delivery_and_it_resumes_once_the_token_works(bot, error, caplog):
    caplog.set_level(logging.INFO, logger="bot.slack.status")
    bot.standin.break_token(error)
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    for _ in range(3):
        bot.deliver()
        bot.clock.current += timedelta(seconds=5)

    lead = lifecycle.get_lead(bot.engine, lead_id)
    assert (lead.state, lead.owner) == ("assigned", "ana"), "nobody was taken for unreachable"
    assert statuses(bot) == {"pending"}, "nothing is marked dead"
    health = bot.http.get("/healthz")
    assert health.status_code == 503
    assert health.json()["slack"]["error"] == error
    assert bot.standin.token not in health.text
    assert (
        f'leadrouter_slack_delivery_paused{{error="{error}"}} 1.0' in bot.http.get("/metrics").text
    )
    assert len([r for r in caplog.records if "paused" in r.message]) == 1

    bot.standin.restore_token()
    bot.clock.current += timedelta(seconds=PROBE_SECONDS)
    bot.deliver()
    assert bot.card("U0ANA", lead_id) and bot.card("C0SALES", lead_id)
    assert statuses(bot) == {"sent"}
    assert bot.http.get("/healthz").status_code == 200
    assert "leadrouter_slack_delivery_paused{" not in bot.http.get("/metrics").text
    assert len([r for r in caplog.records if "resumed" in r.message]) == 1
    assert not bot.standin.messages("C0TRIAGE")


def test_account_inactive_for_one_rep_moves_their_lead_on(bot):
    """Slack answers account_inactive for a deactivated recipient too; auth.test tells them
    apart: the bot's token works, so only this rep is unreachable."""
    bot.standin.fail("chat.postMessage", "account_inactive", channel="U0ANA", times=1)
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    bot.deliver()
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ben"
    assert bot.card("U0BEN", lead_id)
    assert bot.http.get("/healthz").status_code == 200


def test_a_missing_scope_pauses_until_the_token_has_it(bot):
    bot.standin.limit_scopes({"chat:write", "commands"})  # users:read taken away
    bot.post_lead(email="kim@acme.io", company="Acme")
    bot.deliver()
    slack = bot.http.get("/healthz").json()["slack"]
    assert slack["error"] == "missing_scope" and "users:read" in slack["why"]

    bot.clock.current += timedelta(seconds=PROBE_SECONDS)
    bot.deliver()  # auth.test works, but X-OAuth-Scopes still lacks users:read
    assert bot.http.get("/healthz").status_code == 503

    bot.standin.limit_scopes({"chat:write", "commands", "users:read"})
    bot.clock.current += timedelta(seconds=PROBE_SECONDS)
    bot.deliver()
    assert bot.http.get("/healthz").status_code == 200
    assert statuses(bot) == {"sent"}
