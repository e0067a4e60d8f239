"""manifest.yml is a valid Slack manifest and matches what the code handles, no more, no less."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from bot.slack.ids import Action, Command
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
SCHEMA = json.loads((Path(__file__).with_name("data") / "manifest.schema.json").read_text())


def test_the_manifest_follows_slacks_published_schema():
    jsonschema.validate(MANIFEST, SCHEMA)
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", MANIFEST["display_information"]["background_color"])


def test_every_slash_command_is_handled_and_every_handled_command_is_declared(bot):
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == {c.value for c in Command}
    for command in sorted(declared):
        response = bot.slack.command("U0BOSS", command, "")
        assert response.status_code == 200, f"{command} is not handled"
    wait_until(lambda: len(bot.standin.responses()) >= 2)  # /away and /back reply to a manager


def test_commands_have_descriptions_and_usage_hints_where_they_take_arguments():
    for command in MANIFEST["features"]["slash_commands"]:
        assert command["description"]
        assert command["url"].endswith("/slack/events")
    hints = {c["command"]: c.get("usage_hint") for c in MANIFEST["features"]["slash_commands"]}
    assert hints["/away"] and hints["/routing-stats"]


def test_every_button_the_bot_shows_is_answered(bot):
    """Bolt answers 404 to an action no listener takes: click every button the bot renders."""
    from storage import lifecycle

    clicked = set()
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    for action in (Action.decline, Action.reassign, Action.claim):
        assert bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), action.value).status_code == 200
        clicked.add(action)
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
    bot.deliver()
    card = bot.card("U0ANA", lead_id)
    assert bot.slack.click("U0ANA", card, Action.contacted.value).status_code == 200
    outcome = f'{{"lead":{lead_id},"outcome":"lost"}}'
    assert bot.slack.click("U0ANA", card, Action.outcome.value, outcome).status_code == 200
    clicked |= {Action.contacted, Action.outcome}

    bot.slack.home_opened("U0ANA")
    home = wait_until(lambda: bot.standin.home_view("U0ANA"))
    assert bot.slack.click("U0ANA", home, Action.home_away.value).status_code == 200
    wait_until(lambda: "home_back" in json.dumps(bot.standin.home_view("U0ANA").blocks))
    home = bot.standin.home_view("U0ANA")
    assert bot.slack.click("U0ANA", home, Action.home_back.value).status_code == 200
    clicked |= {Action.home_away, Action.home_back}

    crm_button = {"type": "button", "action_id": Action.open_crm.value, "url": "https://x.io",
                  "text": {"type": "plain_text", "text": "Open in HubSpot"}}  # fmt: skip
    card.blocks.append({"type": "actions", "elements": [crm_button]})
    assert bot.slack.click("U0ANA", card, Action.open_crm.value).status_code == 200
    clicked.add(Action.open_crm)
    assert clicked == set(Action), "a new action id needs a click here"


def test_events_interactivity_and_home_are_declared_and_socket_mode_is_off():
    settings = MANIFEST["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_the_bot_asks_for_the_smallest_set_of_scopes():
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "chat:write",
        "commands",
        "users:read",
        # to look for a card before posting it again (bot.slack.post_once)
        "channels:history",
        "groups:history",
        "im:history",
        "im:write",
    }
    assert "user" not in MANIFEST["oauth_config"]["scopes"]


def test_the_home_event_is_handled(bot):
    assert bot.slack.home_opened("U0ANA").status_code == 200
    wait_until(lambda: bot.standin.home_view("U0ANA"))
