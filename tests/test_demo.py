"""`leadrouter demo` tells the whole story, through the real server (its speed is for bench/)."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app


def test_the_demo_routes_claims_passes_escalates_and_reports():
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Typeform: Kim Lee, BrightPath Health → Priya Raman" in out
    assert "named account globex.example: Ben Carter owns it" in out
    assert "Kenji Satō off hours (Wed 00:00 Asia/Tokyo)" in out and "→ the triage channel" in out
    assert "a repeat touch on their open lead" in out
    assert "Alex Rivera, Initech         → Ben Carter" in out
    assert "HubSpot: company initech.example is owned by Ben Carter" in out
    assert "kim@brightpath.example is owned by Priya Raman, with 1 follow-up task" in out
    assert "HubSpot not consulted" not in out
    assert 'every copy now says "Claimed by Priya in 2m 05s"' in out
    assert 'told: "This lead is offered to @Ana until 15:30 UTC."' in out
    assert "pass: Ben Carter did not claim it in time" in out
    assert "Away until today at 13:00 (America/Los_Angeles)" in out
    assert "Median time to claim: 2m 05s" in out
