"""Modal submissions: reassign (pick a person, give a reason) and not mine (a reason)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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

    def lead_form(
        name: View, what: rulebook.Action, error_block: str
    ) -> Callable[[Callable[[LeadRef, dict[str, Any], str, datetime], None]], None]:
        """A submitted form that changes its lead: done once (a replay is acknowledged and
        ignored), an out-of-date form answered in the form, a refusal shown under its field."""

        def register_submission(change: Callable[[LeadRef, dict[str, Any], str, datetime], None]):
            @app.view(name.value)
            def handler(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
                if _again(context):
                    ack()
                    return
                ref = LeadRef.read(view.get("private_metadata"))
                if ref is None:
                    ack(response_action="update", view=notice_modal("Out of date", STALE_FORM))
                    return
                now = runtime.now()
                try:
                    change(ref, view, context["actor"], now)
                except Refused as refused:
                    text = refusal(refused, config, now, what)[:150]
                    ack(response_action="errors", errors={error_block: text})
                    return
                ack()
                runtime.kick()

        return register_submission

    @lead_form(View.reassign, rulebook.Action.reassign, REASSIGN_USER_BLOCK)
    def reassign(ref: LeadRef, view: dict[str, Any], actor: str, now: datetime) -> None:
        chosen = _value(view, REASSIGN_USER_BLOCK, REASSIGN_USER_INPUT, "selected_user")
        reason = (_value(view, REASON_BLOCK, REASON_INPUT, "value") or "").strip()
        rep = config.rep_by_slack_id(chosen or "")
        if rep is None:
            raise Refused("unknown_rep", "that person is not a rep in routing.yml")
        lifecycle.reassign(runtime.engine, config, ref.lead, actor, rep.id, reason, now)

    @lead_form(View.decline, rulebook.Action.decline, REASON_BLOCK)
    def decline(ref: LeadRef, view: dict[str, Any], actor: str, now: datetime) -> None:
        reason = (_value(view, REASON_BLOCK, REASON_INPUT, "value") or "").strip()
        lifecycle.decline(runtime.engine, config, ref.lead, actor, reason, now)
