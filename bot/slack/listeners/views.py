"""Modal submissions: reassign (pick a person, give a reason) and not mine (a reason)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.runtime import Runtime
from bot.slack.ids import (
    REASON_BLOCK,
    REASON_INPUT,
    REASSIGN_USER_BLOCK,
    REASSIGN_USER_INPUT,
    LeadRef,
    View,
)
from bot.slack.wording import STALE_FORM, notice_modal, refusal
from routing import rulebook
from storage import lifecycle
from storage.lifecycle import Refused


def _again(context: BoltContext) -> bool:
    """A replay of a submission already handled (the middleware's check)."""
    first_time = context.get("first_time")
    return first_time is not None and not first_time()


def _value(view: dict[str, Any], block: str, action: str, key: str) -> Any:
    return view["state"]["values"].get(block, {}).get(action, {}).get(key)


def register(app: App, runtime: Runtime) -> None:
    config = runtime.config

    @app.view(View.reassign.value)
    def reassign(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
        if _again(context):
            ack()
            return
        ref = LeadRef.read(view.get("private_metadata"))
        if ref is None:
            ack(response_action="update", view=notice_modal("Out of date", STALE_FORM))
            return
        chosen = _value(view, REASSIGN_USER_BLOCK, REASSIGN_USER_INPUT, "selected_user")
        reason = (_value(view, REASON_BLOCK, REASON_INPUT, "value") or "").strip()
        rep = config.rep_by_slack_id(chosen or "")
        if rep is None:
            ack(
                response_action="errors",
                errors={REASSIGN_USER_BLOCK: "That person is not a rep in routing.yml."},
            )
            return
        try:
            lifecycle.reassign(
                runtime.engine, config, ref.lead, context["actor"], rep.id, reason, runtime.now()
            )
        except Refused as refused:
            ack(
                response_action="errors",
                errors={
                    REASSIGN_USER_BLOCK: refusal(
                        refused, config, runtime.now(), rulebook.Action.reassign
                    )[:150]
                },
            )
            return
        ack()
        runtime.kick()

    @app.view(View.decline.value)
    def decline(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
        if _again(context):
            ack()
            return
        ref = LeadRef.read(view.get("private_metadata"))
        if ref is None:
            ack(response_action="update", view=notice_modal("Out of date", STALE_FORM))
            return
        reason = (_value(view, REASON_BLOCK, REASON_INPUT, "value") or "").strip()
        try:
            lifecycle.decline(
                runtime.engine, config, ref.lead, context["actor"], reason, runtime.now()
            )
        except Refused as refused:
            ack(
                response_action="errors",
                errors={
                    REASON_BLOCK: refusal(refused, config, runtime.now(), rulebook.Action.decline)[
                        :150
                    ]
                },
            )
            return
        ack()
        runtime.kick()
