import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_standin import SlackStandin


def modal(title: str = "Reassign lead", blocks: list | None = None) -> dict:
    return {
        "type": "modal",
        "callback_id": "reassign",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Reassign"},
        "private_metadata": "lead-1",
        "blocks": blocks
        if blocks is not None
        else [
            {
                "type": "input",
                "block_id": "to",
                "label": {"type": "plain_text", "text": "To"},
                "element": {"type": "users_select", "action_id": "new_owner"},
            },
        ],
    }


def home(n: int) -> dict:
    return {"type": "home", "blocks": [{"type": "divider"}] * n}


def refusal(call) -> str:
    with pytest.raises(SlackApiError) as failure:
        call()
    return failure.value.response["error"]


def test_a_fresh_trigger_opens_a_modal_once(web: WebClient, standin: SlackStandin) -> None:
    trigger = standin.issue_trigger("U0SAM")
    view = web.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "reassign" and view["hash"]
    [opened] = standin.views(user="U0SAM", kind="modal")
    assert opened.private_metadata == "lead-1" and opened.blocks == modal()["blocks"]
    assert refusal(lambda: web.views_open(trigger_id=trigger, view=modal())) == (
        "exchanged_trigger_id"
    )


def test_a_trigger_older_than_three_seconds_is_expired(web, standin) -> None:
    trigger = standin.issue_trigger("U0SAM")
    standin.clock.advance(3.5)
    assert refusal(lambda: web.views_open(trigger_id=trigger, view=modal())) == (
        "expired_trigger_id"
    )
    assert standin.views() == []


def test_an_unknown_trigger_is_invalid(web) -> None:
    assert refusal(lambda: web.views_open(trigger_id="1.2.nope", view=modal())) == (
        "invalid_trigger_id"
    )


def test_modal_schema_problems_are_invalid_arguments_as_slack_answers(web, standin) -> None:
    too_long = modal(title="Reassign this lead to someone")  # > 24 characters
    answer = refusal(
        lambda: web.views_open(trigger_id=standin.issue_trigger("U0SAM"), view=too_long)
    )
    assert answer == "invalid_arguments"
    no_submit = {k: v for k, v in modal().items() if k != "submit"}
    trigger = standin.issue_trigger("U0SAM")
    assert (
        refusal(lambda: web.views_open(trigger_id=trigger, view=no_submit)) == "invalid_arguments"
    )


def test_views_update_replaces_blocks_and_refuses_a_stale_hash(web, standin) -> None:
    opened = web.views_open(trigger_id=standin.issue_trigger("U0SAM"), view=modal())["view"]
    done = modal(blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Done"}}])
    updated = web.views_update(view_id=opened["id"], hash=opened["hash"], view=done)["view"]
    assert standin.views()[0].blocks == done["blocks"] and updated["hash"] != opened["hash"]
    stale = lambda: web.views_update(view_id=opened["id"], hash=opened["hash"], view=done)  # noqa: E731
    assert refusal(stale) == "hash_conflict"


def test_the_home_tab_is_published_per_user_within_100_blocks(web, standin) -> None:
    web.views_publish(user_id="U0SAM", view=home(100))
    web.views_publish(user_id="U0SAM", view=home(3))
    assert len(standin.home_view("U0SAM").blocks) == 3
    assert len(standin.views(kind="home")) == 1
    assert refusal(lambda: web.views_publish(user_id="U0SAM", view=home(101))) == (
        "invalid_arguments"
    )
    assert refusal(lambda: web.views_publish(user_id="U0NOBODY", view=home(1))) == "user_not_found"
