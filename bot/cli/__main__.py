from bot.cli.main import app

app()
