"""The weekly digest reaches each manager once a week, and only when configured."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs.digest import send_digest
from tests.support.slack_bot import make_bot
from tests.support.team import team

MONDAY_NINE = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)  # the team's time zone is UTC


def test_managers_get_last_weeks_stats_once_on_the_configured_morning(standin, tmp_path):
    config = team({"managers: [U0BOSS]": "managers: [U0BOSS]\ndigest: {day: mon, hour: 9}"})
    bot = make_bot(standin, tmp_path, MONDAY_NINE.replace(hour=8), config)
    try:
        assert send_digest(bot.runtime) is False  # 08:05: not yet
        bot.clock.current = MONDAY_NINE
        assert send_digest(bot.runtime) is True
        assert send_digest(bot.runtime) is False  # already sent this week
        bot.deliver()
        [digest] = bot.standin.messages(bot.standin.dm_channel("U0BOSS"))
        assert digest.text == "Weekly routing digest 2026-W48"
        assert "Median time to claim" in str(digest.blocks)
    finally:
        bot.server.close()


def test_no_digest_unless_configured(bot):
    assert bot.config.digest is None and send_digest(bot.runtime) is False
