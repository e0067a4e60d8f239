"""Delivers one outbox message to Slack: a lead card, its updates, a DM, an alert.

bot.slack.dispatch runs many of these at once (and `drain` one after another, for tests and
the demo); each message is leased in a short transaction, Slack is called with no database
lock held, then the result is recorded. Slack trouble delays a message, never drops it:
- Slack's posting limits are kept ahead of time (bot.slack.pacing): a post that would overrun
  its channel goes back to the queue for the time it must wait; a 429 still pauses that
  channel (or that method) alone, for Retry-After;
- 5xx, timeouts, connection errors: retried with backoff (5 s, doubling, at most 10 min); a
  post that may have reached Slack is looked for before it is posted again (bot.slack.post_once);
- a rep who cannot be reached (deactivated, deleted, not found): their lead is re-routed and
  the triage channel is told;
- a channel we cannot post to: the card goes to the triage channel, with the reason;
- a pool channel flooded with more cards than Slack takes in a minute: one summary instead of
  falling minutes behind (every card is still in its owner's DM);
- the bot token refused (revoked, invalid, missing a scope, deactivated): all delivery pauses,
  nothing is given up, and auth.test is tried every PROBE_SECONDS until it works again
  (bot.slack.status says so in /healthz, a gauge and the log);
- a card Slack refuses (invalid_blocks): a minimal card with the buttons goes instead, and the
  triage channel is told, so the lead can always be claimed;
- our own mistakes: marked dead, counted in metrics, logged.
Several pending updates of one card become one chat.update of its latest state.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.crm import outbound, outcomes, writeback
from bot.runtime import Runtime
from bot.slack import messages, post_once
from bot.slack.cards import Card, minimal_card, render_card
from bot.slack.errors import Failed, Handling, error_code, handling, in_doubt, retry_after
from bot.slack.pacing import Pacer
from storage import card_copies, lifecycle, outbox, queries
from storage.db import read_only, transaction
from storage.lifecycle import Refused
from storage.models import CrmLink, LeadRow, OutboxMessage, SlackMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=10)  # renewed every few seconds by the holder (bot.slack.dispatch)
TELL_EVERY = 3600.0  # seconds between two triage notices of one cause of failure
FIRST_RETRY = 5.0
MAX_RETRY = 600.0
USER_CACHE_SECONDS = 600
PROBE_SECONDS = 30.0  # while the token is refused, auth.test this often
SLEEP_FOR_PACE = 0.25  # a wait for pacing this short is slept; a longer one goes to the queue
FLOOD = 60  # cards waiting for one channel: more than Slack takes there in a minute

# Every call goes through slack_sdk's typed method, which encodes it as Slack reads that method:
# a JSON body for chat.*, a query string for users.info (Slack ignores a JSON body there).
WEB_API = {
    "chat.postMessage": WebClient.chat_postMessage,
    "chat.update": WebClient.chat_update,
    "chat.delete": WebClient.chat_delete,
    "users.info": WebClient.users_info,
    "auth.test": WebClient.auth_test,
    "conversations.history": WebClient.conversations_history,
    "conversations.open": WebClient.conversations_open,
}
PACED = ("chat.postMessage", "chat.update", "chat.delete")  # under the workspace's limit
OUTSIDE_SLACK = {  # deliveries whose failure the triage channel hears of
    "crm_sync": "The CRM write",
    "crm_outcome": "Reading an outcome from the CRM",
    "webhook": "An outbound webhook",
}


def process_id() -> str:
    """Who holds a lease: this process, until it dies."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Delivered(Exception):
    """Raised inside a delivery to say: nothing more to do for this message."""


@dataclass
class Done:
    """How a message was delivered: a note for the outbox row, and the card copy it posted,
    recorded with it in one transaction (a crash before that commit leaves the message in
    doubt, and its card is looked for before it is posted again)."""

    note: str | None = None
    copy: SlackMessage | None = None
    link: CrmLink | None = None  # a CRM record written (crm_links), kept the same way


class RetryLater(Exception):
    def __init__(self, seconds: float, reason: str, channel: str | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason
        self.channel = channel  # a channel (or a method) Slack rate-limited: all of it waits


class Delivery:
    def __init__(self, runtime: Runtime, client: WebClient, owner: str | None = None) -> None:
        self.runtime = runtime
        self.client = client
        self.owner = owner or process_id()
        self.status = runtime.slack
        settings = runtime.settings
        self.pacer = (
            Pacer(settings.slack_workspace_rate, burst=settings.slack_burst)
            if settings.slack_pacing
            else None
        )
        self.blocked_until: dict[str, datetime] = {}  # channel or method -> end of its 429
        self._users: dict[str, tuple[float, bool]] = {}  # slack id -> (fetched at, reachable)
        self._next_probe: datetime | None = None
        self._http_client: httpx.Client | None = None  # outbound webhooks
        self._told: dict[tuple[str, str], tuple[float, int]] = {}  # cause -> (told at, since)

    # ------------------------------------------------------------ one after another

    def lease(self, limit: int) -> list[OutboxMessage]:
        """Up to `limit` due messages, most urgent first, leased to this process; none while
        the token is refused and the next auth.test is not due."""
        if self.status.paused and not self.probe():
            return []
        with transaction(self.runtime.engine) as session:
            return outbox.lease_due(session, self.runtime.now(), LEASE, limit, self.owner)

    def seconds_to_next(self, longest: float) -> float:
        """How long nothing falls due (at most `longest`): a paced post may be due in 0.3 s."""
        with read_only(self.runtime.engine) as session:
            due = outbox.next_due(session)
        if due is None:
            return longest
        return min(longest, max(0.01, (due - self.runtime.now()).total_seconds()))

    def run_once(self, limit: int = 50) -> int:
        """Deliver what is due now, one after another; returns how many were handled."""
        batch = self.lease(limit)
        for message in batch:
            self.handle(message)
        return len(batch)

    def drain(self, rounds: int = 20) -> None:
        """Deliver until nothing is due (tests and the demo)."""
        for _ in range(rounds):
            if self.run_once() == 0:
                return

    def handle(self, message: OutboxMessage) -> None:
        """Deliver one leased message and record how it went."""
        if self.status.paused:  # the token failed meanwhile: hand it back untried
            self._release(message, f"paused: {self.status.error}")
            return
        metrics = self.runtime.metrics
        assert message.id is not None
        done = Done()
        try:
            done = self._deliver(message) or done
        except Delivered:
            pass
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
            self._failed(message, exc)
            return
        with transaction(self.runtime.engine) as session:
            if done.copy is not None:
                session.add(done.copy)
            if done.link is not None:
                session.merge(done.link)
            outbox.mark_sent(session, message.id, self.runtime.now(), done.note)
        metrics.notifications.labels(message.kind, "sent").inc()

    def _failed(self, message: OutboxMessage, exc: Exception) -> None:
        assert message.id is not None
        metrics = self.runtime.metrics
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
            doubt = in_doubt(exc)
            with transaction(self.runtime.engine) as session:
                outbox.mark_retry(
                    session,
                    message.id,
                    self.runtime.now() + timedelta(seconds=delay),
                    code,
                    attempt=kind is Handling.transient,  # a rate limit is a wait, not a failure
                    in_doubt=doubt,
                )
            metrics.notifications.labels(message.kind, "retry").inc()
            log.warning(
                "outbox %s (%s) will retry in %.0fs: %s%s",
                message.id,
                message.kind,
                delay,
                code,
                " (it may have reached Slack: it is looked for first)" if doubt else "",
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
            exc_info=not isinstance(exc, SlackApiError | Failed),
        )
        if message.kind in OUTSIDE_SLACK:  # nobody sees these in Slack otherwise: say so
            self._tell_failure(message, code)

    def _tell_failure(self, message: OutboxMessage, code: str) -> None:
        """Triage hears of a CRM write or webhook given up: once per cause in TELL_EVERY (a
        refused CRM token fails every lead's write; the channel gets one message, not one a
        lead), with how many more failed since and the command that sends them all again."""
        cause = (message.kind, code[:200])
        now = time.monotonic()
        told_at, since = self._told.get(cause, (None, 0))
        if told_at is not None and now - told_at < TELL_EVERY:
            self._told[cause] = (told_at, since + 1)
            return
        self._told[cause] = (now, 0)
        more = f" ({since} more failed the same way since the last notice)" if since else ""
        self._tell_triage_quietly(
            f"⚠️ {OUTSIDE_SLACK[message.kind]} for lead {message.lead_id} failed for good "
            f"({code[:200]}){more}. Once the cause is fixed: `leadrouter outbox retry "
            f"{message.id}`, or every one of them: `leadrouter outbox retry --kind {message.kind}`."
        )

    def _release(self, message: OutboxMessage, reason: str) -> None:
        assert message.id is not None
        with transaction(self.runtime.engine) as session:
            outbox.mark_retry(session, message.id, self.runtime.now(), reason, attempt=False)

    def _deliver(self, message: OutboxMessage) -> Done | None:
        kind = outbox.Kind(message.kind)
        if kind is outbox.Kind.post_card:
            return self._post_card(message)
        if kind is outbox.Kind.update_cards:
            return Done(self._update_cards(message))
        if kind is outbox.Kind.notify:
            self._notify(message)
        elif kind is outbox.Kind.alert:
            self._alert(message)
        elif kind is outbox.Kind.webhook:
            return self._webhook(message)
        elif kind is outbox.Kind.crm_sync:
            return self._crm_sync(message)
        elif kind is outbox.Kind.crm_outcome:
            return Done(outcomes.from_deal(self.runtime, message.payload))
        return None

    def _crm_sync(self, message: OutboxMessage) -> Done:
        """The CRM brought in line with the lead (bot.crm.writeback)."""
        service = self.runtime.crm
        if service is None:
            return Done("not written: no crm in routing.yml, or it is not configured")
        assert message.lead_id is not None and message.id is not None
        found = queries.crm_state(self.runtime.engine, message.lead_id, message.id)
        if found is None:
            return Done("coalesced")  # done meanwhile, or the lead is gone
        lead, link, covered = found
        link, note = writeback.sync(
            service.crm,
            service.ownership,
            self.runtime.config,
            lead,
            link,
            self.runtime.now(),
            in_doubt=message.in_doubt,
        )
        with transaction(self.runtime.engine) as session:
            outbox.coalesce(session, covered, self.runtime.now())
        return Done(note, link=link)

    def _webhook(self, message: OutboxMessage) -> Done:
        """An event to another system (bot.events.outbound)."""
        name = (message.target or "").removeprefix("webhook:")
        subscription = self.runtime.config.events.get(name)
        if subscription is None:
            return Done(f"not sent: no subscription {name!r} in routing.yml any more")
        found = queries.event_with_lead(self.runtime.engine, int(message.payload["event"]))
        if found is None:
            return Done("not sent: the event or its lead is gone")
        body = outbound.payload(*found[:2], self.runtime.config, found[2])
        assert message.id is not None
        secret_env = subscription.secret_env
        secret = self.runtime.settings.secret(secret_env)
        status = outbound.send(
            self._http(), str(subscription.url), secret_env, secret, message.id, body
        )
        return Done(f"http_{status}")

    def _http(self) -> httpx.Client:
        if self._http_client is None:
            self._http_client = httpx.Client(follow_redirects=False)
        return self._http_client

    # ------------------------------------------------------------ the token

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

    # ------------------------------------------------------------ Slack calls

    def _call(self, method: str, *, probing: bool = False, **params: Any) -> Any:
        """One Web API call, paced and counted; nothing is tried for a channel or method under
        a 429, nor anything while the token is refused (but the probe)."""
        channel = params.get("channel")
        now = self.runtime.now()
        if self.status.paused and not probing:
            raise RetryLater(0.0, f"paused: {self.status.error}")  # due again on resume
        for blocked in (channel, method):
            if blocked and self.blocked_until.get(blocked, now) > now:
                wait = (self.blocked_until[blocked] - now).total_seconds()
                raise RetryLater(wait, f"{blocked} is rate limited", blocked)
        self._pace(method, channel)
        metrics = self.runtime.metrics
        metrics.slack_in_flight.inc()
        try:
            response = WEB_API[method](self.client, **params)
        except Exception as exc:
            metrics.slack_calls.labels(method, error_code(exc)).inc()
            if handling(exc) is Handling.rate_limited:
                metrics.slack_ratelimited.labels(method).inc()
                raise RetryLater(retry_after(exc), "ratelimited", channel or method) from exc
            raise
        finally:
            metrics.slack_in_flight.dec()
        metrics.slack_calls.labels(method, "ok").inc()
        return response

    def _pace(self, method: str, channel: str | None) -> None:
        if self.pacer is None or method not in PACED:
            return
        wait = self.pacer.try_post(channel if method == "chat.postMessage" else None)
        while 0 < wait <= SLEEP_FOR_PACE:
            time.sleep(wait)
            wait = self.pacer.try_post(channel if method == "chat.postMessage" else None)
        if wait > 0:
            raise RetryLater(wait, f"paced: {channel or 'workspace'} is busy")

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

    # ------------------------------------------------------------ cards

    def _card(self, lead_id: int) -> tuple[LeadRow, Card]:
        state = queries.card_state(self.runtime.engine, lead_id)
        if state is None:
            raise Delivered
        card = render_card(
            state.lead, self.runtime.config, self.runtime.now(), state.events, state.link
        )
        return state.lead, card

    def _post_card(self, message: OutboxMessage) -> Done | None:
        assert message.lead_id is not None
        target = message.target or "triage"
        if target.startswith("dm:"):
            return self._post_dm(message, target[3:])
        if target.startswith("person:"):  # a manager: a rep id, or a Slack id for non-reps
            person = target[7:]
            if person in self.runtime.config.reps:
                return self._post_dm(message, person)
            return self._post_to_channel(message, person, "person")
        if target.startswith("channel:"):
            return self._post_to_channel(message, target[8:], "channel")
        return self._post_to_triage(message, None)

    def _post_dm(self, message: OutboxMessage, rep_id: str) -> Done | None:
        assert message.lead_id is not None
        lead_id = message.lead_id
        rep = self.runtime.config.reps.get(rep_id)
        if rep is None or not self.reachable(rep.slack_id):
            self._unreachable(lead_id, rep_id)
            return None
        if card_copies.exists(self.runtime.engine, lead_id, kind="dm", rep=rep_id):
            return None
        if adopted := self._adopt(message, rep.slack_id, "dm", rep_id):
            return adopted
        _lead, card = self._card(lead_id)
        try:
            posted = self._post(message, rep.slack_id, card)
        except Exception as exc:
            kind = handling(exc)
            inactive = error_code(exc) == "account_inactive" and self._token_works()
            if kind is Handling.unreachable_user or inactive:
                self._users[rep.slack_id] = (time.monotonic(), False)
                self._unreachable(lead_id, rep_id)
                return None
            raise
        return self._posted(message, posted, card, "dm", rep_id)

    def _post_to_channel(self, message: OutboxMessage, channel: str, kind: str) -> Done | None:
        assert message.lead_id is not None
        lead_id = message.lead_id
        if card_copies.exists(self.runtime.engine, lead_id, target=channel):
            return None
        # a card in doubt may be in the channel already: look before summarising it away
        if adopted := self._adopt(message, channel, kind, None, channel):
            return adopted
        if kind == "channel" and self._flooded(message, channel):
            return Done("summarised: the channel was flooded")
        _lead, card = self._card(lead_id)
        try:
            posted = self._post(message, channel, card)
        except Exception as exc:
            if handling(exc) is not Handling.missing_channel or kind == "triage":
                raise
            where = f"<#{channel}>" if channel[:1] in "CG" else channel  # an id, or a #name
            return self._post_to_triage(message, f"could not post to {where}: {error_code(exc)}")
        return self._posted(message, posted, card, kind, None, channel)

    def _post_to_triage(self, message: OutboxMessage, why: str | None) -> Done | None:
        assert message.lead_id is not None
        channel = self.runtime.config.triage.channel
        if channel is None:
            log.warning(
                "lead %s needs triage but routing.yml sets no triage.channel", message.lead_id
            )
            return None
        if why:
            self._tell_triage(f"⚠️ Lead {message.lead_id}: {why}")
        return self._post_to_channel(message, channel, "triage")

    def _post(self, message: OutboxMessage, channel: str, card: Card) -> Any:
        """chat.postMessage of a card, carrying the metadata that finds it again; a card Slack
        refuses goes again as a minimal card (the buttons, no form text), and triage is told,
        so the lead stays claimable."""
        assert message.lead_id is not None
        lead_id = message.lead_id
        tag = post_once.metadata(lead_id, message.target or "triage")
        try:
            return self._call(
                "chat.postMessage",
                channel=channel,
                text=card.text,
                blocks=card.blocks,
                unfurl_links=False,
                metadata=tag,
            )
        except Exception as exc:
            if handling(exc) is not Handling.bad_card:
                raise
            problem = _problem(exc)
        log.error("Slack refused the card of lead %s: %s; posting a minimal card", lead_id, problem)
        lead, _full = self._card(lead_id)
        fallback = minimal_card(lead)
        posted = self._call(
            "chat.postMessage",
            channel=channel,
            text=fallback.text,
            blocks=fallback.blocks,
            metadata=tag,
        )
        self._tell_triage(
            f"⚠️ Lead {lead_id}: Slack refused its card ({problem[:300]}), so a minimal card "
            "with its buttons was posted instead. Please report this to your leadrouter admin."
        )
        return posted

    def _adopt(
        self,
        message: OutboxMessage,
        channel: str,
        kind: str,
        rep: str | None,
        target: str | None = None,
    ) -> Done | None:
        """A message in doubt: is its card already in the conversation? Then record it (and
        bring it up to date) instead of posting a second one."""
        if not message.in_doubt or message.lead_id is None:
            return None
        conversation = self._conversation_id(channel, kind, rep)
        if conversation is None:
            log.warning("lead %s: cannot look in %s before posting again", message.lead_id, channel)
            return None
        found = post_once.find_posted(
            self._call, conversation, message.lead_id, message.target or "triage",
            message.created_at,
        )  # fmt: skip
        if found is None:
            return None
        log.info("lead %s: its card was already in %s; not posted again", message.lead_id, channel)
        _lead, card = self._card(message.lead_id)
        self._update(found[0], found[1], card)
        now = self.runtime.now()
        return Done(copy=card_copies.copy(message.lead_id, *found, kind, rep, now, target))

    def _conversation_id(self, channel: str, kind: str, rep: str | None) -> str | None:
        """The id conversations.history takes: a channel id as is; a DM's from an earlier
        card, else conversations.open; a #name's from an earlier card (else unknown)."""
        if channel[:1] in "CGD":
            return channel
        known = card_copies.channel_of(self.runtime.engine, target=channel, rep=rep)
        if known is not None:
            return known
        if channel[:1] in "UW":
            return self._call("conversations.open", users=channel)["channel"]["id"]
        return None

    def _posted(
        self,
        message: OutboxMessage,
        posted: Any,
        card: Card,
        kind: str,
        rep: str | None,
        target: str | None = None,
    ) -> Done:
        """Where the card went, to be recorded; if the lead changed while it was being posted
        (an update found no copy to edit yet), edit it to the latest state at once."""
        assert message.lead_id is not None
        channel, ts = posted["channel"], posted["ts"]
        _lead, latest = self._card(message.lead_id)
        if latest.blocks != card.blocks:
            self._update(channel, ts, latest)
        now = self.runtime.now()
        return Done(copy=card_copies.copy(message.lead_id, channel, ts, kind, rep, now, target))

    def _flooded(self, message: OutboxMessage, channel: str) -> bool:
        """More cards wait for this pool channel than Slack takes in a minute: tell the
        channel once, in one message, rather than fall minutes behind."""
        target = message.target or ""
        with read_only(self.runtime.engine) as session:
            if outbox.channel_backlog(session, target) <= FLOOD:
                return False
        now = self.runtime.now()
        with transaction(self.runtime.engine) as session:
            assert message.id is not None
            leads = outbox.summarise_channel(session, target, now, message.id)
            if leads:  # the summary is a message of its own: retried like any other
                text = messages.flood(leads)
                payload = {"channel": channel, "text": text}
                outbox.enqueue(session, outbox.Kind.alert, now, target=target, payload=payload)
        if not leads:
            return False
        log.warning("%d cards for %s summarised in one message (flooded)", len(leads), channel)
        return True

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

    def _tell_triage_quietly(self, text: str) -> None:
        try:
            self._tell_triage(text)
        except Exception as exc:  # the failure is logged and counted already
            log.warning("could not tell triage: %s", error_code(exc))

    def _tell_triage(self, text: str) -> None:
        channel = self.runtime.config.triage.channel
        if channel:
            self._call("chat.postMessage", channel=channel, text=text)

    def _update_cards(self, message: OutboxMessage) -> str | None:
        """Every copy of the lead's card to its state now; the other pending updates that
        state already covers are marked done (coalesced)."""
        assert message.lead_id is not None and message.id is not None
        engine = self.runtime.engine
        with read_only(engine) as session:
            if not outbox.is_pending(session, message.id):
                return "coalesced"  # an earlier update of this lead covered it meanwhile
        copies = queries.card_copies(engine, message.lead_id)
        state = queries.card_state(engine, message.lead_id)
        if not copies or state is None:
            return None
        lead = state.lead
        card = render_card(lead, self.runtime.config, self.runtime.now(), state.events, state.link)
        for copy in copies:
            try:
                self._update(copy.channel, copy.ts, card)
            except Exception as exc:
                if handling(exc) is Handling.bad_card:
                    log.error("Slack refused the card of lead %s: %s", lead.id, _problem(exc))
                    card = minimal_card(lead)  # the buttons still match the lead's state
                    self._update(copy.channel, copy.ts, card)
                elif handling(exc) not in (Handling.gone, Handling.missing_channel):
                    raise
        covered = [i for i in state.pending_updates if i != message.id]
        with transaction(engine) as session:
            outbox.coalesce(session, covered, self.runtime.now())
        return None

    def _update(self, channel: str, ts: str, card: Card) -> None:
        self._call("chat.update", channel=channel, ts=ts, text=card.text, blocks=card.blocks)

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
