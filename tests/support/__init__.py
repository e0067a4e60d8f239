"""Helpers shared by the test rooms: the team config, waiting for threads, the bot harness."""
