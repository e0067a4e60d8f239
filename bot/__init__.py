"""Everything that touches the outside world: CLI, web app, Slack, scheduler."""
