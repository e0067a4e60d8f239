"""`leadrouter demo`: the whole product in thirty seconds, no Slack workspace needed."""
