"""The record of Slack requests already handled: first time yes, again no, forgotten later."""

from __future__ import annotations

from datetime import timedelta

from storage import slack_requests


def test_a_key_is_new_once_and_forgotten_after_the_replay_window(engine, now):
    assert slack_requests.first_time(engine, "sig:abc", now)
    assert not slack_requests.first_time(engine, "sig:abc", now + timedelta(seconds=1))
    assert slack_requests.prune(engine, now + timedelta(minutes=5)) == 0
    assert slack_requests.prune(engine, now + slack_requests.KEEP + timedelta(seconds=1)) == 1
    assert slack_requests.first_time(engine, "sig:abc", now + timedelta(minutes=11))
