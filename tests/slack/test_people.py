"""The one Slack time-zone lookup that /away and /routing-stats share."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.slack.people import slack_zone

PARIS = ZoneInfo("Europe/Paris")


class Client:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def users_info(self, user: str) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_zone_slack_shows_wins():
    client = Client({"user": {"tz": "America/New_York"}})
    assert slack_zone(client, "U1", PARIS) == ZoneInfo("America/New_York")  # type: ignore[arg-type]


def test_a_zone_unknown_here_or_no_answer_falls_back_instead_of_failing():
    for answer in (
        {"user": {"tz": "Mars/Olympus_Mons"}},
        {"user": {}},
        SlackApiError("down", {"ok": False, "error": "fatal_error"}),
    ):
        assert slack_zone(Client(answer), "U1", PARIS) == PARIS  # type: ignore[arg-type]
