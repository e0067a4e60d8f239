"""The HubSpot routes the stand-in answers (CRM v3 objects, owners, search; associations v4),
each refused first as HubSpot refuses: the token (401), the scope (403), the limits (429).

Scopes per route are those HubSpot's reference pages list for a private app
(crm.objects.contacts.read/write, crm.objects.companies.read/write, crm.objects.deals.read,
crm.objects.owners.read). Tasks ask for the contacts scopes here: written from memory (the
tasks page lists crm.objects.contacts.* for engagements).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_standins.hubspot import errors
from crm_standins.hubspot.errors import Answer, HubSpotError
from crm_standins.hubspot.portal import (
    DEFAULT_ASSOCIATION,
    OBJECT_TYPES,
    PLURAL,
    SINGULAR,
    HsObject,
    stamp,
)
from crm_standins.hubspot.search import search
from crm_standins.pipeline import Req, serve

if TYPE_CHECKING:
    from crm_standins.hubspot.standin import HubSpotStandin

SCOPE_OF_TYPE = {
    "contacts": "crm.objects.contacts",
    "companies": "crm.objects.companies",
    "deals": "crm.objects.deals",
    "tasks": "crm.objects.contacts",
}
BATCH_MAX = 100  # the batch endpoints' inputs
OWNERS_MAX = 500  # GET /crm/v3/owners: limit "the maximum number of results to display per page"


def scope_for(route: str) -> str:
    kind, _, action = route.partition(".")
    if kind == "owners":
        return "crm.objects.owners.read"
    if kind == "associations":
        return "crm.objects.contacts.write"
    access = "read" if action in ("search", "get", "read") else "write"
    return f"{SCOPE_OF_TYPE[kind]}.{access}"


def create_app(hs: HubSpotStandin) -> Starlette:
    def refuse(req: Req) -> Answer | None:
        try:
            if req.token is None or req.token not in hs.tokens or hs.token_broken:
                raise errors.unauthenticated()
            if hs.scopes is not None and scope_for(req.route) not in hs.scopes:
                raise errors.missing_scopes(scope_for(req.route))
            hs.limit_headers = hs.limits.take(
                req.token, hs.clock.now(), search=req.route.endswith(".search")
            )
        except HubSpotError as refusal:
            return refusal.answer()
        return None

    def guarded(work: Any) -> Any:
        def run(req: Req) -> Answer:
            try:
                status, body = work(req)
            except HubSpotError as refusal:
                status, body, _ = refusal.answer()
            return status, body, dict(hs.limit_headers)

        return run

    def endpoint(name_of: Any, work: Any) -> Any:
        async def handle(request: Request) -> Response:
            kind = request.path_params.get("kind")
            if kind is not None and kind not in OBJECT_TYPES:
                return Response(status_code=404)
            return await serve(hs, request, name_of(kind), refuse, guarded(work))

        return handle

    # ---------------------------------------------------------------- work

    def owners(req: Req) -> tuple[int, Any]:
        limit = min(int(req.query.get("limit") or 100), OWNERS_MAX)
        after = int(req.query.get("after") or 0)
        archived = req.query.get("archived", "false").lower() == "true"
        email = (req.query.get("email") or "").lower()
        found = [
            o
            for o in hs.portal.owners.values()
            if o.archived == archived and (not email or o.email == email)
        ]
        page = found[after : after + limit]
        body: dict[str, Any] = {"results": [o.as_json(hs.clock.now()) for o in page]}
        if after + limit < len(found):
            nxt = str(after + limit)
            body["paging"] = {
                "next": {"after": nxt, "link": f"{hs.url}/crm/v3/owners/?after={nxt}"}
            }
        return 200, body

    def do_search(req: Req) -> tuple[int, Any]:
        kind = req.route.split(".")[0]
        if req.bad_body:
            raise errors.invalid_input("Invalid input JSON", code="INVALID_JSON")
        objects = list(hs.portal.objects[kind].values())
        visible = hs.clock.now() - hs.index_lag
        return 200, search(kind, objects, req.body, visible)

    def create(req: Req) -> tuple[int, Any]:
        kind = req.route.split(".")[0]
        body = req.body if isinstance(req.body, dict) else {}
        props = hs.portal.check(kind, body.get("properties") or {}, creating=True)
        if kind == "contacts" and props.get("email"):
            existing = hs.portal.find_email(props["email"])
            if existing is not None:
                raise errors.conflict(existing.id)
        links = _associations(kind, body.get("associations") or [])
        now = hs.clock.now()
        obj = HsObject(kind, hs.portal.new_id(), dict(props), now, now)
        for to_kind, to_id, type_id in links:
            hs.portal.associate(obj, hs.portal.get(to_kind, to_id), type_id)
        hs.portal.objects[kind][obj.id] = obj
        return 201, obj.as_json()

    def _associations(kind: str, given: list[Any]) -> list[tuple[str, str, int]]:
        found = []
        for link in given:
            try:
                to_id = str(link["to"]["id"])
                spec = link["types"][0]
                type_id = int(spec["associationTypeId"])
            except (KeyError, IndexError, TypeError, ValueError) as bad:
                raise errors.invalid_input(f"Invalid association: {link}") from bad
            pair = next((p for p, t in DEFAULT_ASSOCIATION.items() if t == type_id), None)
            if pair is None or pair[0] != kind:
                raise errors.invalid_input(
                    f"{type_id} is not a valid association type from {kind}",
                    code="INVALID_ASSOCIATION_TYPE",
                )
            found.append((pair[1], to_id, type_id))
        return found

    def get(req: Req) -> tuple[int, Any]:
        kind = req.route.split(".")[0]
        obj = _by_id_property(req, kind) or hs.portal.get(kind, req.params["id"])
        wanted = _listed(req, "properties") or None
        body = obj.as_json(wanted)
        asked = [PLURAL[a] for a in _listed(req, "associations") if a in PLURAL]
        if asked:
            body["associations"] = {
                to: {
                    "results": [
                        {"id": i, "type": f"{SINGULAR[kind]}_to_{SINGULAR[to]}"}
                        for i, _t in obj.associations.get(to, [])
                    ]
                }
                for to in asked
                if obj.associations.get(to)
            }
        return 200, body

    def _by_id_property(req: Req, kind: str) -> HsObject | None:
        """?idProperty=email reads a contact by its email instead of its id: "it can be used
        for contacts exclusively with email", as the contacts reference puts it (quoted in
        HubSpot/hubspot-api-python#100); the 404 is the usual one when no contact has it."""
        if req.query.get("idProperty") != "email" or kind != "contacts":
            return None
        found = hs.portal.find_email(req.params["id"])
        if found is None or found.archived:
            raise errors.not_found(req.params["id"])
        return found

    def update(req: Req) -> tuple[int, Any]:
        kind = req.route.split(".")[0]
        obj = hs.portal.get(kind, req.params["id"])
        body = req.body if isinstance(req.body, dict) else {}
        props = hs.portal.check(kind, body.get("properties") or {}, creating=False)
        obj.properties.update(props)
        obj.updated = hs.clock.now()
        return 200, obj.as_json()

    def upsert(req: Req) -> tuple[int, Any]:
        kind = req.route.split(".")[0]
        inputs = (req.body or {}).get("inputs") if isinstance(req.body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise errors.invalid_input("inputs is required")
        started, results = hs.clock.now(), []
        for one in inputs:
            if kind != "contacts" or one.get("idProperty") != "email":
                raise errors.invalid_input("the stand-in upserts contacts by email only")
            props = hs.portal.check(kind, one.get("properties") or {}, creating=True)
            email = str(one.get("id") or "").lower()
            obj = hs.portal.find_email(email)
            now = hs.clock.now()
            if obj is None:
                obj = HsObject(kind, hs.portal.new_id(), {**props, "email": email}, now, now)
                hs.portal.objects[kind][obj.id] = obj
                created = True
            else:
                obj.properties.update(props)
                obj.updated, created = now, False
            results.append({**obj.as_json(), "new": created})
        return 200, {
            "status": "COMPLETE",
            "results": results,
            "startedAt": stamp(started),
            "completedAt": stamp(hs.clock.now()),
        }

    def batch_read(req: Req) -> tuple[int, Any]:
        """POST …/batch/read: at most 100 ids; ids that do not exist make the answer a 207
        with an OBJECT_NOT_FOUND error naming them (written from memory of HubSpot's)."""
        kind = req.route.split(".")[0]
        body = req.body if isinstance(req.body, dict) else {}
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or len(inputs) > BATCH_MAX:
            raise errors.invalid_input(f"inputs must be a list of at most {BATCH_MAX} ids")
        wanted = body.get("properties") or None
        found, missing = [], []
        for one in inputs:
            obj = hs.portal.objects[kind].get(str(one.get("id")))
            if obj is None or obj.archived:
                missing.append(str(one.get("id")))
            else:
                found.append(obj.as_json(wanted))
        now = stamp(hs.clock.now())
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": found,
            "startedAt": now,
            "completedAt": now,
        }
        if not missing:
            return 200, answer
        answer["numErrors"] = 1
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {SINGULAR[kind].upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return 207, answer

    def associate_default(req: Req) -> tuple[int, Any]:
        p = req.params
        a_kind, b_kind = PLURAL.get(p["from_type"]), PLURAL.get(p["to_type"])
        if a_kind is None or b_kind is None or (a_kind, b_kind) not in DEFAULT_ASSOCIATION:
            raise errors.invalid_input("Unknown object types for an association")
        a, b = hs.portal.get(a_kind, p["from_id"]), hs.portal.get(b_kind, p["to_id"])
        type_id = DEFAULT_ASSOCIATION[(a_kind, b_kind)]
        hs.portal.associate(a, b, type_id)
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        now = stamp(hs.clock.now())
        return 200, {
            "status": "COMPLETE",
            "results": [{"from": {"id": a.id}, "to": {"id": b.id}, "associationSpec": spec}],
            "startedAt": now,
            "completedAt": now,
        }

    def missing(request: Request) -> Response:
        status, body, _ = errors.route_not_found().answer()
        return JSONResponse(body, status_code=status)

    objects = "/crm/v3/objects/{kind}"
    return Starlette(
        routes=[
            Route("/crm/v3/owners", endpoint(lambda _k: "owners.list", owners), methods=["GET"]),
            Route("/crm/v3/owners/", endpoint(lambda _k: "owners.list", owners), methods=["GET"]),
            Route(
                f"{objects}/search", endpoint(lambda k: f"{k}.search", do_search), methods=["POST"]
            ),
            Route(
                f"{objects}/batch/upsert",
                endpoint(lambda k: f"{k}.upsert", upsert),
                methods=["POST"],
            ),
            Route(
                f"{objects}/batch/read",
                endpoint(lambda k: f"{k}.read", batch_read),
                methods=["POST"],
            ),
            Route(objects, endpoint(lambda k: f"{k}.create", create), methods=["POST"]),
            Route(f"{objects}/{{id}}", endpoint(lambda k: f"{k}.get", get), methods=["GET"]),
            Route(
                f"{objects}/{{id}}", endpoint(lambda k: f"{k}.update", update), methods=["PATCH"]
            ),
            Route(
                "/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}",
                endpoint(lambda _k: "associations.default", associate_default),
                methods=["PUT"],
            ),
            Route("/{path:path}", missing, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ]
    )


def _listed(req: Req, name: str) -> list[str]:
    """?properties=a,b or ?properties=a&properties=b (HubSpot's client sends either)."""
    return [x for raw in req.multi.get(name, []) for x in raw.split(",") if x]
