"""The whole bot against the Slack stand-in: webhooks in, cards out, signed clicks back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from slack_standin import SlackStandin
from tests.support.slack_bot import Bot, make_bot
from tests.support.team import team

PEOPLE = {
    "U0ANA": ("ana", "Europe/Paris"),
    "U0BEN": ("ben", "Europe/Paris"),
    "U0CHLOE": ("chloe", "Europe/Paris"),
    "U0DEV": ("dev", "America/New_York"),
    "U0MIA": ("mia", "America/Los_Angeles"),
    "U0BOSS": ("boss", "Europe/London"),
    "U0STRANGER": ("stranger", "UTC"),
}


@pytest.fixture(scope="session")
def running_standin() -> Iterator[SlackStandin]:
    with SlackStandin() as slack:
        yield slack


# The bot token has exactly the scopes manifest.yml asks for: a call that needs another one
# answers missing_scope, as it would in a workspace that installed the app from the manifest.
MANIFEST_SCOPES = set(
    yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())["oauth_config"][
        "scopes"
    ]["bot"]
)


@pytest.fixture
def standin(running_standin: SlackStandin) -> SlackStandin:
    slack = running_standin
    slack.reset()
    slack.limit_scopes(MANIFEST_SCOPES)
    for user_id, (name, tz) in PEOPLE.items():
        slack.add_user(user_id, name, tz=tz, real_name=name.title())
    for channel, name in (("C0SALES", "sales"), ("C0OVER", "overflow"), ("C0TRIAGE", "triage")):
        slack.add_channel(channel, name)
    return slack


@pytest.fixture
def bot(standin: SlackStandin, tmp_path, now) -> Iterator[Bot]:  # type: ignore[no-untyped-def]
    made = make_bot(standin, tmp_path, now, team())
    yield made
    made.server.close()
