"""Registered last: whatever no other listener takes still gets an answer a person can read.

Buttons stay on old messages for ever, so clicks arrive with action ids of older versions;
forms stay open while the app is upgraded. Bolt would answer those with a 404 (Slack shows the
person an error, or nothing); here each gets a sentence.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.listeners.lazy import later
from bot.slack.wording import (
    OLD_BUTTON,
    STALE_FORM,
    UNKNOWN_COMMAND,
    notice_modal,
    tell,
)

log = logging.getLogger(__name__)
ANY = re.compile(".*")


def register(app: App, runtime: Runtime) -> None:
    @later(app.action(ANY))
    def old_button(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        log.info("a click on an action id we no longer have: %s", action.get("action_id"))
        tell(body, respond, client, OLD_BUTTON)

    @app.view({"type": "view_submission", "callback_id": ANY})
    def old_form(ack: Ack, view: dict[str, Any]) -> None:
        log.info("a form we no longer have was submitted: %s", view.get("callback_id"))
        ack(response_action="update", view=notice_modal("Out of date", STALE_FORM))

    @later(app.command(ANY))
    def unknown_command(command: dict[str, Any], respond: Respond) -> None:
        respond(UNKNOWN_COMMAND.format(command=command.get("command", "that command")))

    @app.event(ANY)
    def other_event(ack: Ack) -> None:
        ack()  # an event we did not subscribe to (the app's settings changed): nothing to do
