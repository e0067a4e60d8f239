"""The /routing-stats figures against histories whose answers were worked out by hand.

Conventions the answers rely on (storage/analytics.py): the median of an even count is the mean
of the two middle values; p90 interpolates linearly between closest ranks, at position
(n - 1) x 0.9 of the sorted values (numpy's default). Round robin in tests/support/team.py's
`sales` pool offers leads to ana, ben, chloe, dev, ana, ... in that order.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import stats_render
from routing.loader import parse_config
from slack_standin.blocks import block_errors
from storage import availability, escalation, lifecycle
from storage.analytics import Outcomes, Speed
from storage.models import LeadState
from tests.analytics.history import (
    BOSS,
    arrive,
    claimed,
    escalated,
    offers,
    report,
)
from tests.support.team import TEAM_YAML, team

CONFIG = team()
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Two routed rules: big companies go to the one-rep `overflow` pool.
TWO_RULES = team(
    {
        "  - name: Everyone else\n": "  - name: Enterprise\n"
        "    when: {employees: {gte: 1000}}\n"
        "    pool: overflow\n"
        "  - name: Everyone else\n"
    }
)
# Ana counts double in a weighted sales pool.
WEIGHTED = team(
    {
        "ana: {slack_id: U0ANA, name: Ana, capacity: 100}": (
            "ana: {slack_id: U0ANA, name: Ana, capacity: 100, weight: 2}"
        ),
        "escalation: standard}": "escalation: standard, strategy: weighted}",
    }
)


def test_time_to_claim_and_first_contact_medians_and_p90_worked_by_hand(engine, now):
    start = now - 2 * DAY
    waits = [60, 120, 180, 1800, 3000]  # seconds from arrival; the SLA is 30 min = 1800 s
    contacts = [300, 600, 900, 1200, None]
    owners = [
        claimed(engine, CONFIG, start + i * HOUR, wait, contact)[1]
        for i, (wait, contact) in enumerate(zip(waits, contacts, strict=True))
    ]
    assert owners == ["ana", "ben", "chloe", "dev", "ana"]

    r = report(engine, CONFIG, now)

    # claims sorted 60 120 180 1800 3000: median the 3rd; p90 at 3.6 = 1800 + 0.6 x 1200
    assert r.claim == Speed(5, 180, 2520)
    # contacts 300 600 900 1200: median (600 + 900) / 2; p90 at 2.7 = 900 + 0.7 x 300
    assert r.contact == Speed(4, 750, 1110)
    assert r.within_sla == 0.8, "4 of 5 within 30 min: a claim at exactly 1800 s is within"
    # ana claimed after 60 s and 3000 s: median 1530, p90 = 60 + 0.9 x 2940
    assert r.claim_by_rep == {
        "ana": Speed(2, 1530, 2706),
        "ben": Speed(1, 120, 120),
        "chloe": Speed(1, 180, 180),
        "dev": Speed(1, 1800, 1800),
    }
    assert r.contact_by_rep == {
        "ana": Speed(1, 300, 300),
        "ben": Speed(1, 600, 600),
        "chloe": Speed(1, 900, 900),
        "dev": Speed(1, 1200, 1200),
    }
    assert r.claim_by_rule == {"Everyone else": Speed(5, 180, 2520)}
    assert r.claim_by_pool == {"sales": Speed(5, 180, 2520)}
    assert r.contact_by_pool == {"sales": Speed(4, 750, 1110)}


def test_speed_by_rule_and_pool_and_the_headline_read_from_it(engine, now):
    start = now - DAY
    claimed(engine, TWO_RULES, start, 100, employees=5000)  # Enterprise → mia
    claimed(engine, TWO_RULES, start + HOUR, 300, employees=5000)
    claimed(engine, TWO_RULES, start + 2 * HOUR, 40)  # Everyone else → ana

    r = report(engine, TWO_RULES, now)

    assert r.claim_by_rule == {
        "Enterprise": Speed(2, 200, 280),  # p90 at 0.9 = 100 + 0.9 x 200
        "Everyone else": Speed(1, 40, 40),
    }
    assert r.claim_by_pool == {"overflow": Speed(2, 200, 280), "sales": Speed(1, 40, 40)}
    assert r.claim_by_rep == {"ana": Speed(1, 40, 40), "mia": Speed(2, 200, 280)}
    assert stats_render.headline(r) == [
        ("Median time to claim", "1m 40s"),
        ("Claimed within SLA", "100%"),
        ("Unclaimed right now", "0"),
    ]


def test_fairness_weights_and_a_rep_away_half_the_period(engine, now):
    since = now - 10 * DAY
    # dev goes away halfway through and is not back by the end: available 50% of the period
    availability.set_away(engine, WEIGHTED, "dev", since + 5 * DAY)
    offers(engine, "sales", since + DAY, {"ana": 9, "ben": 4, "chloe": 3, "dev": 2})

    r = report(engine, WEIGHTED, now, 10 * DAY)

    [sales] = r.fairness
    assert (sales.pool, sales.strategy, sales.offers) == ("sales", "weighted", 18)
    shares = {s.rep: s for s in sales.reps}
    # intended = weight x availability, normalised: 2, 1, 1, 0.5 of 4.5
    assert {rep: s.intended for rep, s in shares.items()} == pytest.approx(
        {"ana": 2 / 4.5, "ben": 1 / 4.5, "chloe": 1 / 4.5, "dev": 0.5 / 4.5}
    )
    assert {rep: s.share for rep, s in shares.items()} == pytest.approx(
        {"ana": 9 / 18, "ben": 4 / 18, "chloe": 3 / 18, "dev": 2 / 18}
    )
    assert shares["dev"].available == pytest.approx(0.5)
    assert shares["dev"].ratio == pytest.approx(1.0), "time away credited: dev got their due"
    # normalised shares: ana 0.5/0.444 = 1.125, chloe 0.1667/0.2222 = 0.75 → 1.125 / 0.75
    assert sales.figure == pytest.approx(1.5)


def test_time_away_is_clipped_to_the_period_and_ends_when_it_was_meant_to(engine, now):
    since = now - 10 * DAY
    # chloe: away from before the period until /back on day 1 → away 1 day of 10
    availability.set_away(engine, CONFIG, "chloe", since - 2 * DAY)
    availability.set_back(engine, CONFIG, "chloe", since + DAY)
    # dev: away on day 2 "until day 4"; the scheduler never wrote the 'back' → away 2 days
    availability.set_away(engine, CONFIG, "dev", since + 2 * DAY, until=since + 4 * DAY)
    offers(engine, "sales", since + 5 * DAY, {"ana": 3, "ben": 3, "chloe": 3, "dev": 3})

    r = report(engine, CONFIG, now, 10 * DAY)

    shares = {s.rep: s for s in r.fairness[0].reps}
    assert {rep: s.available for rep, s in shares.items()} == pytest.approx(
        {"ana": 1.0, "ben": 1.0, "chloe": 0.9, "dev": 0.8}
    )
    # round robin ignores weights: intended = availability / 3.7
    assert shares["chloe"].intended == pytest.approx(0.9 / 3.7)
    assert shares["dev"].intended == pytest.approx(0.8 / 3.7)
    # equal shares (0.25) against 1/3.7 and 0.8/3.7: largest/smallest = (3.7/0.8) / (3.7/1)
    assert r.fairness[0].figure == pytest.approx(1.25)


def test_not_mine_spends_a_turn_and_a_reassignment_outside_the_pool_is_not_its_share(engine, now):
    t = now - DAY
    first, owner = arrive(engine, CONFIG, t)
    assert owner == "ana"
    lifecycle.decline(engine, CONFIG, first, "ana", "not my territory", t + MINUTE)
    assert lifecycle.get_lead(engine, first).owner == "ben"
    lifecycle.claim(engine, CONFIG, first, "ben", t + 4 * MINUTE)
    second, owner = arrive(engine, CONFIG, t + HOUR)  # whoever the rotation picks next
    lifecycle.reassign(engine, CONFIG, second, BOSS, "mia", "knows them", t + 2 * HOUR)

    r = report(engine, CONFIG, now)

    [sales] = r.fairness
    expected = {"ana": 1, "ben": 1, "chloe": 0, "dev": 0}
    expected[owner] += 1  # mia (not in sales) is left out of the pool's shares
    assert {s.rep: s.offers for s in sales.reps} == expected
    assert sales.offers == 3
    assert sales.figure == float("inf"), "someone meant a quarter got nothing"
    # the buyer waited from arrival, whoever passed it on: 4 min, credited to the claimer
    assert r.claim_by_rep == {"ben": Speed(1, 240, 240)}


def test_a_reassigned_lead_keeps_its_first_claim_and_contact_with_who_made_them(engine, now):
    t = now - DAY
    lead_id, owner = claimed(engine, CONFIG, t, 120, 300)
    assert owner == "ana"
    lifecycle.reassign(engine, CONFIG, lead_id, BOSS, "ben", "ana is on leave", t + HOUR)
    lifecycle.claim(engine, CONFIG, lead_id, "ben", t + HOUR + 5 * MINUTE)
    lifecycle.set_outcome(engine, CONFIG, lead_id, "ben", LeadState.won, t + 2 * HOUR)
    # a second lead claimed by ben, then moved to dev who has not claimed it yet
    other, owner = claimed(engine, CONFIG, t + 3 * HOUR, 60)
    assert owner == "ben"
    lifecycle.reassign(engine, CONFIG, other, BOSS, "dev", "", t + 4 * HOUR)

    r = report(engine, CONFIG, now)

    # first claims: ana after 120 s, ben after 60 s; the re-claim and the move do not count
    assert r.claim == Speed(2, 90, 114)  # p90 = 60 + 0.9 x 60
    assert r.claim_by_rep == {"ana": Speed(1, 120, 120), "ben": Speed(1, 60, 60)}
    assert r.contact_by_rep == {"ana": Speed(1, 300, 300)}
    assert r.within_sla == 1.0
    # the outcome belongs to the lead's final pool and rule
    assert r.outcomes_by_pool == {"sales": Outcomes(contacted=1, won=1)}
    assert r.outcomes_by_rule == {"Everyone else": Outcomes(contacted=1, won=1)}
    assert r.unclaimed_now == 1, "dev has not claimed the moved lead"
    [sales] = r.fairness
    offered = {s.rep: s.offers for s in sales.reps}
    assert offered == {"ana": 1, "ben": 2, "chloe": 0, "dev": 1}


def test_escalations_count_the_leads_that_reached_each_step_by_pool_and_rep(engine, now):
    t = now - DAY
    arrive(engine, CONFIG, t)  # ana; never claims: reminded at 5 min, passed at 10
    b, _ = arrive(engine, CONFIG, t)  # ben claims at 3 min: no ladder
    c, _ = arrive(engine, CONFIG, t)  # chloe; reminded, then moved to dev: the ladder restarts
    lifecycle.claim(engine, CONFIG, b, "ben", t + 3 * MINUTE)
    escalation.sweep(engine, CONFIG, t + 6 * MINUTE)
    lifecycle.reassign(engine, CONFIG, c, BOSS, "dev", "", t + 7 * MINUTE)
    escalation.sweep(engine, CONFIG, t + 11 * MINUTE)
    escalation.sweep(engine, CONFIG, t + 13 * MINUTE)  # dev's reminder, 5 min after the move

    r = report(engine, CONFIG, now)

    # lead c was reminded twice but is one lead that reached "remind"
    assert r.escalations == {"remind": 2, "pass": 1}
    assert list(r.escalations) == ["remind", "pass"], "ladder order, not alphabetical"
    assert r.escalations_by_pool == {"sales": {"remind": 2, "pass": 1}}
    assert r.escalations_by_rep == {
        "ana": {"remind": 1, "pass": 1},
        "chloe": {"remind": 1},
        "dev": {"remind": 1},
    }


def test_escalations_of_other_pools_and_other_periods_stay_out(engine, now):
    lead_id, _ = arrive(engine, CONFIG, now - 20 * DAY)
    escalated(engine, lead_id, now - 2 * DAY, "manager", "ana")
    escalated(engine, lead_id, now - 2 * DAY, "leadership", "ana")
    escalated(engine, lead_id, now - 9 * DAY, "remind", "ana")  # before the period
    escalated(engine, lead_id, now - DAY, "open_to_pool", "mia", pool="overflow")

    assert report(engine, CONFIG, now).escalations == {
        "open_to_pool": 1,
        "manager": 1,
        "leadership": 1,
    }
    only_sales = report(engine, CONFIG, now, pool="sales")
    assert only_sales.escalations == {"manager": 1, "leadership": 1}
    assert only_sales.escalations_by_rep == {"ana": {"manager": 1, "leadership": 1}}


def test_outcomes_and_win_rates_by_rule_and_pool(engine, now):
    t = now - 3 * DAY
    results = [LeadState.won, LeadState.lost, LeadState.lost, LeadState.disqualified, None]
    for i, outcome in enumerate(results):  # Everyone else → sales; the last one only contacted
        lead_id, owner = claimed(engine, TWO_RULES, t + i * HOUR, 60, 120)
        if outcome:
            lifecycle.set_outcome(engine, TWO_RULES, lead_id, owner, outcome, t + DAY)
    for i, outcome in enumerate([LeadState.won, LeadState.won, None]):  # Enterprise → mia
        lead_id, _ = claimed(engine, TWO_RULES, t + i * HOUR, 60, employees=5000)
        if outcome:  # an outcome straight from "claimed" implies the lead was reached
            lifecycle.set_outcome(engine, TWO_RULES, lead_id, "mia", outcome, t + DAY)

    r = report(engine, TWO_RULES, now)

    assert r.outcomes == Outcomes(contacted=7, won=3, lost=2, disqualified=1)
    assert r.outcomes.win_rate == 0.5  # won / (won + lost + disqualified) = 3 / 6
    assert r.outcomes_by_rule == {
        "Enterprise": Outcomes(contacted=2, won=2),
        "Everyone else": Outcomes(contacted=5, won=1, lost=2, disqualified=1),
    }
    assert r.outcomes_by_rule["Everyone else"].win_rate == 0.25
    assert r.outcomes_by_rule["Enterprise"].win_rate == 1.0
    assert r.outcomes_by_pool == {
        "overflow": Outcomes(contacted=2, won=2),
        "sales": Outcomes(contacted=5, won=1, lost=2, disqualified=1),
    }
    overflow = report(engine, TWO_RULES, now, pool="overflow")
    assert (overflow.received, overflow.routed, overflow.nurture) == (3, 3, 0)
    assert overflow.outcomes == Outcomes(contacted=2, won=2)
    assert [p.pool for p in overflow.fairness] == ["overflow"]


def test_volume_counts_each_lead_once_by_how_it_was_first_handled(engine, now):
    everyone = ["ana", "ben", "chloe", "dev", "mia"]
    old, _ = arrive(engine, CONFIG, now - 8 * DAY)  # before the period, never claimed
    t = now - DAY
    routed, owner = arrive(engine, CONFIG, t)
    lifecycle.claim(engine, CONFIG, routed, owner, t + MINUTE)
    _, state = arrive(engine, CONFIG, t + MINUTE, employees=2)  # Tiny companies
    assert state == "nurture"
    for rep in everyone:
        availability.set_away(engine, CONFIG, rep, t + 2 * MINUTE)
    stuck, state = arrive(engine, CONFIG, t + 3 * MINUTE)  # nobody to take it
    assert state == "triage"
    for rep in everyone:
        availability.set_back(engine, CONFIG, rep, t + 4 * MINUTE)
    later, owner = arrive(engine, CONFIG, t + 5 * MINUTE)  # routed, then nobody left
    for rep in everyone:
        if rep != owner:
            availability.set_away(engine, CONFIG, rep, t + 6 * MINUTE)
    lifecycle.decline(engine, CONFIG, later, owner, "not mine", t + 7 * MINUTE)
    assert lifecycle.get_lead(engine, later).state == LeadState.triage

    r = report(engine, CONFIG, now)

    assert (r.received, r.routed, r.nurture, r.triage) == (4, 2, 1, 1)
    assert r.unclaimed_now == 3, "right now counts every unclaimed lead, whenever it came"
    assert [lead.id for lead in r.oldest_unclaimed] == [old, stuck, later]


def test_no_data_reads_as_dashes_not_errors(engine, now):
    r = report(engine, CONFIG, now)

    assert (r.received, r.routed, r.nurture, r.triage, r.unclaimed_now) == (0, 0, 0, 0, 0)
    assert r.claim == Speed(0, None, None) and r.contact == Speed(0, None, None)
    assert r.within_sla is None
    assert r.fairness == [] and r.escalations == {} and r.outcomes == Outcomes()
    assert r.outcomes.win_rate is None
    assert stats_render.headline(r) == [
        ("Median time to claim", "—"),
        ("Claimed within SLA", "—"),
        ("Unclaimed right now", "0"),
    ]
    blocks = stats_render.blocks(r, CONFIG, "7d")
    assert block_errors(blocks, limit=50) == []
    assert "Outcomes" in stats_render.terminal(r, CONFIG)


def test_a_pool_of_one_rep_away_half_the_time_is_perfectly_fair(engine, now):
    solo = team(
        {"  - name: Everyone else\n    pool: sales": "  - name: Everyone else\n    pool: overflow"}
    )
    for i, wait in enumerate([60, 120, 240]):
        claimed(engine, solo, now - 6 * DAY + i * HOUR, wait)
    availability.set_away(engine, solo, "mia", now - 3.5 * DAY)

    r = report(engine, solo, now)

    assert r.claim == Speed(3, 120, 216)  # p90 at 1.8 = 120 + 0.8 x 120
    [overflow] = r.fairness
    [mia] = overflow.reps
    assert (mia.offers, mia.share, mia.intended) == (3, 1.0, 1.0)
    assert mia.available == pytest.approx(0.5)
    assert overflow.figure == 1.0


def test_an_inactive_rep_is_not_meant_a_share(engine, now):
    config = parse_config(
        TEAM_YAML.replace(
            "dev: {slack_id: U0DEV, name: Dev}", "dev: {slack_id: U0DEV, name: Dev, active: false}"
        ),
        "team.yml",
    )
    offers(engine, "sales", now - DAY, {"ana": 2, "ben": 2, "chloe": 2})

    [sales] = report(engine, config, now).fairness

    assert [s.rep for s in sales.reps] == ["ana", "ben", "chloe"]
    assert sales.figure == pytest.approx(1.0)
