"""The `leadrouter` command: one module per subcommand (serve, check, simulate, stats, db)."""

from bot.cli.main import app

__all__ = ["app"]
