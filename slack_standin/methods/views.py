"""views.open / push / update / publish, with trigger_id expiry and view schema checks."""

from __future__ import annotations

from typing import Any

from slack_standin.blocks import VIEW_BLOCKS, block_errors, view_model_errors
from slack_standin.errors import SlackError
from slack_standin.methods.common import Handler, invalid, required
from slack_standin.records import View
from slack_standin.workspace import Workspace

TRIGGER_LIFETIME = 3.0


def _consume_trigger(ws: Workspace, trigger_id: str) -> str:
    trigger = ws.triggers.get(trigger_id)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if ws.clock.now() - trigger.issued_at > TRIGGER_LIFETIME:
        raise SlackError("expired_trigger_id")
    trigger.used = True
    return trigger.user


def _checked(ws: Workspace, view: Any, kind: str) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise invalid("invalid_arguments", ["must be a view object [json-pointer:/view]"])
    problems = block_errors(
        view.get("blocks"), limit=VIEW_BLOCKS, pointer="/view/blocks", models=not ws.lenient
    )
    if not ws.lenient:
        problems += view_model_errors(view)
    if view.get("type") != kind:
        problems.append(f"must be {kind} [json-pointer:/view/type]")
    if kind == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or title.get("type") != "plain_text":
            problems.append("must be a plain_text object [json-pointer:/view/title]")
        elif not 0 < len(title.get("text") or "") <= 24:
            problems.append("must be less than 25 characters [json-pointer:/view/title/text]")
        has_input = any(
            b.get("type") == "input" for b in view.get("blocks") or [] if isinstance(b, dict)
        )
        if has_input and not view.get("submit"):
            problems.append(
                "submit is required when an input block is present [json-pointer:/view/submit]"
            )
    if len(view.get("private_metadata") or "") > 3000:
        problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(view.get("callback_id") or "") > 255:
        problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
    if problems:
        raise invalid("invalid_arguments", problems)
    return view


def _fill(ws: Workspace, view: View, body: dict[str, Any]) -> View:
    view.blocks = body.get("blocks") or []
    view.callback_id = body.get("callback_id") or ""
    view.private_metadata = body.get("private_metadata") or ""
    view.external_id = body.get("external_id") or view.external_id
    view.title, view.submit, view.close = body.get("title"), body.get("submit"), body.get("close")
    view.hash = ws.new_hash()
    ws.views[view.id] = view
    return view


def _answer(ws: Workspace, view: View) -> dict[str, Any]:
    i = ws.identity
    return {"view": view.as_slack(i.app_id, i.team_id, i.bot_id)}


def _new_view(ws: Workspace, params: dict[str, Any], kind: str, user: str) -> View:
    body = _checked(ws, required(params, "view"), kind)
    external_id = body.get("external_id") or ""
    if external_id and any(v.external_id == external_id for v in ws.views.values()):
        raise SlackError("duplicate_external_id")
    return View(id=ws.new_id("V"), type=kind, user=user, blocks=[], hash="")


def views_open(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    user = _consume_trigger(ws, required(params, "trigger_id"))
    view = _new_view(ws, params, "modal", user)
    return _answer(ws, _fill(ws, view, params["view"]))


def views_push(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    user = _consume_trigger(ws, required(params, "trigger_id"))
    view = _new_view(ws, params, "modal", user)
    below = [v for v in ws.views.values() if v.user == user and v.type == "modal" and not v.closed]
    if below:
        view.previous_view_id = below[-1].id
        view.root_view_id = below[-1].root_view_id or below[-1].id
    return _answer(ws, _fill(ws, view, params["view"]))


def views_update(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    view_id, external_id = params.get("view_id"), params.get("external_id")
    if not view_id and not external_id:
        required(params, "view_id")
    view = (
        ws.views.get(view_id)
        if view_id
        else next((v for v in ws.views.values() if v.external_id == external_id), None)
    )
    if view is None:
        raise SlackError("not_found")
    if params.get("hash") and params["hash"] != view.hash:
        raise SlackError("hash_conflict")
    body = _checked(ws, required(params, "view"), view.type)
    return _answer(ws, _fill(ws, view, body))


def views_publish(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    user = ws.user(required(params, "user_id"))
    body = _checked(ws, required(params, "view"), "home")
    existing = ws.views.get(ws.home_views.get(user.id, ""))
    if existing and params.get("hash") and params["hash"] != existing.hash:
        raise SlackError("hash_conflict")
    view = existing or View(id=ws.new_id("V"), type="home", user=user.id, blocks=[], hash="")
    ws.home_views[user.id] = view.id
    return _answer(ws, _fill(ws, view, body))


HANDLERS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
