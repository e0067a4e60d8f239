"""The demo: the real server, a local Slack stand-in, leads from five form tools, reps clicking.

Everything goes through the real HTTP endpoints, signed as the providers and Slack sign them.
Time is a demo clock (a Tuesday morning in New York), so working hours and escalations play
out the same whenever you run it.
"""

from __future__ import annotations

import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlmodel import col, select

from bot.demo import forms
from bot.jobs.scheduler import escalate
from bot.runtime import Runtime
from bot.server import assemble
from bot.settings import Settings
from bot.slack.ids import Action, Command
from bot.stats_render import headline, sections, text_table
from crm_standins import HubSpotStandin
from routing import RoutingConfig, load_config
from slack_standin import SlackRequests, SlackStandin
from storage import lifecycle, outbox
from storage.analytics import build_report
from storage.db import make_engine, read_only
from storage.migrate import upgrade
from storage.models import Event, SlackMessage

TEAM = Path(__file__).with_name("team.yml")
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York
SECRETS = {
    "webhook_secret": "demo-generic-secret",
    "typeform_webhook_secret": "demo-typeform-secret",
    "hubspot_client_secret": "demo-hubspot-secret",
    "tally_signing_secret": "demo-tally-secret",
    "webflow_webhook_secret": "demo-webflow-secret",
}
SIGNING_SECRET = "demo-slack-signing-secret"


class DemoClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    def __init__(self, say: Callable[[str], None], workdir: Path) -> None:
        self.say = say
        self.config: RoutingConfig = load_config(TEAM)
        self.clock = DemoClock(START)
        self.standin = SlackStandin().start()
        self._seed_slack()
        self.hubspot = HubSpotStandin().start()
        self._seed_hubspot()
        engine = make_engine(f"sqlite:///{workdir / 'demo.db'}")
        upgrade(engine)
        settings = Settings(
            slack_bot_token=self.standin.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.standin.url,
            hubspot_access_token=self.hubspot.token,
            hubspot_api_url=self.hubspot.url,
            _env_file=None,  # type: ignore[call-arg]
            **SECRETS,
        )
        self.runtime = Runtime(
            settings=settings, config=self.config, engine=engine, clock=self.clock
        )
        self.server = assemble(self.runtime, scheduler=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.http_server = uvicorn.Server(
            uvicorn.Config(self.server.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.http_server.run, daemon=True)
        self.http = httpx.Client(base_url=self.url, timeout=10)
        # Slack signatures carry the real time (Bolt checks it against the real clock)
        self.slack = SlackRequests(self.url, SIGNING_SECRET, self.standin)

    def _seed_slack(self) -> None:
        for rep in self.config.reps.values():
            self.standin.add_user(
                rep.slack_id, rep.id, tz=rep.timezone or "UTC", real_name=rep.name
            )
        channels = {pool.channel for pool in self.config.pools.values() if pool.channel}
        channels |= {"C0DEMOTRIAGE", "C0DEMOLEADERS"}
        for channel in sorted(channels):
            self.standin.add_channel(channel, channel.removeprefix("C0DEMO").lower())

    def _seed_hubspot(self) -> None:
        """Ben and Priya are HubSpot owners; Ben owns Initech's company record."""
        self.hubspot.add_owner("501", "ben@northwind.example", "Ben", "Carter")
        self.hubspot.add_owner("502", "priya@northwind.example", "Priya", "Raman")
        self.hubspot.add_company("initech.example", owner_id="501", name="Initech")

    # ------------------------------------------------------------ plumbing

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.http_server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.http_server.should_exit = True
        self.thread.join(timeout=5)
        self.server.close()
        self.standin.stop()
        self.hubspot.stop()

    @property
    def slack_names(self) -> dict[str, str]:
        return {rep.slack_id: rep.name.split()[0] for rep in self.config.reps.values()}

    def name(self, rep_id: str | None) -> str:
        return self.config.reps[rep_id].name if rep_id in self.config.reps else "nobody"

    def send(self, label: str, delivery: forms.Delivery) -> dict[str, Any]:
        response = self.http.post(delivery.path, content=delivery.body, headers=delivery.headers)
        if response.status_code != 202:
            raise RuntimeError(f"{label}: {response.status_code} {response.text}")
        result = response.json()
        who = {"nurture": "nurture (stored, not routed)", "triage": "the triage channel"}.get(
            result["state"], self.name(result["owner"])
        )
        repeat = " — a repeat touch on their open lead" if result.get("duplicate") else ""
        self.say(f"  {label:<34} → {who}{repeat}")
        self.say(f"  {'':<34}   why: {result['reason']}")
        return result

    def wait(self, what: Callable[[], Any], timeout: float = 10) -> Any:
        return self.standin.wait_for(what, timeout=timeout)

    def card(self, lead_id: int, rep: str) -> Any:
        """The lead's card in the rep's DM, once delivered."""

        def posted() -> Any:
            with read_only(self.runtime.engine) as session:
                copy = session.exec(
                    select(SlackMessage)
                    .where(SlackMessage.lead_id == lead_id)
                    .where(SlackMessage.rep == rep)
                ).first()
            if copy is None:
                return None
            return next((m for m in self.standin.messages(copy.channel) if m.ts == copy.ts), None)

        return self.wait(posted)

    def delivered(self) -> None:
        """Wait until the outbox has delivered everything due."""

        def empty() -> bool:
            with read_only(self.runtime.engine) as session:
                return outbox.backlog(session, self.clock())["pending"] == 0

        self.until(empty)

    def lead(self, lead_id: int) -> Any:
        return lifecycle.get_lead(self.runtime.engine, lead_id)

    def until(self, predicate: Callable[[], bool]) -> None:
        self.wait(lambda: predicate() or None)

    # ------------------------------------------------------------ the story

    def run(self) -> None:
        say, now = self.say, self.clock
        team = self.config
        say(
            f"leadrouter demo — {len(team.reps)} people in {len(team.pools)} pools, "
            f"{len(team.rules)} rules ({TEAM.name}); server {self.url}, Slack stand-in "
            f"{self.standin.url}, HubSpot stand-in {self.hubspot.url} (nothing leaves this "
            "machine)"
        )
        say(f"It is {now():%A %H:%M} UTC: 10:00 in New York, 16:00 in Paris, midnight in Tokyo.\n")

        say("1. Leads arrive from five form tools, each signed its own way:")
        kim = self.send(
            "Typeform: Kim Lee, BrightPath Health",
            forms.typeform(
                {
                    "Your name": "Kim Lee",
                    "Work email": "kim@brightpath.example",
                    "Company": "BrightPath Health",
                    "Company size": "201-500",
                    "Country": "USA",
                    "Industry": "Healthcare",
                    "Anything else?": "We run 14 clinics",
                },
                SECRETS["typeform_webhook_secret"],
                now(),
            ),
        )
        self.send(
            "HubSpot: Jordan Blake, Globex",
            forms.hubspot(
                {
                    "firstname": "Jordan",
                    "lastname": "Blake",
                    "email": "jordan@globex.example",
                    "company": "Globex",
                    "country": "United States",
                    "numemployees": "5000",
                },
                SECRETS["hubspot_client_secret"],
                now(),
                self.url,
            ),
        )
        self.send(
            "Tally: Élodie Martin, Lumière SA",
            forms.tally(
                {
                    "Full name": "Élodie Martin",
                    "Work e-mail": "elodie@lumiere.example",
                    "Company": "Lumière SA",
                    "Country": "France",
                    "Language": "Français",
                    "Company size": "1,000+",
                },
                SECRETS["tally_signing_secret"],
                now(),
            ),
        )
        hot = self.send(
            "Webflow: Sam Park, score 92",
            forms.webflow(
                {
                    "First Name": "Sam",
                    "Last Name": "Park",
                    "email": "sam@rocketship.example",
                    "Company": "Rocketship",
                    "Country": "Canada",
                    "Score": "92",
                },
                SECRETS["webflow_webhook_secret"],
                now(),
            ),
        )
        self.send(
            "JSON: Haruto Tanaka, Japanese",
            forms.generic(
                {
                    "name": "Haruto Tanaka",
                    "email": "haruto@sakura.example",
                    "country": "Japan",
                    "language": "Japanese",
                    "employees": 300,
                },
                SECRETS["webhook_secret"],
                now(),
            ),
        )
        self.send(
            "JSON: a two-person startup",
            forms.generic(
                {"name": "Lee Moss", "email": "lee@tinyco.example", "employees": 2},
                SECRETS["webhook_secret"],
                now(),
            ),
        )
        ravi = self.send(
            "JSON: Ravi Shah, New York",
            forms.generic(
                {
                    "name": "Ravi Shah",
                    "email": "ravi@hudson.example",
                    "company": "Hudson Freight",
                    "country": "US",
                    "region": "NY",
                    "employees": "51-200",
                },
                SECRETS["webhook_secret"],
                now(),
            ),
        )
        self.send(
            "JSON: Alex Rivera, Initech",
            forms.generic(
                {
                    "name": "Alex Rivera",
                    "email": "alex@initech.example",
                    "company": "Initech",
                    "country": "US",
                    "employees": 400,
                },
                SECRETS["webhook_secret"],
                now(),
            ),
        )
        self.send(
            "Typeform: Kim Lee writes again",
            forms.typeform(
                {
                    "Your name": "Kim Lee",
                    "Work email": "kim@brightpath.example",
                    "Anything else?": "Could we talk this week?",
                },
                SECRETS["typeform_webhook_secret"],
                now(),
            ),
        )

        self.delivered()
        dms = sum(  # cards, not notes: a card has buttons
            1
            for c in self.standin.calls("chat.postMessage")
            if c.ok
            and str(c.params.get("channel", "")).startswith("U")
            and c.params.get("blocks")
            and "button" in str(c.params.get("blocks"))
        )
        say(
            f"\n2. Cards are in Slack: {dms} DMs to owners plus a copy in each pool's channel "
            "(and the triage channel for Haruto).\n"
        )

        say("3. Reps act on their cards:")
        self.clock.advance(timedelta(minutes=2, seconds=5))
        self.slack.click(
            self.config.reps["priya"].slack_id,
            self.card(kim["lead_id"], "priya"),
            Action.claim.value,
        )
        self.until(lambda: self.lead(kim["lead_id"]).state == "claimed")
        say(
            "  Priya claims Kim's lead                → every copy now says "
            '"Claimed by Priya in 2m 05s"'
        )
        ravi_owner = ravi["owner"]
        intruder = next(r for r in self.config.pools["na"].members if r != ravi_owner)
        channel_card = self.wait(
            lambda: next(
                (m for m in self.standin.messages("C0DEMONA") if "Ravi" in str(m.blocks)), None
            )
        )
        self.slack.click(self.config.reps[intruder].slack_id, channel_card, Action.claim.value)
        reply = self.wait(lambda: self.standin.responses() or None)[-1]["text"]
        say(
            f"  {self.name(intruder)} tries to grab Ravi's lead from the channel → told: "
            f'"{_plain(reply, self.slack_names)}"'
        )
        self.slack.click(
            self.config.reps[ravi_owner].slack_id,
            self.card(ravi["lead_id"], ravi_owner),
            Action.decline.value,
        )
        modal = self.wait(lambda: self.standin.views(kind="modal") or None)[-1]
        self.slack.submit_view(
            self.config.reps[ravi_owner].slack_id,
            modal,
            {"reason_input": "I'm at capacity on freight this week"},
        )
        passed = self.lead(ravi["lead_id"])
        say(
            f"  {self.name(ravi_owner)} clicks Not mine on Ravi  → passed to "
            f"{self.name(passed.owner)} (reason kept on the card)"
        )
        grace = self.config.reps["grace"].slack_id
        self.slack.click(grace, self.card(hot["lead_id"], hot["owner"]), Action.reassign.value)
        modal = self.wait(
            lambda: (
                [
                    v
                    for v in self.standin.views(kind="modal")
                    if "Reassign" in str(v.blocks) or "Give it to" in str(v.blocks)
                ]
                or None
            )
        )[-1]
        self.slack.submit_view(
            grace,
            modal,
            {
                "reassign_user_input": self.config.reps["maya"].slack_id,
                "reason_input": "Maya knows Rocketship",
            },
        )
        new_owner = self.name(self.lead(hot["lead_id"]).owner)
        say(f"  Grace (manager) reassigns Sam's hot lead → {new_owner}, with her reason")

        self.delivered()
        contact = self.hubspot.contact("kim@brightpath.example") or {}
        tasks = self.hubspot.tasks_of(contact["id"]) if contact else []
        owner = {"501": "Ben Carter", "502": "Priya Raman"}.get(
            str(contact.get("hubspot_owner_id")), "nobody"
        )
        say(
            f"  HubSpot (written back through the outbox): kim@brightpath.example is owned by "
            f"{owner}, with {len(tasks)} follow-up task due at the SLA"
        )

        say("\n4. Nobody claims Ravi's lead; the escalation ladder climbs:")
        for minutes in (13, 23, 48):
            self.clock.current = START + timedelta(minutes=minutes)
            escalate(self.runtime)
        self._print_ladder(ravi["lead_id"])

        say("\n5. Diego steps out:")
        self.slack.command(self.config.reps["diego"].slack_id, Command.away.value, "until 1pm")
        answer = self.wait(
            lambda: [r for r in self.standin.responses() if "Away" in r.get("text", "")] or None
        )[-1]["text"]
        say(f'  /away until 1pm → "{_plain(answer)}"')

        say("\n6. What a manager sees with /routing-stats (also `leadrouter stats`):")
        report = build_report(
            self.runtime.engine, self.config, START - timedelta(days=1), self.clock()
        )
        say("  " + " · ".join(f"{label}: {value}" for label, value in headline(report)))
        for title, header, rows in sections(report, self.config):
            if title in ("Volume", "Speed to lead") or title.startswith("Fairness: na"):
                say(f"\n  {title}\n" + _indent(text_table(header, rows)))
        say(
            "\nEvery step above went through the real webhooks and /slack/events, signed as the "
            'providers and Slack sign them.\nNext: README.md → "Connect your Slack workspace".'
        )

    def _print_ladder(self, lead_id: int) -> None:
        with read_only(self.runtime.engine) as session:
            events = session.exec(
                select(Event).where(Event.lead_id == lead_id).order_by(col(Event.id))
            ).all()
        for event in events:
            if event.at <= START:
                continue
            when = f"+{int((event.at - START).total_seconds() // 60)} min"
            if event.kind == "declined":
                text = f"{self.name(event.actor)} passed it on: {event.reason}"
            elif event.kind == "assigned":
                text = f"now offered to {self.name(event.owner)}"
            elif event.kind == "escalated":
                text = f"{event.detail.get('action')}: {event.reason}"
            else:
                continue
            self.say(f"  {when:>7}  {text}")


def _plain(text: str, names: dict[str, str] | None = None) -> str:
    """Slack markup as a person reads it: <@U…> as @name, <!date^…|fallback> as the fallback."""
    text = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"<@(\w+)>", lambda m: "@" + (names or {}).get(m[1], m[1]), text)
    return " ".join(text.replace("*", "").split())[:160]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def run_demo(say: Callable[[str], None] = print) -> None:
    with tempfile.TemporaryDirectory(prefix="leadrouter-demo-") as workdir:
        demo = Demo(say, Path(workdir))
        demo.start()
        try:
            demo.run()
        finally:
            demo.stop()
