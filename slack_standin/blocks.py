"""Block Kit as Slack enforces it, so a bad card fails in tests as it would in Slack.

Two checks, both applied: slack_sdk's own Block Kit models (`Block.parse`, then every
object's `validate_json()`, nested elements included), and the limits Slack's Block Kit
reference publishes (50 blocks in a message, 100 in a view; 3,000 characters in a section's
text, 2,000 in a field, 150 in a header, 75 in a button's text, 2,000 in its value, …), which
the models do not all check. Errors read like Slack's: "<problem> [json-pointer:/blocks/0/text]".
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100

BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
}
ELEMENT_TYPES = {
    "button",
    "channels_select",
    "checkboxes",
    "conversations_select",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "external_select",
    "file_input",
    "image",
    "multi_channels_select",
    "multi_conversations_select",
    "multi_external_select",
    "multi_static_select",
    "multi_users_select",
    "number_input",
    "overflow",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "static_select",
    "timepicker",
    "url_text_input",
    "users_select",
    "workflow_button",
}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, at: str) -> None:
        self.errors.append(f"{message} [json-pointer:{at}]")

    def length(self, value: Any, limit: int, at: str, *, minimum: int = 0) -> None:
        if not isinstance(value, str):
            self.fail("must be a string", at)
        elif len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", at)
        elif len(value) < minimum:
            self.fail(f"must be more than {minimum - 1} characters", at)

    def text(self, obj: Any, limit: int, at: str, *, plain: bool = False) -> None:
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in allowed:
            self.fail(f"must be a text object of type {' or '.join(allowed)}", at)
            return
        self.length(obj.get("text"), limit, f"{at}/text", minimum=1)

    def element(self, el: Any, at: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict) or el.get("type") not in ELEMENT_TYPES:
            self.fail("must be a valid element type", f"{at}/type")
            return
        if "action_id" in el:
            self.length(el["action_id"], 255, f"{at}/action_id", minimum=1)
            if el["action_id"] in action_ids:
                self.fail("action_id must be unique within the block", f"{at}/action_id")
            action_ids.add(el["action_id"])
        if el["type"] == "button":
            self.text(el.get("text"), 75, f"{at}/text", plain=True)
            if "value" in el:
                self.length(el["value"], 2000, f"{at}/value")
            if "url" in el:
                self.length(el["url"], 3000, f"{at}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.fail("must be primary or danger", f"{at}/style")
        if "placeholder" in el:
            self.text(el["placeholder"], 150, f"{at}/placeholder", plain=True)
        options = el.get("options")
        if isinstance(options, list):
            if len(options) > 100:
                self.fail("must provide no more than 100 items", f"{at}/options")
            for i, option in enumerate(options):
                where = f"{at}/options/{i}"
                if not isinstance(option, dict):
                    self.fail("must be an option object", where)
                    continue
                self.text(option.get("text"), 75, f"{where}/text")
                self.length(option.get("value"), 150, f"{where}/value", minimum=1)

    def block(self, block: Any, at: str, block_ids: set[str]) -> None:
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            self.fail("must be a valid block type", f"{at}/type")
            return
        kind = block["type"]
        if "block_id" in block:
            self.length(block["block_id"], 255, f"{at}/block_id", minimum=1)
            if block["block_id"] in block_ids:
                self.fail("block_id must be unique", f"{at}/block_id")
            block_ids.add(block["block_id"])
        action_ids: set[str] = set()
        if kind == "section":
            self._section(block, at, action_ids)
        elif kind == "header":
            self.text(block.get("text"), 150, f"{at}/text", plain=True)
        elif kind in ("actions", "context"):
            limit = 25 if kind == "actions" else 10
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.fail("must provide at least 1 item", f"{at}/elements")
                return
            if len(elements) > limit:
                self.fail(f"must provide no more than {limit} items", f"{at}/elements")
            for i, el in enumerate(elements):
                where = f"{at}/elements/{i}"
                if kind == "context" and isinstance(el, dict) and el.get("type") != "image":
                    self.text(el, 3000, where)
                else:
                    self.element(el, where, action_ids)
        elif kind == "input":
            self.text(block.get("label"), 2000, f"{at}/label", plain=True)
            self.element(block.get("element"), f"{at}/element", action_ids)

    def _section(self, block: dict[str, Any], at: str, action_ids: set[str]) -> None:
        fields = block.get("fields")
        if "text" not in block and not fields:
            self.fail("must provide text or fields", at)
        if "text" in block:
            self.text(block["text"], 3000, f"{at}/text")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                self.fail("must provide no more than 10 items", f"{at}/fields")
            else:
                for i, item in enumerate(fields):
                    self.text(item, 2000, f"{at}/fields/{i}")
        if "accessory" in block:
            self.element(block["accessory"], f"{at}/accessory", action_ids)


def block_errors(
    blocks: Any, *, limit: int, pointer: str = "/blocks", models: bool = True
) -> list[str]:
    """Every Block Kit problem in `blocks`, or [] when Slack would accept them. `models=False`
    skips slack_sdk's models (the stand-in's lenient mode)."""
    checker = _Checker()
    if not isinstance(blocks, list):
        checker.fail("must be an array", pointer)
        return checker.errors
    if len(blocks) > limit:
        checker.fail(f"must provide no more than {limit} items", pointer)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}", block_ids)
        if models and isinstance(block, dict):
            checker.errors.extend(_model_errors(block, f"{pointer}/{i}"))
    return _unique(checker.errors)


def view_model_errors(view: dict[str, Any]) -> list[str]:
    """slack_sdk's View model on a whole view (title, submit, close, block count, …)."""
    try:
        View(**view).validate_json()
    except SlackObjectFormationError as problem:
        return [f"{problem} [json-pointer:/view]"]
    except (TypeError, ValueError, AttributeError, KeyError) as problem:
        return [f"is not a valid view ({problem}) [json-pointer:/view]"]
    return []


def _model_errors(block: dict[str, Any], at: str) -> list[str]:
    """slack_sdk's validators on one block and every object nested in it."""
    try:
        parsed = Block.parse(block)
    except (TypeError, ValueError, AttributeError, KeyError) as problem:
        return [f"is not a valid block ({problem}) [json-pointer:{at}]"]
    if parsed is None:
        return [f"is not a block type slack_sdk knows [json-pointer:{at}/type]"]
    found: list[str] = []
    _walk(parsed, at, found)
    return found


def _walk(obj: JsonObject, at: str, found: list[str]) -> None:
    try:
        obj.validate_json()
    except SlackObjectFormationError as problem:
        found.append(f"{problem} [json-pointer:{at}]")
    except (TypeError, ValueError, AttributeError) as problem:
        found.append(f"is not valid ({problem}) [json-pointer:{at}]")
    for name, value in vars(obj).items():
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, JsonObject):
                    _walk(item, f"{at}/{name.lstrip('_')}/{i}", found)
        elif isinstance(value, JsonObject):
            _walk(value, f"{at}/{name.lstrip('_')}", found)


def _unique(errors: list[str]) -> list[str]:
    return list(dict.fromkeys(errors))
