from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from slack_standin import SlackStandin


@pytest.fixture(scope="session")
def running_standin() -> Iterator[SlackStandin]:
    with SlackStandin() as slack:
        yield slack


@pytest.fixture
def standin(running_standin: SlackStandin) -> SlackStandin:
    """One server for the session, emptied and re-seeded for each test."""
    slack = running_standin
    slack.reset()
    slack.add_user("U0SAM", "sam", real_name="Sam Rivera", tz="Europe/Paris")
    slack.add_user("U0GONE", "gone", real_name="Former Rep", deleted=True)
    slack.add_channel("C0SALES", "sales")
    slack.add_channel("C0PRIVATE", "leadership", bot_is_member=False)
    slack.add_channel("C0OLD", "old-leads", archived=True)
    return slack


@pytest.fixture
def web(standin: SlackStandin) -> WebClient:
    """slack_sdk's client as the bot builds it, pointed at the stand-in."""
    return WebClient(base_url=standin.url, token=standin.token)


def button(action_id: str, text: str = "Claim", value: str = "lead-1") -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def card(text: str = "New lead: Acme", *buttons: dict) -> list[dict]:
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if buttons:
        blocks.append({"type": "actions", "block_id": "lead_actions", "elements": list(buttons)})
    return blocks
