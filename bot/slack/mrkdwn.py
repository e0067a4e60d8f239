"""Text for Slack's mrkdwn, kept inside Block Kit's limits *after* escaping.

Escaping turns one `<` into four characters (`&lt;`), so a limit applied before escaping does
not hold after it: 1,200 `<` become a 4,800-character section, which Slack refuses
(invalid_blocks). Cut escaped text with `fit`, which never splits an entity (`&amp;`) or a
Slack token (`<@U123>`, `<!date^…>`, `<url|label>`).
"""

from __future__ import annotations

from collections.abc import Iterable

SECTION_TEXT = 3000  # Slack's limit for a section's text
ELLIPSIS = "…"


def escape(text: object) -> str:
    """Slack mrkdwn control characters: & < > (mentions and links need < >)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Plain text (not yet escaped, or plain_text objects) cut to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def fit(mrkdwn: str, limit: int) -> str:
    """Escaped mrkdwn cut to at most `limit` characters, never inside an entity or a token."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # a half entity: "&am"
    opened = cut.rfind("<")
    if opened != -1 and ">" not in cut[opened:]:
        cut = cut[:opened]  # a half token: "<@U12"
    return cut.rstrip() + ELLIPSIS


def escaped(text: object, limit: int) -> str:
    """Form text made safe for mrkdwn and cut to `limit` characters after escaping."""
    return fit(escape(text), limit)


def packed(lines: Iterable[str], limit: int = SECTION_TEXT) -> list[str]:
    """Lines joined into as few texts of at most `limit` characters as they fit in; a line
    longer than `limit` is cut."""
    texts: list[str] = []
    current = ""
    for line in lines:
        line = fit(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts
