"""A local Slack stand-in: a fake Web API server and a client that signs requests as Slack does."""

from bot.slack_standin.client import SlackRequests
from bot.slack_standin.records import Call, Channel, Ephemeral, Message, User, View
from bot.slack_standin.server import SlackStandin
from bot.slack_standin.signing import sign, signed_headers
from bot.slack_standin.workspace import Identity

__all__ = [
    "Call",
    "Channel",
    "Ephemeral",
    "Identity",
    "Message",
    "SlackRequests",
    "SlackStandin",
    "User",
    "View",
    "sign",
    "signed_headers",
]
