"""The Salesforce routes the stand-in answers: the OAuth 2.0 token endpoint, SOQL query (with
its cursor pages), and sObject create / read / update.

REST API Developer Guide: "Execute a SOQL Query" (GET /services/data/vXX.X/query/?q=…,
answering {"totalSize", "done", "records": [{"attributes": {"type", "url"}, …}],
"nextRecordsUrl"} with records in batches of 2,000 by default), "Create a Record" (POST
…/sobjects/{type}/ → 201 {"id", "success": true, "errors": []}), "Update a Record" (PATCH
…/sobjects/{type}/{id} → 204, no body), "Get a Record"; "Limit Info Header" (every answer
carries Sforce-Limit-Info: api-usage=used/allowed). OAuth 2.0 Client Credentials Flow
(Salesforce Help): POST /services/oauth2/token, grant_type=client_credentials with the
connected app's client_id and client_secret (in the body here; HTTP Basic is not read),
answering
{"access_token", "signature", "scope", "instance_url", "id", "token_type": "Bearer",
"issued_at"}; a wrong secret answers 400 {"error": "invalid_client", "error_description":
"invalid client credentials"}.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_standins.pipeline import Req, serve
from crm_standins.salesforce import errors
from crm_standins.salesforce.errors import Answer, SalesforceError
from crm_standins.salesforce.org import OBJECT_OF_PREFIX, SCHEMA, sf_datetime
from crm_standins.salesforce.soql import matches, parse

if TYPE_CHECKING:
    from crm_standins.salesforce.standin import SalesforceStandin

VERSION = re.compile(r"^v(\d{2})\.0$")
OLDEST, NEWEST = 31, 64  # versions a current org answers (older ones are retired)


def create_app(sf: SalesforceStandin) -> Starlette:
    def api_url(version: str) -> str:
        return f"/services/data/{version}"

    def refuse(req: Req) -> Answer | None:
        if req.route == "oauth.token":
            return None
        version = VERSION.match(req.params.get("version", ""))
        if version is None or not OLDEST <= int(version[1]) <= NEWEST:
            return _fail(errors.not_found())
        session = sf.sessions.get(req.token or "")
        if session is None or sf.clock.now() > session:
            return _fail(errors.invalid_session())
        sf.sessions[req.token or ""] = sf.clock.now() + sf.session_seconds  # inactivity timeout
        if sf.api_limit is not None and sf.api_used >= sf.api_limit:
            return _fail(errors.request_limit(), sf.limit_info())
        sf.api_used += 1
        return None

    def guarded(work: Any) -> Any:
        def run(req: Req) -> Answer:
            try:
                status, body = work(req)
            except SalesforceError as refusal:
                return refusal.status, refusal.body(), sf.limit_info()
            return status, body, sf.limit_info()

        return run

    def endpoint(route: str, work: Any) -> Any:
        async def handle(request: Request) -> Response:
            return await serve(
                sf, request, route, refuse, guarded(work) if route != "oauth.token" else work
            )

        return handle

    # ---------------------------------------------------------------- OAuth

    def token(req: Req) -> Answer:
        form = req.body if isinstance(req.body, dict) else {}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        grant = form.get("grant_type")
        if grant is None:
            return errors.oauth("invalid_request", "grant type is missing")
        if grant != "client_credentials":
            return errors.oauth("unsupported_grant_type", "grant type not supported")
        if (client_id, client_secret) != (sf.client_id, sf.client_secret):
            return errors.oauth("invalid_client", "invalid client credentials")
        access = f"00D5g000000STAND!{secrets.token_urlsafe(24)}"
        sf.sessions[access] = sf.clock.now() + sf.session_seconds
        sf.tokens_issued += 1
        body = {
            "access_token": access,
            "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
            "scope": "api",
            "instance_url": sf.url,
            "id": f"{sf.url}/id/00D5g000000STAND/{sf.integration_user}",
            "token_type": "Bearer",
            "issued_at": str(int(sf.clock.now() * 1000)),
        }
        return 200, body, {}

    # ---------------------------------------------------------------- query

    def query(req: Req) -> tuple[int, Any]:
        soql = req.query.get("q")
        if not soql:
            raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
        parsed = parse(soql)
        found = [r for r in sf.org.of_type(parsed.object_type) if matches(r.fields, parsed.where)]
        if parsed.order:
            name, descending, nulls_last = parsed.order
            present = sorted(
                (r for r in found if r.fields.get(name) is not None),
                key=lambda r: _key(r.fields[name]),
                reverse=descending,
            )
            empty = [r for r in found if r.fields.get(name) is None]
            found = present + empty if nulls_last else empty + present
        if parsed.limit is not None:
            found = found[: parsed.limit]
        version = req.params["version"]
        rows = [_row(r.type, r.fields, parsed.fields, api_url(version)) for r in found]
        return 200, page(version, rows, 0)

    def page(version: str, rows: list[dict[str, Any]], start: int) -> dict[str, Any]:
        size = sf.query_batch
        chunk = rows[start : start + size]
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": start + size >= len(rows),
            "records": chunk,
        }
        if not body["done"]:
            locator = f"01g5g{secrets.token_hex(6).upper()}"
            sf.cursors[locator] = rows
            body["nextRecordsUrl"] = f"{api_url(version)}/query/{locator}-{start + size}"
        return body

    def more(req: Req) -> tuple[int, Any]:
        locator, _, offset = req.params["cursor"].rpartition("-")
        rows = sf.cursors.get(locator)
        if rows is None or not offset.isdigit():
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return 200, page(req.params["version"], rows, int(offset))

    # ---------------------------------------------------------------- sObjects

    def object_type(req: Req) -> str:
        name = req.params["sobject"]
        found = next((t for t in SCHEMA if t.lower() == name.lower()), None)
        if found is None:
            raise errors.not_found()
        return found

    def create(req: Req) -> tuple[int, Any]:
        kind = object_type(req)
        if req.bad_body or not isinstance(req.body, dict):
            raise SalesforceError(
                400, "JSON_PARSER_ERROR", "Unexpected character: was expecting JSON"
            )
        values = {k: v for k, v in req.body.items() if k != "attributes"}
        if sf.block_duplicates and kind == "Lead":
            _refuse_duplicates(sf, values, api_url(req.params["version"]))
        record = sf.org.insert(kind, values, sf.clock.now())
        return 201, {"id": record.id, "success": True, "errors": []}

    def record_of(req: Req) -> Any:
        kind = object_type(req)
        record = sf.org.records.get(req.params["id"])
        if record is not None and record.deleted:
            raise errors.entity_deleted()
        prefix_type = OBJECT_OF_PREFIX.get(req.params["id"][:3])
        if record is None or record.type != kind or prefix_type != kind:
            if len(req.params["id"]) not in (15, 18):
                raise SalesforceError(
                    400,
                    "MALFORMED_ID",
                    f"{kind} ID: id value of incorrect type: {req.params['id']}",
                )
            raise errors.not_found()
        return record

    def update(req: Req) -> tuple[int, Any]:
        record = record_of(req)
        if req.bad_body or not isinstance(req.body, dict):
            raise SalesforceError(
                400, "JSON_PARSER_ERROR", "Unexpected character: was expecting JSON"
            )
        if record.type == "Lead" and record.fields.get("IsConverted"):
            # A converted Lead is read-only (StatusCode CANNOT_UPDATE_CONVERTED_LEAD; the
            # message from memory).
            raise SalesforceError(
                400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"
            )
        sf.org.update(
            record, {k: v for k, v in req.body.items() if k != "attributes"}, sf.clock.now()
        )
        return 204, None

    def get(req: Req) -> tuple[int, Any]:
        record = record_of(req)
        wanted = [f for f in (req.query.get("fields") or "").split(",") if f] or list(
            SCHEMA[record.type]
        )
        return 200, _row(record.type, record.fields, wanted, api_url(req.params["version"]))

    async def not_found(request: Request) -> Response:
        return JSONResponse(errors.not_found().body(), status_code=404)

    data = "/services/data/{version}"
    return Starlette(
        routes=[
            Route("/services/oauth2/token", endpoint("oauth.token", token), methods=["POST"]),
            Route(f"{data}/query", endpoint("query", query), methods=["GET"]),
            Route(f"{data}/query/", endpoint("query", query), methods=["GET"]),
            Route(f"{data}/query/{{cursor}}", endpoint("query.more", more), methods=["GET"]),
            Route(
                f"{data}/sobjects/{{sobject}}",
                endpoint("sobjects.create", create),
                methods=["POST"],
            ),
            Route(
                f"{data}/sobjects/{{sobject}}/",
                endpoint("sobjects.create", create),
                methods=["POST"],
            ),
            Route(
                f"{data}/sobjects/{{sobject}}/{{id}}",
                endpoint("sobjects.update", update),
                methods=["PATCH"],
            ),
            Route(
                f"{data}/sobjects/{{sobject}}/{{id}}",
                endpoint("sobjects.get", get),
                methods=["GET"],
            ),
            Route("/{path:path}", not_found, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ]
    )


def _refuse_duplicates(sf: SalesforceStandin, values: dict[str, Any], api: str) -> None:
    """Salesforce's standard duplicate rules, set to block: a new Lead matching a Lead (same
    email, or same first name, last name and company: the Standard Lead Matching Rule's exact
    parts) or a Contact (same email: the rule for leads with duplicate contacts). Written from
    memory of the rules' descriptions; real matching is fuzzier."""

    def same(a: Any, b: Any) -> bool:
        return bool(a) and bool(b) and str(a).strip().lower() == str(b).strip().lower()

    leads = [
        r.id
        for r in sf.org.of_type("Lead")
        if not r.fields.get("IsConverted")
        and (
            same(r.fields.get("Email"), values.get("Email"))
            or all(
                same(r.fields.get(f), values.get(f)) for f in ("FirstName", "LastName", "Company")
            )
        )
    ]
    if leads:
        raise errors.duplicates("Lead", leads, api)
    contacts = [
        r.id for r in sf.org.of_type("Contact") if same(r.fields.get("Email"), values.get("Email"))
    ]
    if contacts:
        raise errors.duplicates("Contact", contacts, api)


def _fail(error: SalesforceError, headers: dict[str, str] | None = None) -> Answer:
    return error.status, error.body(), headers or {}


def _key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _row(kind: str, fields: dict[str, Any], names: list[str], api: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "attributes": {"type": kind, "url": f"{api}/sobjects/{kind}/{fields['Id']}"}
    }
    for name in names:
        value = fields.get(name)
        if SCHEMA[kind].get(name) == "datetime" and isinstance(value, float):
            value = sf_datetime(value)
        row[name] = value
    return row
