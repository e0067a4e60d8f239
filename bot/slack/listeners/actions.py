"""Buttons on lead cards and in the App Home. Ack first; the card is re-rendered from state
by the outbox, never patched from the click."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack.home import publish_home
from bot.slack.ids import Action, LeadRef
from bot.slack.listeners.lazy import later
from bot.slack.views import decline_modal, reassign_modal
from bot.slack.wording import EXPIRED_TRIGGER, OLD_BUTTON, not_allowed, refusal, tell
from routing import rulebook
from storage import availability, lifecycle
from storage.lifecycle import Refused
from storage.models import CLOSED_STATES, LeadState

log = logging.getLogger(__name__)
TRIGGER_ERRORS = ("expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id")


def _value(action: dict[str, Any]) -> Any:
    return action.get("value")


def _selected(action: dict[str, Any]) -> Any:
    """The outcome menu's choice, if it is one of ours (an outcome we know)."""
    value = (action.get("selected_option") or {}).get("value")
    ref = LeadRef.read(value)
    if ref is None or ref.outcome not in {s.value for s in CLOSED_STATES}:
        return None
    return value


def register(app: App, runtime: Runtime) -> None:
    config = runtime.config

    def lead_button(
        name: Action, what: rulebook.Action, value: Callable[[dict[str, Any]], Any] = _value
    ) -> Callable[[Callable[[LeadRef, str, datetime], None]], None]:
        """A card button that changes its lead: the value read (an older card's gets a
        sentence), the change made, a refusal worded for the person who clicked."""

        def register_transition(change: Callable[[LeadRef, str, datetime], None]) -> None:
            @later(app.action(name.value))
            def handler(
                action: dict[str, Any],
                body: dict[str, Any],
                context: BoltContext,
                respond: Respond,
                client: WebClient,
            ) -> None:
                ref = LeadRef.read(value(action))
                if ref is None:
                    tell(body, respond, client, OLD_BUTTON)
                    return
                now = runtime.now()
                try:
                    change(ref, context["actor"], now)
                except Refused as refused:
                    tell(body, respond, client, refusal(refused, config, now, what))
                    return
                runtime.kick()

        return register_transition

    @lead_button(Action.claim, rulebook.Action.claim)
    def claim(ref: LeadRef, actor: str, now: datetime) -> None:
        lead = lifecycle.claim(runtime.engine, config, ref.lead, actor, now)
        if lead.assigned_at is not None:
            runtime.metrics.time_to_claim.labels(lead.pool or "").observe(
                (now - lead.assigned_at).total_seconds()
            )

    @lead_button(Action.contacted, rulebook.Action.contacted)
    def contacted(ref: LeadRef, actor: str, now: datetime) -> None:
        lifecycle.mark_contacted(runtime.engine, config, ref.lead, actor, now)

    @lead_button(Action.outcome, rulebook.Action.outcome, _selected)
    def outcome(ref: LeadRef, actor: str, now: datetime) -> None:
        assert ref.outcome is not None  # (_selected reads only options with an outcome)
        lifecycle.set_outcome(runtime.engine, config, ref.lead, actor, LeadState(ref.outcome), now)

    def open_modal(what: rulebook.Action, build: Any) -> Any:
        def handler(
            action: dict[str, Any],
            body: dict[str, Any],
            context: BoltContext,
            client: WebClient,
            respond: Respond,
        ) -> None:
            ref = LeadRef.read(action.get("value"))
            if ref is None:
                tell(body, respond, client, OLD_BUTTON)
                return
            try:
                lead = lifecycle.get_lead(runtime.engine, ref.lead)
            except Refused as refused:
                tell(body, respond, client, refusal(refused, config, runtime.now()))
                return
            verdict = rulebook.check(
                config,
                context["actor"],
                what,
                state=lead.state,
                open_to_pool=lead.open_to_pool,
                owner=lead.owner,
                pool_id=lead.pool,
            )
            if not verdict:  # the same rule storage applies when the form is submitted
                text = not_allowed(verdict.reason, lead, what, config, runtime.now())
                tell(body, respond, client, text)
                return
            # trigger_id expires 3 s after the click: the modal opens before anything slow
            try:
                client.views_open(trigger_id=body["trigger_id"], view=build(lead))
            except SlackApiError as failed:
                if failed.response.get("error") not in TRIGGER_ERRORS:
                    raise
                tell(body, respond, client, EXPIRED_TRIGGER)

        return handler

    later(app.action(Action.reassign.value))(open_modal(rulebook.Action.reassign, reassign_modal))
    later(app.action(Action.decline.value))(open_modal(rulebook.Action.decline, decline_modal))

    @app.action(Action.open_crm.value)
    def open_crm(ack: Ack) -> None:
        ack()  # a link button: Slack opens the CRM record itself; nothing to do here

    @later(app.action(Action.home_away.value))
    def home_away(context: BoltContext, client: WebClient) -> None:
        if context["rep"] is None:
            return
        availability.set_away(
            runtime.engine,
            config,
            context["actor"],
            runtime.now(),
            note="from App Home",
            actor=context["actor"],
        )
        runtime.kick()
        publish_home(runtime, client, context["user_id"])

    @later(app.action(Action.home_back.value))
    def home_back(context: BoltContext, client: WebClient) -> None:
        if context["rep"] is None:
            return
        availability.set_back(runtime.engine, config, context["actor"], runtime.now())
        publish_home(runtime, client, context["user_id"])
