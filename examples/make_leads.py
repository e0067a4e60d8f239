"""Generate examples/leads.csv: two business weeks of plausible inbound leads, reproducibly.

    python examples/make_leads.py                  # rewrites examples/leads.csv
    python examples/make_leads.py --out /tmp/x.csv --count 2000 --seed 7

Everything comes from one seeded random generator, so the same seed and count always write
the same file. People, companies and domains are made up (domains end in `.example`). The
mix imitates a real inbound funnel: mostly North America and Europe, some APAC and Latin
America; forms that spell countries, sizes and revenues every which way; a few leads from
named accounts and partners; most leads in local business hours, some early or late.
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 20250303
COUNT = 600
FIRST_DAY = date(2025, 3, 3)  # a Monday; US clocks change on Sunday 9 March, as in real life
BUSINESS_DAYS = 10

COLUMNS = [
    "received_at",
    "name",
    "email",
    "company",
    "title",
    "country",
    "region",
    "city",
    "employees",
    "annual_revenue",
    "industry",
    "product",
    "score",
    "language",
    "source",
    "message",
    "custom.partner_id",
    "custom.utm_campaign",
]

# country code -> (share of leads, spellings people type, language spellings, time zone)
MARKETS: dict[str, tuple[float, list[str], list[str], str]] = {
    "US": (44, ["United States", "USA", "US", "U.S.", "United States of America"], [], ""),
    "CA": (5, ["Canada", "CA"], [], ""),
    "GB": (9, ["United Kingdom", "UK", "GB", "England"], [], "Europe/London"),
    "IE": (1, ["Ireland", "IE"], [], "Europe/Dublin"),
    "DE": (
        7,
        ["Germany", "Deutschland", "DE"],
        ["German", "de", "Deutsch", "de-DE"],
        "Europe/Berlin",
    ),
    "AT": (1, ["Austria", "Österreich", "AT"], ["German", "Deutsch", "de-AT"], "Europe/Vienna"),
    "CH": (1, ["Switzerland", "Schweiz", "CH"], ["German", "de-CH"], "Europe/Zurich"),
    "FR": (6, ["France", "FR"], ["French", "fr", "Français", "fr-FR"], "Europe/Paris"),
    "BE": (1, ["Belgium", "Belgique"], ["French", "fr-BE"], "Europe/Brussels"),
    "NL": (2, ["Netherlands", "Nederland", "NL"], [], "Europe/Amsterdam"),
    "ES": (2, ["Spain", "España", "ES"], [], "Europe/Madrid"),
    "SE": (1, ["Sweden", "Sverige"], [], "Europe/Stockholm"),
    "NO": (0.5, ["Norway", "Norge"], [], "Europe/Oslo"),
    "JP": (5, ["Japan", "日本", "JP"], ["Japanese", "ja", "日本語", "ja-JP"], "Asia/Tokyo"),
    "AU": (4, ["Australia", "AU"], [], "Australia/Sydney"),
    "NZ": (0.5, ["New Zealand", "NZ"], [], "Pacific/Auckland"),
    "SG": (1, ["Singapore", "SG"], [], "Asia/Singapore"),
    "IN": (2, ["India", "IN"], [], "Asia/Kolkata"),
    "BR": (2, ["Brazil", "Brasil", "BR"], ["Portuguese", "pt-BR"], "America/Sao_Paulo"),
    "MX": (1.5, ["Mexico", "México", "MX"], ["Spanish", "es", "es-MX"], "America/Mexico_City"),
    "AR": (0.5, ["Argentina"], ["Spanish", "Español"], "America/Argentina/Buenos_Aires"),
}
ENGLISH = ["English", "en", "en-US", "en-GB"]

# US state code -> (full name, weight, time zone, cities)
US_STATES: dict[str, tuple[str, int, str, list[str]]] = {
    "CA": ("California", 12, "America/Los_Angeles", ["San Francisco", "San Diego", "Irvine"]),
    "WA": ("Washington", 4, "America/Los_Angeles", ["Seattle", "Bellevue", "Spokane"]),
    "OR": ("Oregon", 2, "America/Los_Angeles", ["Portland", "Eugene"]),
    "AZ": ("Arizona", 2, "America/Phoenix", ["Phoenix", "Tempe"]),
    "CO": ("Colorado", 3, "America/Denver", ["Denver", "Boulder"]),
    "UT": ("Utah", 2, "America/Denver", ["Salt Lake City", "Lehi"]),
    "TX": ("Texas", 9, "America/Chicago", ["Austin", "Dallas", "Houston"]),
    "IL": ("Illinois", 5, "America/Chicago", ["Chicago", "Naperville"]),
    "MN": ("Minnesota", 2, "America/Chicago", ["Minneapolis", "St. Paul"]),
    "MO": ("Missouri", 2, "America/Chicago", ["St. Louis", "Kansas City"]),
    "WI": ("Wisconsin", 1, "America/Chicago", ["Milwaukee", "Madison"]),
    "TN": ("Tennessee", 2, "America/Chicago", ["Nashville", "Memphis"]),
    "MI": ("Michigan", 2, "America/Detroit", ["Detroit", "Ann Arbor"]),
    "NY": ("New York", 8, "America/New_York", ["New York", "Brooklyn", "Rochester"]),
    "MA": ("Massachusetts", 4, "America/New_York", ["Boston", "Cambridge"]),
    "FL": ("Florida", 5, "America/New_York", ["Miami", "Tampa", "Orlando"]),
    "GA": ("Georgia", 3, "America/New_York", ["Atlanta", "Savannah"]),
    "NC": ("North Carolina", 3, "America/New_York", ["Raleigh", "Charlotte"]),
    "PA": ("Pennsylvania", 3, "America/New_York", ["Philadelphia", "Pittsburgh"]),
    "NJ": ("New Jersey", 2, "America/New_York", ["Newark", "Princeton"]),
    "VA": ("Virginia", 2, "America/New_York", ["Arlington", "Richmond"]),
    "OH": ("Ohio", 2, "America/New_York", ["Columbus", "Cleveland"]),
}
CA_PROVINCES: dict[str, tuple[str, int, str, list[str]]] = {
    "ON": ("Ontario", 5, "America/Toronto", ["Toronto", "Ottawa", "Waterloo"]),
    "QC": ("Québec", 3, "America/Toronto", ["Montréal", "Québec City"]),
    "BC": ("British Columbia", 3, "America/Vancouver", ["Vancouver", "Victoria"]),
    "AB": ("Alberta", 2, "America/Edmonton", ["Calgary", "Edmonton"]),
}
OTHER_REGIONS: dict[str, list[tuple[str, str]]] = {
    "GB": [("England", "London"), ("England", "Manchester"), ("Scotland", "Edinburgh")],
    "IE": [("Leinster", "Dublin"), ("Munster", "Cork")],
    "DE": [("Bayern", "München"), ("Berlin", "Berlin"), ("Hamburg", "Hamburg")],
    "AT": [("Wien", "Wien"), ("Steiermark", "Graz")],
    "CH": [("Zürich", "Zürich"), ("Bern", "Bern")],
    "FR": [("Île-de-France", "Paris"), ("Auvergne-Rhône-Alpes", "Lyon"), ("Occitanie", "Toulouse")],
    "BE": [("Bruxelles", "Bruxelles"), ("Wallonie", "Liège")],
    "NL": [("Noord-Holland", "Amsterdam"), ("Zuid-Holland", "Rotterdam")],
    "ES": [("Madrid", "Madrid"), ("Cataluña", "Barcelona")],
    "SE": [("Stockholm", "Stockholm")],
    "NO": [("Oslo", "Oslo")],
    "JP": [("Tokyo", "Tokyo"), ("Osaka", "Osaka"), ("Kanagawa", "Yokohama")],
    "AU": [("NSW", "Sydney"), ("VIC", "Melbourne"), ("QLD", "Brisbane")],
    "NZ": [("Auckland", "Auckland")],
    "SG": [("", "Singapore")],
    "IN": [("Karnataka", "Bengaluru"), ("Maharashtra", "Mumbai")],
    "BR": [("SP", "São Paulo"), ("RJ", "Rio de Janeiro")],
    "MX": [("CDMX", "Ciudad de México"), ("Jalisco", "Guadalajara")],
    "AR": [("Buenos Aires", "Buenos Aires")],
}

FIRST_NAMES = {
    "en": [
        "Emily",
        "Michael",
        "Jessica",
        "David",
        "Ashley",
        "Christopher",
        "Sarah",
        "Daniel",
        "Olivia",
        "Ethan",
        "Megan",
        "Brandon",
        "Lauren",
        "Tyler",
        "Rachel",
        "Jordan",
        "Priya",
        "Wei",
        "Carlos",
        "Aaliyah",
        "Noah",
        "Grace",
        "Omar",
        "Chloe",
        "Liam",
        "Zara",
    ],
    "fr": [
        "Amélie",
        "Jérôme",
        "Hélène",
        "François",
        "Benoît",
        "Élodie",
        "Mathieu",
        "Camille",
        "Sébastien",
        "Léa",
        "Théo",
        "Manon",
        "Guillaume",
        "Céline",
    ],
    "de": [
        "Jürgen",
        "Björn",
        "Katrin",
        "Lukas",
        "Anja",
        "Matthias",
        "Sören",
        "Annika",
        "Tobias",
        "Jana",
        "Maximilian",
        "Franziska",
    ],
    "ja": ["Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Daiki", "Mei"],
    "es": ["Lucía", "Mateo", "Valentina", "Santiago", "Camila", "Joaquín", "Sofía", "Andrés"],
    "pt": ["João", "Ana", "Gabriel", "Beatriz", "Rafael", "Larissa"],
}
LAST_NAMES = {
    "en": [
        "Smith",
        "Johnson",
        "Patel",
        "Nguyen",
        "Williams",
        "Brown",
        "Garcia",
        "Kim",
        "O'Neill",
        "Murphy",
        "Thompson",
        "Walker",
        "Chen",
        "Robinson",
        "Hughes",
        "Singh",
        "Campbell",
        "Foster",
        "Reyes",
        "Mitchell",
        "Fraser",
        "Okonkwo",
    ],
    "fr": [
        "Dubois",
        "Lefèvre",
        "Moreau",
        "Girard",
        "Rousseau",
        "Fontaine",
        "Chevalier",
        "Mercier",
        "Lambert",
        "Bonnet",
    ],
    "de": [
        "Müller",
        "Schmidt",
        "Weiß",
        "Schröder",
        "Hoffmann",
        "Köhler",
        "Groß",
        "Becker",
        "Zimmermann",
        "Krüger",
    ],
    "ja": ["Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"],
    "es": ["García", "Rodríguez", "Fernández", "López", "Martínez", "Pérez", "Gómez"],
    "pt": ["Silva", "Santos", "Oliveira", "Souza", "Ferreira", "Costa"],
}
# some Japanese leads type their name in kanji (family name first)
KANJI = {
    "Suzuki": "鈴木",
    "Takahashi": "高橋",
    "Watanabe": "渡辺",
    "Ito": "伊藤",
    "Yamamoto": "山本",
    "Nakamura": "中村",
    "Kobayashi": "小林",
    "Kato": "加藤",
    "Haruto": "陽翔",
    "Yui": "結衣",
    "Sota": "蒼太",
    "Aoi": "葵",
    "Ren": "蓮",
    "Hina": "陽菜",
    "Takumi": "拓海",
    "Sakura": "さくら",
    "Daiki": "大輝",
    "Mei": "芽依",
}
NAME_LANGUAGE = {
    "FR": "fr",
    "BE": "fr",
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "JP": "ja",
    "ES": "es",
    "MX": "es",
    "AR": "es",
    "BR": "pt",
}

# industry as typed on the form -> (weight, words that make a company name sound like it)
INDUSTRIES: dict[str, tuple[int, list[str]]] = {
    "Software": (16, ["Software", "Labs", "Cloud", "Analytics", "Digital", "Systems"]),
    "Healthcare": (4, ["Health", "Medical", "Care", "Clinics"]),
    "Health Care": (1, ["Health Partners", "Care Network"]),
    "Medical Devices": (2, ["Medtech", "Diagnostics"]),
    "Fintech": (4, ["Pay", "Ledger", "Fintech"]),
    "Financial Services": (3, ["Capital", "Wealth", "Finance"]),
    "Insurance": (1, ["Insurance", "Mutual"]),
    "Manufacturing": (11, ["Manufacturing", "Industries", "Works", "Components"]),
    "Retail": (9, ["Outfitters", "Market", "Goods", "Stores"]),
    "Education": (5, ["Learning", "Academy", "Education"]),
    "Logistics": (8, ["Logistics", "Freight", "Shipping"]),
    "Media": (4, ["Media", "Studios", "Publishing"]),
    "Professional Services": (8, ["Consulting", "Advisory", "Partners"]),
    "Real Estate": (3, ["Properties", "Realty"]),
    "Energy": (3, ["Energy", "Solar", "Power"]),
    "Non-profit": (2, ["Foundation", "Trust"]),
    "": (3, ["Group", "Co"]),
}
PREFIXES = [
    "Bluecrest",
    "Cedarline",
    "Harborview",
    "Ironwood",
    "Lumen",
    "Brightpath",
    "Silverline",
    "Redwood",
    "Summit",
    "Pioneer",
    "Keystone",
    "Evergreen",
    "Granite",
    "Orchard",
    "Beacon",
    "Copperleaf",
    "Falcon",
    "Meridian",
    "Nimbus",
    "Quarry",
    "Riverbend",
    "Sagebrush",
    "Tidewater",
    "Vantage",
    "Willow",
    "Atlas",
    "Aurora",
    "Cobalt",
    "Driftwood",
    "Elmstead",
    "Foxglove",
    "Juniper",
    "Larkspur",
    "Northgate",
    "Oakridge",
    "Pinecone",
    "Stonebridge",
    "Thistle",
    "Upland",
    "Wren",
]
LOCAL_PREFIXES = {
    "de": ["Rheinland", "Nordstern", "Alpen", "Elbtal", "Schwarzwald", "Isar", "Hanse"],
    "fr": ["Beaumont", "Rivière", "Clairval", "Montaigne", "Lumière", "Belair"],
    "ja": ["Hikari", "Midori", "Asahi", "Fujimoto", "Kawaguchi", "Tsubame"],
    "es": ["Sierra", "Alameda", "Costa Azul", "Mirador"],
    "pt": ["Horizonte", "Ipê", "Serra Verde"],
}
LEGAL = {
    "US": ["Inc.", "LLC", "", "Corp."],
    "CA": ["Inc.", "Ltd."],
    "GB": ["Ltd", "plc", ""],
    "IE": ["Ltd"],
    "DE": ["GmbH", "AG"],
    "AT": ["GmbH"],
    "CH": ["AG", "GmbH"],
    "FR": ["SAS", "SA"],
    "BE": ["SA", "SRL"],
    "NL": ["B.V."],
    "ES": ["S.L.", "S.A."],
    "SE": ["AB"],
    "NO": ["AS"],
    "JP": ["K.K.", "Co., Ltd."],
    "AU": ["Pty Ltd"],
    "NZ": ["Ltd"],
    "SG": ["Pte. Ltd."],
    "IN": ["Pvt. Ltd."],
    "BR": ["Ltda."],
    "MX": ["S.A. de C.V."],
    "AR": ["S.A."],
}

# Named accounts (see routing.yml and accounts.csv): domain -> company, country, region,
# industry, employees as the form says it.
NAMED_ACCOUNTS = [
    ("globex.example", "Globex Corporation", "US", "IL", "Manufacturing", "10,000+"),
    ("initech.example", "Initech", "US", "TX", "Software", "1001-5000"),
    ("umbrella-pharma.example", "Umbrella Pharma", "US", "NJ", "Healthcare", "5,000+"),
    ("soylent-foods.example", "Soylent Foods", "US", "CA", "Retail", "1,000+"),
    ("acme-robotics.example", "Acme Robotics", "US", "WA", "Manufacturing", "2400"),
    ("hooli.example", "Hooli", "US", "CA", "Software", "10,000+"),
    ("stark-industries.example", "Stark Industries", "US", "NY", "Manufacturing", "10,000+"),
    ("wayne-enterprises.example", "Wayne Enterprises", "US", "NJ", "Real Estate", "5001-10000"),
    ("cyberdyne.example", "Cyberdyne Systems", "US", "CA", "Software", "1001-5000"),
    ("vandelay-imports.example", "Vandelay Industries", "US", "NY", "Logistics", "51-200"),
    ("dunder-mifflin.example", "Dunder Mifflin", "US", "PA", "Retail", "201-500"),
    ("massive-dynamic.example", "Massive Dynamic", "US", "MA", "Software", "5,000+"),
    ("blue-sun.example", "Blue Sun Pty Ltd", "AU", "NSW", "Energy", "1001-5000"),
    ("tyrell.example", "Tyrell Financial Ltd", "GB", "England", "Financial Services", "1,000+"),
    (
        "lavoisier-sante.example",
        "Lavoisier Santé SA",
        "FR",
        "Île-de-France",
        "Healthcare",
        "1001-5000",
    ),
    (
        "bergmann-maschinenbau.example",
        "Bergmann Maschinenbau GmbH",
        "DE",
        "Bayern",
        "Manufacturing",
        "1,000+",
    ),
    ("hanseatische-bank.example", "Hanseatische Bank AG", "DE", "Hamburg", "Banking", "3200"),
    (
        "britannia-logistics.example",
        "Britannia Logistics plc",
        "GB",
        "England",
        "Logistics",
        "501-1000",
    ),
    ("sakura-denki.example", "Sakura Denki K.K.", "JP", "Osaka", "Manufacturing", "10,000+"),
    ("kawasemi-shoji.example", "Kawasemi Shoji Co., Ltd.", "JP", "Tokyo", "Retail", "201-500"),
]

SIZES = [  # (weight, how forms write it) for each bracket; numbers are drawn inside brackets
    (10, ["1-10", "2-10", "{n:1-9}"]),
    (20, ["11-50", "{n:11-50}"]),
    (24, ["51-200", "{n:51-200}"]),
    (14, ["201-500", "{n:201-500}"]),
    (10, ["501-1000", "501-1,000", "{n:501-999}"]),
    (22, ["1001-5000", "1,000+", "5,000+", "10,000+", "{n:1000-40000}"]),
]
TITLES = {
    "en": [
        "CEO",
        "Founder",
        "CTO",
        "VP Sales",
        "VP of Operations",
        "Head of Revenue Operations",
        "Director of IT",
        "IT Manager",
        "Sales Operations Manager",
        "Marketing Manager",
        "Procurement Lead",
        "Office Manager",
        "Operations Analyst",
        "CFO",
        "Customer Success Lead",
        "Head of Growth",
        "Chief of Staff",
    ],
    "fr": [
        "Directeur commercial",
        "Responsable informatique",
        "DSI",
        "Directrice des opérations",
        "Chef de projet",
        "Gérant",
    ],
    "de": [
        "Geschäftsführer",
        "Leiter Vertrieb",
        "IT-Leiterin",
        "Head of Sales",
        "Teamleiter Operations",
    ],
    "ja": ["営業部長", "情報システム部 課長", "Sales Manager", "代表取締役"],
    "es": ["Gerente comercial", "Director de TI", "Jefa de operaciones"],
    "pt": ["Gerente de vendas", "Diretor de TI"],
}
PRODUCTS = ["Core", "Analytics", "API", "Integrations", "Enterprise Suite", ""]
SOURCES = [
    ("demo request", 18),
    ("website", 22),
    ("webinar", 10),
    ("G2", 7),
    ("content download", 14),
    ("chat", 9),
    ("event", 6),
    ("linkedin ads", 10),
    ("partner", 4),
]
CAMPAIGNS = [
    "spring-launch-2025",
    "retargeting-q1",
    "webinar-smarter-routing",
    "g2-comparison",
    "brand-search",
    "ebook-speed-to-lead",
]
MESSAGES = {
    "en": [
        "Can we get a demo next week?",
        "Looking for pricing for a team of {team}.",
        "We're moving off spreadsheets for lead assignment. How long does setup take?",
        "Do you integrate with HubSpot and Salesforce?",
        "Our reps keep missing inbound leads at night; does round robin respect time zones?",
        "Interested in the API. Is there a sandbox?",
        "Need SSO and an audit log. Is that in the enterprise plan?",
        "Just browsing for now.",
        "Please call me back, my number is in the form.",
        "",
    ],
    "fr": [
        "Bonjour, nous aimerions une démo pour une équipe de {team} commerciaux.",
        "Quels sont vos tarifs ? Merci.",
        "Est-ce compatible avec Salesforce ?",
        "",
    ],
    "de": [
        "Wir interessieren uns für eine Demo für {team} Vertriebler.",
        "Gibt es eine DSGVO-konforme Datenhaltung in der EU?",
        "Bitte um Rückruf.",
        "",
    ],
    "ja": [
        "デモをお願いします。",
        "料金表を送ってください。",
        "Salesforceとの連携は可能ですか？",
        "",
    ],
    "es": ["Hola, ¿podemos agendar una demo?", "¿Cuál es el precio para {team} usuarios?", ""],
    "pt": ["Olá, gostaríamos de uma demonstração.", "Qual o preço para {team} usuários?", ""],
}


def ascii_fold(text: str) -> str:
    text = text.replace("ß", "ss").replace("ø", "o").replace("'", "")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    words = ascii_fold(text).lower().replace("&", " ").replace(".", " ").replace(",", " ").split()
    return "-".join(words)


class LeadMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.companies: list[dict[str, str]] = []  # seen companies, for second contacts
        self.taken_domains = {domain for domain, *_ in NAMED_ACCOUNTS}

    def weighted(self, options: list[tuple[str, float]]) -> str:
        names, weights = zip(*options, strict=True)
        return self.rng.choices(names, weights=weights)[0]

    def lead(self) -> tuple[datetime, dict[str, str]]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            company = self.named_account()
        elif roll < 0.17 and self.companies:
            company = rng.choice(self.companies)  # a colleague of an earlier lead
        else:
            company = self.new_company()
        country = company["country"]
        _, spellings, languages, _ = MARKETS[country]
        speaks = NAME_LANGUAGE.get(country, "en")
        if country == "CA" and company["region"] in ("QC", "Québec") and rng.random() < 0.7:
            speaks, languages = "fr", ["French", "fr-CA", "Français"]
        first = rng.choice(FIRST_NAMES[speaks])
        last = rng.choice(LAST_NAMES[speaks])
        name = f"{first} {last}"
        if speaks == "ja" and rng.random() < 0.3:
            name = f"{KANJI[last]} {KANJI[first]}"
        local = rng.choice(
            [f"{first}.{last}", f"{first[0]}{last}", f"{first}", f"{first}_{last[0]}"]
        )
        email = f"{ascii_fold(local).lower().replace(' ', '')}@{company['domain']}"

        # French and German speakers sometimes fill the form in English
        if languages and rng.random() < 0.8:
            language = rng.choice(languages)
        else:
            language = rng.choice(ENGLISH) if rng.random() < 0.6 else ""
        message_language = speaks if language and language not in ENGLISH else "en"

        source = self.weighted(SOURCES)
        score = ""
        if rng.random() < 0.72:
            value = rng.triangular(0, 100, 52) + (12 if source == "demo request" else 0)
            score = str(min(100, round(value)))
        team = rng.choice([5, 8, 12, 20, 35, 60])
        message = rng.choice(MESSAGES[message_language]).format(team=team)
        partner_id = ""
        # most partner leads carry the partner's id; now and then a web form does too
        if rng.random() < (0.8 if source == "partner" else 0.01):
            partner_id = f"P-{rng.randint(1000, 1999)}"

        row = {
            "name": name,
            "email": email,
            "company": company["company"],
            "title": rng.choice(TITLES.get(speaks, TITLES["en"]) + TITLES["en"][:4]),
            "country": rng.choice(spellings),
            "region": company["region"],
            "city": company["city"],
            "employees": company["employees"],
            "annual_revenue": company["revenue"],
            "industry": company["industry"],
            "product": rng.choice(PRODUCTS),
            "score": score,
            "language": language,
            "source": source,
            "message": message,
            "custom.partner_id": partner_id,
            "custom.utm_campaign": rng.choice(CAMPAIGNS) if rng.random() < 0.5 else "",
        }
        return self.arrival(company["zone"]), row

    def arrival(self, zone_name: str) -> datetime:
        """A moment on one of the business days, mostly in the lead's local office hours."""
        rng = self.rng
        day = FIRST_DAY + timedelta(days=rng.randrange(BUSINESS_DAYS // 5 * 7))
        while day.weekday() >= 5:
            day = FIRST_DAY + timedelta(days=rng.randrange(BUSINESS_DAYS // 5 * 7))
        if rng.random() < 0.9:
            minute = rng.randrange(9 * 60, 17 * 60)
        else:
            minute = rng.choice([rng.randrange(7 * 60, 9 * 60), rng.randrange(17 * 60, 20 * 60)])
        local = datetime.combine(day, time(minute // 60, minute % 60, rng.randrange(60)))
        return local.replace(tzinfo=ZoneInfo(zone_name))

    def named_account(self) -> dict[str, str]:
        domain, company, country, region, industry, employees = self.rng.choice(NAMED_ACCOUNTS)
        zone = self.zone_of(country, region)
        city = self.rng.choice(self.cities_of(country, region))
        return {
            "company": company,
            "domain": domain,
            "country": country,
            "region": region,
            "city": city,
            "industry": industry,
            "employees": employees,
            "revenue": "",
            "zone": zone,
        }

    def new_company(self) -> dict[str, str]:
        rng = self.rng
        country = self.weighted([(code, market[0]) for code, market in MARKETS.items()])
        region, city, zone = self.place(country)
        industry = self.weighted([(name, spec[0]) for name, spec in INDUSTRIES.items()])
        speaks = NAME_LANGUAGE.get(country, "en")
        prefix = rng.choice(LOCAL_PREFIXES.get(speaks, PREFIXES) + PREFIXES[:6])
        base = f"{prefix} {rng.choice(INDUSTRIES[industry][1])}"
        domain = f"{slug(base)}.example"
        suffix = 2
        while domain in self.taken_domains:
            domain = f"{slug(base)}{suffix}.example"
            suffix += 1
        self.taken_domains.add(domain)
        legal = rng.choice(LEGAL[country])
        employees, headcount = self.size()
        company = {
            "company": f"{base} {legal}".strip(),
            "domain": domain,
            "country": country,
            "region": region,
            "city": city,
            "industry": industry,
            "employees": employees if rng.random() < 0.95 else "",
            "revenue": self.revenue(headcount, country) if rng.random() < 0.65 else "",
            "zone": zone,
        }
        self.companies.append(company)
        return company

    def place(self, country: str) -> tuple[str, str, str]:
        rng = self.rng
        if country in ("US", "CA"):
            table = US_STATES if country == "US" else CA_PROVINCES
            code = self.weighted([(code, spec[1]) for code, spec in table.items()])
            full, _, zone, cities = table[code]
            region = full if rng.random() < 0.2 else code
            if country == "US" and rng.random() < 0.03:
                region = ""  # the form made state optional
            return region, rng.choice(cities), zone
        region, city = rng.choice(OTHER_REGIONS[country])
        return region, city, MARKETS[country][3]

    def zone_of(self, country: str, region: str) -> str:
        for table in (US_STATES, CA_PROVINCES) if country in ("US", "CA") else ():
            if region in table:
                return table[region][2]
        return MARKETS[country][3] or "America/New_York"

    def cities_of(self, country: str, region: str) -> list[str]:
        if country == "US" and region in US_STATES:
            return US_STATES[region][3]
        return [city for r, city in OTHER_REGIONS.get(country, []) if r == region] or [""]

    def size(self) -> tuple[str, int]:
        rng = self.rng
        forms = rng.choices([forms for _, forms in SIZES], weights=[w for w, _ in SIZES])[0]
        form = rng.choice(forms)
        if form.startswith("{n:"):
            low, high = (int(x) for x in form[3:-1].split("-"))
            count = rng.randint(low, high)
            return str(count), count
        digits = form.replace(",", "").rstrip("+").split("-")[0]
        return form, int(digits)

    def revenue(self, headcount: int, country: str) -> str:
        rng = self.rng
        amount = headcount * rng.uniform(60_000, 250_000)
        symbol = {
            "GB": "£",
            "DE": "€",
            "FR": "€",
            "AT": "€",
            "BE": "€",
            "NL": "€",
            "ES": "€",
            "IE": "€",
        }.get(country, "$")
        if rng.random() < 0.2:
            return f"{round(amount, -3):.0f}"  # a plain number, as some forms send it
        if amount >= 1e9:
            return f"{symbol}{amount / 1e9:.1f}B"
        if amount >= 1e7:
            return f"{symbol}{amount / 1e6:.0f}M"
        if amount >= 1e6:
            return f"{symbol}{amount / 1e6:.1f}M"
        return f"{symbol}{amount / 1e3:.0f}k"


def stamp(moment: datetime, rng: random.Random) -> str:
    """Form providers disagree: some send local time with its offset, some UTC."""
    roll = rng.random()
    if roll < 0.6:
        return moment.isoformat(timespec="seconds")
    utc = moment.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds")
    return utc.replace("+00:00", "Z") if roll < 0.8 else utc


def generate(count: int = COUNT, seed: int = SEED) -> list[dict[str, str]]:
    rng = random.Random(seed)
    maker = LeadMaker(rng)
    leads = [maker.lead() for _ in range(count)]
    leads.sort(key=lambda item: item[0])
    return [{"received_at": stamp(moment, rng), **row} for moment, row in leads]


def write(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("leads.csv"))
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    write(generate(args.count, args.seed), args.out)
    print(f"wrote {args.count} leads to {args.out}")


if __name__ == "__main__":
    main()
