"""Delivers the outbox to Slack: lead cards, card updates, DMs and alerts.

Each pass leases due messages in a short transaction, calls Slack with no database lock held,
then records the result. Slack trouble delays a message, never drops it:
- 429: that message waits Retry-After; other messages to that channel wait too, other
  channels go on;
- 5xx, timeouts, connection errors: retried with backoff (5 s, doubling, at most 10 min);
- a rep who cannot be reached (deactivated, deleted, not found): their lead is re-routed and
  the triage channel is told;
- a channel we cannot post to: the card goes to the triage channel, with the reason;
- the bot token refused (revoked, invalid, missing a scope, deactivated): all delivery pauses,
  nothing is given up, and auth.test is tried every PROBE_SECONDS until it works again
  (bot.slack.status says so in /healthz, a gauge and the log);
- a card Slack refuses (invalid_blocks): a minimal card with the buttons goes instead, and the
  triage channel is told, so the lead can always be claimed;
- our own mistakes: marked dead, counted in metrics, logged.
A card is posted at most once per conversation: the copy is recorded, and a retried post finds it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack import messages
from bot.slack.cards import Card, minimal_card, render_card
from bot.slack.errors import Handling, error_code, handling, retry_after
from storage import card_copies, lifecycle, outbox, queries
from storage.db import transaction
from storage.lifecycle import Refused
from storage.models import LeadRow, OutboxMessage, SlackMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
FIRST_RETRY = 5.0
MAX_RETRY = 600.0
USER_CACHE_SECONDS = 600
PROBE_SECONDS = 30.0  # while the token is refused, auth.test this often

# Every call goes through slack_sdk's typed method, which encodes it as Slack reads that method:
# a JSON body for chat.*, a query string for users.info (Slack ignores a JSON body there).
WEB_API = {
    "chat.postMessage": WebClient.chat_postMessage,
    "chat.update": WebClient.chat_update,
    "users.info": WebClient.users_info,
    "auth.test": WebClient.auth_test,
}


class Delivered(Exception):
    """Raised inside a delivery to say: nothing more to do for this message."""


class RetryLater(Exception):
    def __init__(self, seconds: float, reason: str, channel: str | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason
        self.channel = channel


class Delivery:
    def __init__(self, runtime: Runtime, client: WebClient) -> None:
        self.runtime = runtime
        self.client = client
        self.status = runtime.slack
        self.blocked_until: dict[str, datetime] = {}  # channel -> end of its rate limit
        self._users: dict[str, tuple[float, bool]] = {}  # slack id -> (fetched at, reachable)
        self._next_probe: datetime | None = None

    # ------------------------------------------------------------ the loop

    def run_once(self, limit: int = 50) -> int:
        """Deliver what is due now; returns how many messages were handled (0 while the
        token is refused and the next auth.test is not due)."""
        if self.status.paused and not self.probe():
            return 0
        now = self.runtime.now()
        with transaction(self.runtime.engine) as session:
            batch = outbox.lease_due(session, now, LEASE, limit)
        for message in batch:
            if self.status.paused:  # the token failed mid-batch: hand the rest back untried
                self._release(message, f"paused: {self.status.error}")
            else:
                self._handle(message)
        return len(batch)

    def probe(self, *, force: bool = False) -> bool:
        """While paused: auth.test (at most every PROBE_SECONDS unless forced), and resume
        when Slack takes the token again (with the scope it lacked). True when working."""
        if not self.status.paused:
            return True
        now = self.runtime.now()
        if not force and self._next_probe is not None and now < self._next_probe:
            return False
        self._next_probe = now + timedelta(seconds=PROBE_SECONDS)
        try:
            answer = self._call("auth.test", probing=True)
        except Exception as exc:
            if handling(exc) is not Handling.token:
                log.warning("auth.test while paused failed: %s", error_code(exc))
            return False
        needed = self.status.needed_scope
        granted = _scopes(answer)
        if needed and granted is not None and needed not in granted:
            return False
        self.status.resume()
        self._next_probe = None
        self.runtime.kick()
        return True

    def _release(self, message: OutboxMessage, reason: str) -> None:
        assert message.id is not None
        with transaction(self.runtime.engine) as session:
            outbox.mark_retry(session, message.id, self.runtime.now(), reason, attempt=False)

    def drain(self, rounds: int = 20) -> None:
        """Deliver until nothing is due (tests and the demo)."""
        for _ in range(rounds):
            if self.run_once() == 0:
                return

    def _handle(self, message: OutboxMessage) -> None:
        metrics = self.runtime.metrics
        assert message.id is not None
        try:
            self._deliver(message)
        except RetryLater as later:
            at = self.runtime.now() + timedelta(seconds=later.seconds)
            if later.channel:
                self.blocked_until[later.channel] = at
            with transaction(self.runtime.engine) as session:
                # waiting out a rate limit is not a failed attempt: no backoff growth
                outbox.mark_retry(session, message.id, at, later.reason, attempt=False)
            metrics.notifications.labels(message.kind, "retry").inc()
            return
        except Exception as exc:
            kind = handling(exc)
            code = error_code(exc)
            if kind is Handling.token:
                self._pause(exc)
                self._release(message, f"paused: {code}")
                return
            if kind in (Handling.transient, Handling.rate_limited):
                delay = (
                    retry_after(exc)
                    if kind is Handling.rate_limited
                    else min(FIRST_RETRY * 2**message.attempts, MAX_RETRY)
                )
                with transaction(self.runtime.engine) as session:
                    outbox.mark_retry(
                        session, message.id, self.runtime.now() + timedelta(seconds=delay), code
                    )
                metrics.notifications.labels(message.kind, "retry").inc()
                log.warning(
                    "outbox %s (%s) will retry in %.0fs: %s", message.id, message.kind, delay, code
                )
                return
            with transaction(self.runtime.engine) as session:
                outbox.mark_dead(session, message.id, code)
            metrics.notifications.labels(message.kind, "dead").inc()
            log.error(
                "outbox %s (%s) failed for good: %s",
                message.id,
                message.kind,
                code,
                exc_info=not isinstance(exc, SlackApiError),
            )
            return
        with transaction(self.runtime.engine) as session:
            outbox.mark_sent(session, message.id, self.runtime.now())
        metrics.notifications.labels(message.kind, "sent").inc()

    def _deliver(self, message: OutboxMessage) -> None:
        kind = outbox.Kind(message.kind)
        if kind is outbox.Kind.post_card:
            self._post_card(message)
        elif kind is outbox.Kind.update_cards:
            self._update_cards(message)
        elif kind is outbox.Kind.notify:
            self._notify(message)
        elif kind is outbox.Kind.alert:
            self._alert(message)

    # ------------------------------------------------------------ Slack calls

    def _call(self, method: str, *, probing: bool = False, **params: Any) -> Any:
        """One Web API call, counted; a channel under a rate limit is not even tried, nor
        anything while the token is refused (but the probe)."""
        channel = params.get("channel")
        now = self.runtime.now()
        if self.status.paused and not probing:
            raise RetryLater(0.0, f"paused: {self.status.error}")  # due again on resume
        if channel and self.blocked_until.get(channel, now) > now:
            wait = (self.blocked_until[channel] - now).total_seconds()
            raise RetryLater(wait, f"{channel} is rate limited", channel)
        try:
            response = WEB_API[method](self.client, **params)
        except Exception as exc:
            self.runtime.metrics.slack_calls.labels(method, error_code(exc)).inc()
            if handling(exc) is Handling.rate_limited:
                raise RetryLater(retry_after(exc), "ratelimited", channel) from exc
            raise
        self.runtime.metrics.slack_calls.labels(method, "ok").inc()
        return response

    def _pause(self, exc: Exception) -> None:
        needed = exc.response.get("needed") if isinstance(exc, SlackApiError) else None
        self.status.pause(error_code(exc), needed)
        self._next_probe = self.runtime.now() + timedelta(seconds=PROBE_SECONDS)

    def _token_works(self) -> bool:
        """auth.test now: tells "the bot is deactivated" from "this rep is deactivated",
        which Slack both answers with account_inactive."""
        try:
            self._call("auth.test", probing=True)
        except Exception as exc:
            if handling(exc) is Handling.token:
                return False
            raise
        return True

    def _post(self, lead_id: int, channel: str, card: Card) -> Any:
        """chat.postMessage of a card; a card Slack refuses goes again as a minimal card (the
        buttons, no form text), and triage is told, so the lead stays claimable."""
        try:
            return self._call(
                "chat.postMessage",
                channel=channel,
                text=card.text,
                blocks=card.blocks,
                unfurl_links=False,
            )
        except Exception as exc:
            if handling(exc) is not Handling.bad_card:
                raise
            problem = _problem(exc)
        log.error("Slack refused the card of lead %s: %s; posting a minimal card", lead_id, problem)
        lead, _full = self._card(lead_id)
        fallback = minimal_card(lead)
        posted = self._call(
            "chat.postMessage", channel=channel, text=fallback.text, blocks=fallback.blocks
        )
        self._tell_triage(
            f"⚠️ Lead {lead_id}: Slack refused its card ({problem[:300]}), so a minimal card "
            "with its buttons was posted instead. Please report this to your leadrouter admin."
        )
        return posted

    def _tell_triage(self, text: str) -> None:
        channel = self.runtime.config.triage.channel
        if channel:
            self._call("chat.postMessage", channel=channel, text=text)

    def reachable(self, slack_id: str) -> bool:
        """False for deactivated or unknown users: chat.postMessage to them can still succeed."""
        cached = self._users.get(slack_id)
        if cached and time.monotonic() - cached[0] < USER_CACHE_SECONDS:
            return cached[1]
        try:
            user = self._call("users.info", user=slack_id)["user"]
            ok = not user.get("deleted", False)
        except Exception as exc:
            if handling(exc) is not Handling.unreachable_user:
                raise
            ok = False
        self._users[slack_id] = (time.monotonic(), ok)
        return ok

    # ------------------------------------------------------------ kinds

    def _card(self, lead_id: int) -> tuple[LeadRow, Card]:
        found = queries.lead_with_events(self.runtime.engine, lead_id)
        if found is None:
            raise Delivered
        lead, history = found
        return lead, render_card(lead, self.runtime.config, self.runtime.now(), history)

    def _post_card(self, message: OutboxMessage) -> None:
        assert message.lead_id is not None
        target = message.target or "triage"
        if target.startswith("dm:"):
            self._post_dm(message.lead_id, target[3:])
        elif target.startswith("person:"):  # a manager: a rep id, or a Slack id for non-reps
            person = target[7:]
            if person in self.runtime.config.reps:
                self._post_dm(message.lead_id, person)
            else:
                self._post_to_channel(message.lead_id, person, "person")
        elif target.startswith("channel:"):
            self._post_to_channel(message.lead_id, target[8:], "channel")
        else:
            self._post_to_triage(message.lead_id, None)

    def _post_dm(self, lead_id: int, rep_id: str) -> None:
        rep = self.runtime.config.reps.get(rep_id)
        if rep is None or not self.reachable(rep.slack_id):
            self._unreachable(lead_id, rep_id)
            return
        if card_copies.exists(self.runtime.engine, lead_id, kind="dm", rep=rep_id):
            return
        _lead, card = self._card(lead_id)
        try:
            posted = self._post(lead_id, rep.slack_id, card)
        except Exception as exc:
            kind = handling(exc)
            inactive = error_code(exc) == "account_inactive" and self._token_works()
            if kind is Handling.unreachable_user or inactive:
                self._users[rep.slack_id] = (time.monotonic(), False)
                self._unreachable(lead_id, rep_id)
                return
            raise
        self._record(lead_id, posted, "dm", rep_id)

    def _post_to_channel(self, lead_id: int, channel: str, kind: str) -> None:
        if card_copies.exists(self.runtime.engine, lead_id, target=channel):
            return
        _lead, card = self._card(lead_id)
        try:
            posted = self._post(lead_id, channel, card)
        except Exception as exc:
            if handling(exc) is not Handling.missing_channel or kind == "triage":
                raise
            where = f"<#{channel}>" if channel[:1] in "CG" else channel  # an id, or a #name
            self._post_to_triage(lead_id, f"could not post to {where}: {error_code(exc)}")
            return
        self._record(lead_id, posted, kind, None, channel)

    def _post_to_triage(self, lead_id: int, why: str | None) -> None:
        channel = self.runtime.config.triage.channel
        if channel is None:
            log.warning("lead %s needs triage but routing.yml sets no triage.channel", lead_id)
            return
        if why:
            self._tell_triage(f"⚠️ Lead {lead_id}: {why}")
        self._post_to_channel(lead_id, channel, "triage")

    def _unreachable(self, lead_id: int, rep_id: str) -> None:
        """The rep cannot get the card: pass the lead on and tell triage."""
        config = self.runtime.config
        name = config.reps[rep_id].name if rep_id in config.reps else rep_id
        why = f"{name} cannot be reached in Slack (deactivated or not found)"
        try:
            lead = lifecycle.reroute(
                self.runtime.engine,
                config,
                lead_id,
                why,
                self.runtime.now(),
                kind="unreachable",
                expected_owner=rep_id,
            )
        except Refused:
            lead = None  # claimed or closed meanwhile: nothing to move
        moved = f" It went to {config.reps[lead.owner].name}." if lead and lead.owner else ""
        self._tell_triage(
            f"⚠️ Lead {lead_id}: {why}.{moved} Please check this rep in Slack and routing.yml."
        )
        self.runtime.kick()

    def _update_cards(self, message: OutboxMessage) -> None:
        assert message.lead_id is not None
        copies = queries.card_copies(self.runtime.engine, message.lead_id)
        if not copies:
            return
        lead, card = self._card(message.lead_id)
        for copy in copies:
            try:
                self._update(copy, card)
            except Exception as exc:
                if handling(exc) is Handling.bad_card:
                    log.error("Slack refused the card of lead %s: %s", lead.id, _problem(exc))
                    card = minimal_card(lead)  # the buttons still match the lead's state
                    self._update(copy, card)
                elif handling(exc) not in (Handling.gone, Handling.missing_channel):
                    raise

    def _record(
        self, lead_id: int, posted: Any, kind: str, rep: str | None, target: str | None = None
    ) -> None:
        now = self.runtime.now()
        card_copies.record(
            self.runtime.engine, lead_id, posted["channel"], posted["ts"], kind, rep, now, target
        )

    def _update(self, copy: SlackMessage, card: Card) -> None:
        self._call(
            "chat.update", channel=copy.channel, ts=copy.ts, text=card.text, blocks=card.blocks
        )

    def _notify(self, message: OutboxMessage) -> None:
        rep = self.runtime.config.reps.get(message.target or "")
        if rep is None or not self.reachable(rep.slack_id):
            return
        lead = None
        if message.lead_id is not None:
            lead, _card = self._card(message.lead_id)
        text = messages.notification(message.payload, lead, self.runtime.config)
        self._call("chat.postMessage", channel=rep.slack_id, text=text)

    def _alert(self, message: OutboxMessage) -> None:
        channel = message.payload.get("channel") or self.runtime.config.triage.channel
        if channel:
            extra = {"blocks": message.payload["blocks"]} if message.payload.get("blocks") else {}
            self._call(
                "chat.postMessage", channel=channel, text=message.payload.get("text", ""), **extra
            )


def _problem(exc: Exception) -> str:
    """Slack's own words for a refused payload: the error and its first messages."""
    if not isinstance(exc, SlackApiError):
        return type(exc).__name__
    details = exc.response.get("errors") or (exc.response.get("response_metadata") or {}).get(
        "messages"
    )
    first = "; ".join(str(d) for d in (details or [])[:2])
    return f"{error_code(exc)}: {first}" if first else error_code(exc)


def _scopes(answer: Any) -> set[str] | None:
    """The token's scopes from Slack's X-OAuth-Scopes header, when it sent one."""
    headers = {k.lower(): v for k, v in (getattr(answer, "headers", None) or {}).items()}
    value = headers.get("x-oauth-scopes")
    if isinstance(value, list):
        value = value[0] if value else None
    return {s.strip() for s in value.split(",") if s.strip()} if value is not None else None
