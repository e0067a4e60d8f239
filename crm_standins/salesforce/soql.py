"""A small SOQL: the query shapes leadrouter sends, read as Salesforce reads them.

Grammar (a subset of the SOQL and SOSL Reference): `SELECT field, … FROM object [WHERE
condition] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST]] [LIMIT n]`; conditions joined by AND
/ OR / NOT with parentheses (SOQL requires them when AND and OR are mixed); `field op value`
with =, !=, <>, <, <=, >, >=, LIKE, IN (…), NOT IN (…). Literals: 'quoted strings' with
backslash escapes (\\' \\\\ \\n …, "Quoted String Escape Sequences"), true/false, null,
numbers, dateTime literals unquoted (2026-12-03T06:00:00Z, with an offset or .SSS) and dates
(2026-12-03). No relationship fields, functions, GROUP BY, OFFSET or subqueries: the parser
refuses them as MALFORMED_QUERY, so a query we start to send that it cannot read fails loudly
here rather than passing untested.

Semantics ("Comparison Operators"): text comparisons ignore case (`=` on Email, LIKE too);
LIKE's wildcards are % and _, escaped with a backslash; a dateTime field compared with a
quoted string is refused (the value must not be enclosed in quotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from crm_standins.salesforce.errors import (
    SalesforceError,
    invalid_field,
    invalid_type,
    malformed_query,
)
from crm_standins.salesforce.org import SCHEMA

TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "%": "\\%",
    "_": "\\_",
}
KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "TRUE",
    "FALSE",
    "NULL",
}


@dataclass
class Tok:
    kind: str
    text: str
    column: int  # 1-based, for the error's Row:1:Column:N

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass
class Query:
    object_type: str
    fields: list[str]
    where: Any  # a tree of ("and"|"or", a, b) / ("not", a) / ("cmp", field, op, value)
    order: tuple[str, bool, bool] | None  # field, descending, nulls last
    limit: int | None


def tokens(soql: str) -> list[Tok]:
    found, at = [], 0
    while at < len(soql):
        if soql[at:].strip() == "":
            break
        match = TOKEN.match(soql, at)
        if match is None or match.end() == at:
            column = at + 1 + (len(soql[at:]) - len(soql[at:].lstrip()))
            raise malformed_query(soql, column, f"unexpected token: '{soql[at:].strip()[:20]}'")
        kind = match.lastgroup or ""
        start = match.start(kind)
        found.append(Tok(kind, match.group(kind), start + 1))
        at = match.end()
    return found


class Parser:
    def __init__(self, soql: str) -> None:
        self.soql, self.toks, self.i = soql, tokens(soql), 0

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise malformed_query(self.soql, len(self.soql) + 1, "unexpected token: <EOF>")
        self.i += 1
        return tok

    def expect(self, word: str) -> Tok:
        tok = self.take()
        if tok.upper != word:
            raise malformed_query(self.soql, tok.column, f"unexpected token: {tok.text}")
        return tok

    def at(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.upper == word

    def parse(self) -> Query:
        self.expect("SELECT")
        fields = [self.field_name()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.take()
            fields.append(self.field_name())
        self.expect("FROM")
        obj = self.take()
        if obj.kind != "word" or obj.upper in KEYWORDS:
            raise malformed_query(self.soql, obj.column, f"unexpected token: {obj.text}")
        object_type = next((t for t in SCHEMA if t.lower() == obj.text.lower()), None)
        if object_type is None:
            raise invalid_type(self.soql, obj.column, obj.text)
        for tok, name in fields:
            self.known(object_type, tok, name)
        where = None
        if self.at("WHERE"):
            self.take()
            where = self.or_expr(object_type)
        order = None
        if self.at("ORDER"):
            self.take()
            self.expect("BY")
            tok, name = self.field_name()
            self.known(object_type, tok, name)
            descending = nulls_last = False
            if self.at("ASC") or self.at("DESC"):
                descending = self.take().upper == "DESC"
            nulls_last = descending  # Salesforce: nulls first ascending, last descending
            if self.at("NULLS"):
                self.take()
                nulls_last = self.take().upper == "LAST"
            order = (self.canonical(object_type, name), descending, nulls_last)
        limit = None
        if self.at("LIMIT"):
            self.take()
            tok = self.take()
            if tok.kind != "number":
                raise malformed_query(self.soql, tok.column, f"unexpected token: {tok.text}")
            limit = int(tok.text)
        if self.peek() is not None:
            tok = self.take()
            raise malformed_query(self.soql, tok.column, f"unexpected token: {tok.text}")
        names = [self.canonical(object_type, n) for _t, n in fields]
        return Query(object_type, names, where, order, limit)

    def field_name(self) -> tuple[Tok, str]:
        tok = self.take()
        if tok.kind != "word" or tok.upper in KEYWORDS or "." in tok.text:
            raise malformed_query(self.soql, tok.column, f"unexpected token: {tok.text}")
        return tok, tok.text

    def known(self, object_type: str, tok: Tok, name: str) -> None:
        if not any(f.lower() == name.lower() for f in SCHEMA[object_type]):
            raise invalid_field(self.soql, tok.column, name, object_type)

    @staticmethod
    def canonical(object_type: str, name: str) -> str:
        return next(f for f in SCHEMA[object_type] if f.lower() == name.lower())

    def or_expr(self, object_type: str) -> Any:
        left = self.and_expr(object_type)
        while self.at("OR"):
            tok = self.take()
            right = self.and_expr(object_type)
            if _mixed(left, "and") or _mixed(right, "and"):
                raise malformed_query(self.soql, tok.column, "unexpected token: OR")
            left = ("or", left, right)
        return left

    def and_expr(self, object_type: str) -> Any:
        left = self.not_expr(object_type)
        while self.at("AND"):
            tok = self.take()
            right = self.not_expr(object_type)
            if _mixed(left, "or") or _mixed(right, "or"):
                raise malformed_query(self.soql, tok.column, "unexpected token: AND")
            left = ("and", left, right)
        return left

    def not_expr(self, object_type: str) -> Any:
        if self.at("NOT"):
            self.take()
            return ("not", self.not_expr(object_type))
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.or_expr(object_type)
            closing = self.take()
            if closing.text != ")":
                raise malformed_query(
                    self.soql, closing.column, f"unexpected token: {closing.text}"
                )
            return ("group", inner)
        return self.condition(object_type)

    def condition(self, object_type: str) -> Any:
        tok, name = self.field_name()
        self.known(object_type, tok, name)
        field = self.canonical(object_type, name)
        kind = SCHEMA[object_type][field]
        negate = False
        if self.at("NOT"):
            self.take()
            negate = True
        op_tok = self.take()
        op = op_tok.upper if op_tok.kind == "word" else op_tok.text
        if op not in ("=", "!=", "<>", "<", "<=", ">", ">=", "LIKE", "IN") or (
            negate and op != "IN"
        ):
            raise malformed_query(self.soql, op_tok.column, f"unexpected token: {op_tok.text}")
        if op == "IN":
            opening = self.take()
            if opening.text != "(":
                raise malformed_query(
                    self.soql, opening.column, f"unexpected token: {opening.text}"
                )
            values = [self.value(field, kind)]
            while (nxt := self.take()).text == ",":
                values.append(self.value(field, kind))
            if nxt.text != ")":
                raise malformed_query(self.soql, nxt.column, f"unexpected token: {nxt.text}")
            return ("cmp", field, "NOT IN" if negate else "IN", values)
        return ("cmp", field, "!=" if op == "<>" else op, self.value(field, kind))

    def value(self, field: str, kind: str) -> Any:
        tok = self.take()
        if tok.kind == "string":
            if kind in ("datetime", "date"):
                raise SalesforceError(
                    400,
                    "INVALID_QUERY_FILTER_OPERATOR",
                    f"\n{self.soql}\nERROR at Row:1:Column:{tok.column}\nvalue of filter criterion "
                    f"for field '{field}' must be of type {_type_name(kind)} and should not be "
                    "enclosed in quotes",
                )
            return _unquote(tok.text)
        if tok.kind == "datetime":
            return datetime.fromisoformat(tok.text.replace("Z", "+00:00")).timestamp()
        if tok.kind == "date":
            return tok.text
        if tok.kind == "number":
            return float(tok.text)
        if tok.upper in ("TRUE", "FALSE"):
            return tok.upper == "TRUE"
        if tok.upper == "NULL":
            return None
        raise malformed_query(self.soql, tok.column, f"unexpected token: {tok.text}")


def _type_name(kind: str) -> str:
    return "dateTime" if kind == "datetime" else "date"


def _mixed(node: Any, other: str) -> bool:
    return isinstance(node, tuple) and node[0] == other


def _unquote(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(body[i])
        i += 1
    return "".join(out)


def parse(soql: str) -> Query:
    return Parser(soql).parse()


def matches(fields: dict[str, Any], node: Any) -> bool:
    if node is None:
        return True
    head = node[0]
    if head == "and":
        return matches(fields, node[1]) and matches(fields, node[2])
    if head == "or":
        return matches(fields, node[1]) or matches(fields, node[2])
    if head == "not":
        return not matches(fields, node[1])
    if head == "group":
        return matches(fields, node[1])
    _cmp, field, op, wanted = node
    have = fields.get(field)
    if op in ("IN", "NOT IN"):
        inside = any(_equal(have, w) for w in wanted)
        return inside == (op == "IN")
    if op == "=":
        return _equal(have, wanted)
    if op == "!=":
        return not _equal(have, wanted)
    if op == "LIKE":
        return have is not None and _like(str(have), str(wanted))
    if have is None or wanted is None:
        return False
    left, right = _ordered(have), _ordered(wanted)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _equal(have: Any, wanted: Any) -> bool:
    if have is None or wanted is None:
        return have is None and wanted is None
    if isinstance(have, str) and isinstance(wanted, str):
        return have.lower() == wanted.lower()
    return _ordered(have) == _ordered(wanted)


def _ordered(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).toordinal()
        except ValueError:
            return value.lower()
    return value


def _like(have: str, pattern: str) -> bool:
    regex, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.fullmatch(regex, have, re.IGNORECASE | re.DOTALL) is not None


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)
