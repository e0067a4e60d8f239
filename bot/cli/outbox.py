"""`leadrouter outbox list` and `leadrouter outbox retry`: what is waiting or was given up (a
Slack card, a CRM write, an outbound webhook), and sending it again once its cause is fixed."""

from __future__ import annotations

import typer

from bot.runtime import utc_now
from bot.stats_render import text_table
from storage import outbox
from storage.db import make_engine, read_only, transaction

outbox_app = typer.Typer(help="Notifications, CRM writes and webhooks: waiting or given up.")
DATABASE = typer.Option(None, envvar="DATABASE_URL", help="Defaults to SQLite.")


@outbox_app.command("list")
def list_messages(
    status: str = typer.Option(None, help="pending, sent or dead"),
    kind: str = typer.Option(None, help="post_card, update_cards, crm_sync, webhook, …"),
    limit: int = typer.Option(50, help="How many, newest first."),
    database_url: str = DATABASE,
) -> None:
    """The newest messages, with their last error."""
    with read_only(make_engine(database_url)) as session:
        found = outbox.listing(session, status=status, kind=kind, limit=limit)
    rows = [
        [
            str(m.id),
            m.kind,
            m.target or "",
            str(m.lead_id or ""),
            m.status,
            str(m.attempts),
            (m.last_error or "")[:60],
        ]
        for m in found
    ]
    header = ["id", "kind", "target", "lead", "status", "tries", "last error"]
    typer.echo(text_table(header, rows) if rows else "nothing")


@outbox_app.command("retry")
def retry(
    ids: list[int] = typer.Argument(None, help="Message ids (see `outbox list --status dead`)."),
    kind: str = typer.Option(None, help="Every dead message of this kind, e.g. crm_sync."),
    database_url: str = DATABASE,
) -> None:
    """Send given-up messages again (after fixing a token, a URL, a scope)."""
    if not ids and not kind:
        raise typer.BadParameter("name message ids, or --kind (e.g. --kind crm_sync)")
    with transaction(make_engine(database_url)) as session:
        count = outbox.retry_dead(session, utc_now(), ids=ids or (), kind=kind)
    typer.echo(f"{count} message{'s' if count != 1 else ''} due again; a running server sends them")
