"""Who owns a lead in the CRM, asked at routing time, within the lead's time budget.

The contact (or lead) with the lead's email first, then the company (or account) that owns its
email domain; free-mail domains are never a company's. The CRM's owner becomes a rep by their
email (the owners API), or by `crm.owners` in routing.yml where the emails differ.

A lead never waits longer than `crm.budget_ms`: the question runs on a small pool of threads
and is given up when the budget runs out ("HubSpot not consulted: no answer within 400 ms");
its answer, when it comes, still fills the cache for the next lead from that person or
company. Answers (found or not) are kept for `crm.cache`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late

from bot.crm.base import Crm, Found
from bot.slack.errors import error_code
from routing import Lead, RoutingConfig
from routing.crm_config import CrmAnswer

log = logging.getLogger(__name__)

# Common free-mail domains: a lead from one of these tells nothing about a company.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
        "yahoo.co.jp", "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com",
        "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "orange.fr",
        "free.fr", "laposte.net", "libero.it", "mail.ru", "yandex.ru", "yandex.com", "qq.com",
        "163.com", "126.com", "naver.com", "seznam.cz", "zoho.com", "fastmail.com", "hey.com",
    }
)  # fmt: skip
OWNERS_TTL = 600.0  # seconds before the owners list is read again
LATE_ANSWER = 5.0  # seconds a routing-time question may take, for the cache, after the lead went
OWNERS_RETRY = 60.0  # seconds between attempts while it cannot be read (the CRM is down)


class Ownership:
    def __init__(
        self,
        crm: Crm,
        config: RoutingConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 8,
    ) -> None:
        assert config.crm is not None
        self.crm, self.config, self.settings = crm, config, config.crm
        self.clock = clock
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="crm-lookup")
        self.lock = threading.Lock()
        self.cache: dict[tuple[str | None, str | None], tuple[float, Found | None]] = {}
        self._owners: dict[str, str] = {}  # CRM owner id -> their email
        self._owners_at: float | None = None
        self._owners_tried: float | None = None  # the last refresh started in the background
        self._refreshing = False

    # ------------------------------------------------------------ owners and reps

    def refresh_owners(self) -> None:
        """The CRM's owners, read now (at start-up, then every OWNERS_TTL, off the hot path)."""
        owners = self.crm.owners()
        with self.lock:
            self._owners, self._owners_at = owners, self.clock()

    def _owners_now(self) -> dict[str, str]:
        """The owners as last read; a stale list is read again in the background, one read at
        a time and at most every OWNERS_RETRY while it fails (every lead asked for one while
        the CRM was down: a read of the owners API per lead, on top of the outage)."""
        with self.lock:
            now = self.clock()
            stale = self._owners_at is None or now - self._owners_at > OWNERS_TTL
            tried = self._owners_tried
            due = stale and not self._refreshing and (tried is None or now - tried > OWNERS_RETRY)
            if due:
                self._refreshing, self._owners_tried = True, now
            owners = self._owners
        if due:
            self.pool.submit(self._refresh_quietly)
        return owners

    def _refresh_quietly(self) -> None:
        try:
            self.refresh_owners()
        except Exception as exc:
            log.warning("could not read %s's owners: %s", self.crm.label, error_code(exc))
        finally:
            with self.lock:
                self._refreshing = False

    def rep_of(self, owner_id: str) -> str | None:
        """The rep a CRM owner is: `crm.owners` by id or email, else by email."""
        email = self._owners_now().get(owner_id)
        overrides = self.settings.owners
        for key in (owner_id, email):
            if key and key in overrides:
                return overrides[key]
        if email:
            return next(
                (r.id for r in self.config.reps.values() if (r.email or "").lower() == email),
                None,
            )
        return None

    def owner_id_of(self, rep_id: str) -> str | None:
        """The CRM owner id of a rep, for writing them as owner."""
        owners = self._owners_now()
        for key, mapped in self.settings.owners.items():
            if mapped == rep_id:
                if key in owners:
                    return key
                found = next((i for i, e in owners.items() if e == key.lower()), None)
                if found:
                    return found
        rep = self.config.reps.get(rep_id)
        email = (rep.email or "").lower() if rep else ""
        return next((i for i, e in owners.items() if e == email), None) if email else None

    # ------------------------------------------------------------ at routing time

    def answer(self, lead: Lead) -> CrmAnswer | None:
        """What the CRM says about this lead's owner, within the budget; None when there is
        nothing to ask about (no email, and no company domain that is not free mail)."""
        email = lead.email.lower() if lead.email else None
        domain = self._company_domain(lead)
        if not email and not domain:
            return None
        key = (email, domain)
        label, budget = self.crm.label, self.settings.budget_ms
        with self.lock:
            cached = self.cache.get(key)
        if cached is not None and cached[0] > self.clock():
            return self._says(cached[1], email, domain)
        # The lead waits `budget`; the question may take longer (LATE_ANSWER), so that a slow
        # CRM's answer still fills the cache. Asked with the budget as its timeout, the CRM
        # call was cut off when the lead stopped waiting and no answer was ever kept.
        future = self.pool.submit(self._ask, key, max(LATE_ANSWER, budget / 1000))
        try:
            found = future.result(timeout=budget / 1000)
        except Late:
            return CrmAnswer(None, f"{label} not consulted: no answer within {budget} ms")
        except Exception as exc:
            return CrmAnswer(None, f"{label} not consulted: {error_code(exc)}")
        return self._says(found, email, domain)

    def _ask(self, key: tuple[str | None, str | None], timeout: float) -> Found | None:
        found = self.crm.find_owner(key[0], key[1], timeout)
        with self.lock:
            self.cache[key] = (self.clock() + self.settings.cache.total_seconds(), found)
            if len(self.cache) > 50_000:  # a bound, not a policy: drop the oldest half
                for old in sorted(self.cache, key=lambda k: self.cache[k][0])[:25_000]:
                    del self.cache[old]
        return found

    def _says(self, found: Found | None, email: str | None, domain: str | None) -> CrmAnswer:
        label = self.crm.label
        if found is None:
            who = " or ".join(x for x in (email, domain) if x)
            return CrmAnswer(None, f"{label}: nobody owns {who}")
        rep_id = self.rep_of(found.owner_id)
        rep = self.config.reps.get(rep_id or "")
        if rep is None:
            owner = self._owners_now().get(found.owner_id) or f"owner {found.owner_id}"
            return CrmAnswer(None, f"{label}: {found.what} is owned by {owner}, not a rep here")
        return CrmAnswer(rep.id, f"{label}: {found.what} is owned by {rep.name}")

    def _company_domain(self, lead: Lead) -> str | None:
        domain = (lead.company_domain or lead.email_domain or "").lower() or None
        if domain in FREE_MAIL or domain in self.settings.free_mail:
            return None
        return domain

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
