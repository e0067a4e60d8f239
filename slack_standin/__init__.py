"""A local Slack stand-in: a fake Web API server and a client that signs requests as Slack does."""

from slack_standin.client import SlackRequests
from slack_standin.records import Call, Channel, Ephemeral, Message, User, View
from slack_standin.server import SlackStandin
from slack_standin.signing import sign, signed_headers
from slack_standin.workspace import Identity

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
