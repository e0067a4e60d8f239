"""Find interactive elements in blocks and shape what Slack reports for them
(the `actions` entry of a click, the `state.values` entry of a submitted modal)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# element type -> the key Slack uses for the chosen value in actions and view state
SELECTION_KEYS = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "rich_text_input": "rich_text_value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "overflow": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(block_id, element, block type) for every interactive element, in order.
    Blocks without a block_id get a stable stand-in one, as Slack generates its own."""
    for index, block in enumerate(blocks):
        block_id = block.get("block_id") or f"standin-block-{index}"
        kind = block.get("type", "")
        if kind == "actions":
            for element in block.get("elements", []):
                yield block_id, element, kind
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"], kind
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"], kind


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]]:
    for block_id, element, _ in elements(blocks):
        if element.get("action_id") == action_id:
            return block_id, element
    present = [e.get("action_id") for _, e, _ in elements(blocks)]
    raise LookupError(f"no element with action_id {action_id!r}; the blocks have {present}")


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options", [])
    for option in options:
        if option.get("value") == value:
            return option
    if element.get("type", "").endswith("external_select"):
        return {"text": {"type": "plain_text", "text": value}, "value": value}
    raise LookupError(f"{element.get('action_id')!r} has no option with value {value!r}")


def selection(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """{<selection key>: value} for this element, options resolved from the element itself."""
    key = SELECTION_KEYS.get(element.get("type", ""))
    if key is None:
        return {}
    if value is None:
        return {key: [] if key.endswith("s") else None}  # unset multi-selects are []
    if key == "selected_option":
        return {key: _option(element, value)}
    if key == "selected_options":
        return {key: [_option(element, v) for v in value]}
    return {key: value}
