"""Turn what people type into web forms into values rules can compare.

Countries become ISO 3166-1 alpha-2 codes, languages ISO 639-1 codes, company sizes and
revenues numbers. Each parser raises ValueError with a sentence naming what it could not read,
so the webhook can answer 422 naming the field.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

# pycountry knows English and official names and ISO codes; forms also send these.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "britain": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "deutschland": "DE",
    "españa": "ES",
    "espana": "ES",
    "méxico": "MX",
    "brasil": "BR",
    "nederland": "NL",
    "holland": "NL",
    "the netherlands": "NL",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "österreich": "AT",
    "osterreich": "AT",
    "italia": "IT",
    "belgië": "BE",
    "belgique": "BE",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "polska": "PL",
    "česko": "CZ",
    "czechia": "CZ",
    "éire": "IE",
    "nippon": "JP",
    "nihon": "JP",
    "日本": "JP",
    "中国": "CN",
    "한국": "KR",
    "korea": "KR",
    "south korea": "KR",
    "russia": "RU",
    "turkey": "TR",
    "uae": "AE",
    "emirates": "AE",
    "hong kong": "HK",
    "vietnam": "VN",
    "ivory coast": "CI",
}

_LANGUAGE_ALIASES = {
    "deutsch": "de",
    "français": "fr",
    "francais": "fr",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "italiano": "it",
    "português": "pt",
    "portugues": "pt",
    "nederlands": "nl",
    "日本語": "ja",
    "nihongo": "ja",
    "中文": "zh",
    "mandarin": "zh",
    "chinese": "zh",
    "한국어": "ko",
    "svenska": "sv",
    "polski": "pl",
}


@lru_cache(maxsize=4096)
def country_code(value: str) -> str:
    """'Deutschland', 'USA', 'de', 'DEU', 'Germany' -> 'DE'.

    A number is not a country: ISO 3166 also numbers countries ('500' is Montserrat), but a
    form's number is far more often a size or a count in the wrong box. A source whose form
    does send numeric codes says so (`numeric_country_codes`, read by country_from_number)."""
    text = value.strip()
    if not text:
        raise ValueError("country is empty")
    if text.isdigit():
        raise ValueError(f"country {value!r} is a number, not a country name or code")
    alias = _COUNTRY_ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        raise ValueError(f"unknown country {value!r} (use a name or an ISO 3166 code)") from None


def country_from_number(value: str) -> str:
    """An ISO 3166-1 numeric code ('276', '40') -> its alpha-2 code ('DE', 'AT')."""
    text = value.strip()
    found = pycountry.countries.get(numeric=text.zfill(3)) if text.isdigit() else None
    if found is None:
        raise ValueError(f"{value!r} is not an ISO 3166 numeric country code")
    return found.alpha_2


@lru_cache(maxsize=1024)
def language_code(value: str) -> str:
    """'French', 'français', 'fr', 'fra', 'fr-CA' -> 'fr'."""
    text = value.strip()
    if not text:
        raise ValueError("language is empty")
    alias = _LANGUAGE_ALIASES.get(text.casefold())
    if alias:
        return alias
    base = re.split(r"[-_]", text)[0]  # 'fr-CA', 'pt_BR' -> the language part
    for candidate in (text, base):
        # an exact ISO code first: lookup() would match a language *named* "En" before "en"
        key = candidate.lower()
        if len(key) in (2, 3):
            exact = pycountry.languages.get(**{f"alpha_{len(key)}": key})
            if exact is not None:
                return getattr(exact, "alpha_2", None) or exact.alpha_3
        try:
            language = pycountry.languages.lookup(candidate)
        except LookupError:
            continue
        return getattr(language, "alpha_2", None) or language.alpha_3
    raise ValueError(f"unknown language {value!r} (use a name or an ISO 639 code)")


_NUMBER = r"(\d+(?:[.,]\d+)*)"
MAX_EMPLOYEES = 10_000_000  # the largest employers have a few million
MAX_REVENUE = 1e13
_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000, "mm": 1_000_000, "b": 1_000_000_000, "bn": 1e9}


def _plain_number(text: str) -> float:
    """'1,000' -> 1000, '2.5' -> 2.5, '1.000.000' -> 1000000."""
    if text.count(",") and not text.count("."):
        # a comma followed by exactly two digits is a decimal comma ("2,5" never appears in sizes)
        parts = text.split(",")
        if len(parts) == 2 and len(parts[1]) != 3:
            return float(parts[0] + "." + parts[1])
        return float(text.replace(",", ""))
    if text.count(".") > 1:
        return float(text.replace(".", "").replace(",", "."))
    return float(text.replace(",", ""))


_ONE_PERSON = {"justme", "onlyme", "me", "myself", "solo", "selfemployed", "self-employed"}


def employee_count(value: str | int | float) -> int:
    """'500-1000' -> 500, '51 to 200' -> 51, '1,000+' -> 1000, '10k' -> 10000, 'Just me' -> 1.

    A range reads as its lower bound: forms offer brackets such as '1001-5000', and the lower
    bound is the size the company is known to have.
    """
    if isinstance(value, bool):
        raise ValueError("employees must be a number or a range such as '500-1000'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("employees cannot be negative")
        if not value <= MAX_EMPLOYEES:  # also refuses NaN
            raise ValueError("employees must be a number of people")
        return int(value)
    if not isinstance(value, str):
        raise ValueError("employees must be a number or a range such as '500-1000'")
    text = value.strip().lower().replace(" ", "")
    if text in _ONE_PERSON:
        return 1
    match = re.fullmatch(
        _NUMBER + r"(k|m)?(?:(?:[-–]|to)" + _NUMBER + r"(k|m)?|\+)?(?:employees|people)?", text
    )
    if not match:
        raise ValueError(f"cannot read employees {value!r} (try 250, '500-1000' or '1,000+')")
    count = _plain_number(match.group(1)) * _SUFFIX[match.group(2) or ""]
    if count > MAX_EMPLOYEES:
        raise ValueError(f"employees {value!r} is more than any company has")
    return int(count)


def money_amount(value: str | int | float) -> float:
    """'$5M', '€2.5m', '5,000,000', '500k', 1.2e6, '$1M-$10M' (its lower bound) -> an amount
    in the currency's units."""
    if isinstance(value, bool):
        raise ValueError("annual revenue must be an amount such as '$5M' or 5000000")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("annual revenue cannot be negative")
        if not value <= MAX_REVENUE:  # also refuses NaN
            raise ValueError("annual revenue must be an amount such as '$5M' or 5000000")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("annual revenue must be an amount such as '$5M' or 5000000")
    text = value.strip().lower().replace(" ", "")
    # a bracket ('$1M-$10M', '1m to 10m') reads as its lower bound, as employees do
    text = re.split(r"[-–]|to", text, maxsplit=1)[0] if re.search(r"\d", text) else text
    text = re.sub(r"^(usd|eur|gbp|[$€£¥])|(usd|eur|gbp)$", "", text)
    match = re.fullmatch(_NUMBER + r"(k|m|mm|b|bn)?\+?", text)
    if not match:
        raise ValueError(f"cannot read annual revenue {value!r} (try '$5M' or 5000000)")
    amount = _plain_number(match.group(1)) * _SUFFIX[match.group(2) or ""]
    if amount > MAX_REVENUE:
        raise ValueError(f"annual revenue {value!r} is more than any company makes")
    return amount


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def website_domain(url: str) -> str:
    """'https://www.Acme.com/pricing' -> 'acme.com'."""
    text = re.sub(r"^[a-z]+://", "", url.strip().lower())
    host = text.split("/", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.")
