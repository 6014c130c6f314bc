"""Fill a migrated, empty database with a nationwide dataset.

At ``--scale 1.0``: 3,000 schools, 100,000 staff (with memberships, leaders,
fyrtårn teachers, digital supervisors and hire dates), 20,000 offerings of
every kind in the current school year with 1-3 sessions each, and 500,000
enrollments in valid states that never exceed an offering's capacity.

Rows go in with SQLAlchemy Core ``executemany`` in chunks, with explicit ids
(PostgreSQL's sequences are moved past them afterwards), so the script needs
no ORM and no Flask app. The same seed and ``--today`` give the same data.

    python -m bench.generate --database-url sqlite:///bench/data/x.sqlite --scale 0.01
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import normalise_url

# Importing the models registers every table on the shared metadata.
import catalog.enrollment.models  # noqa: F401
import catalog.offerings.models  # noqa: F401
import events.models  # noqa: F401
import lms.audit.models  # noqa: F401
import lms.auth.models  # noqa: F401
import lms.mail.models  # noqa: F401
from lms.db import db

OSLO = ZoneInfo("Europe/Oslo")
UTC = timezone.utc
CHUNK = 10_000
DEFAULT_SEED = 2026

FULL = {"schools": 3_000, "staff": 100_000, "offerings": 20_000, "enrollments": 500_000}

FIRST_NAMES = """Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Anna Solveig Marianne Randi
Ida Nina Maria Elisabeth Kristin Silje Hanne Tone Nora Emma Sara Thea Ingeborg Camilla Line Jan Per Bjørn Ole
Lars Kjell Knut Arne Svein Hans Thomas Geir Tor Morten Terje Odd Erik Martin Andreas John Anders Rune Trond
Tore Jon Espen Magnus Jonas Henrik Sindre Mathias Eirik Håkon Sigurd Even Vegard Øystein Åse Gunn Siri Tuva
""".split()
LAST_NAMES = """Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen Pettersen
Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen Halvorsen Henriksen Lund Sørensen
Jakobsen Moen Gundersen Iversen Strand Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen
Mathisen Lie Amundsen Nguyen Rasmussen Ali Lunde Solheim Berge Moe Nygård Bakke Kristensen Fredriksen Holm
Lien Hauge Christensen Andresen Nielsen Knudsen Evensen Sæther Aas Myhre Hanssen Ahmed Haugland Thomassen
Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning Arnesen Antonsen Næss Vik Haug Ellingsen Thorsen
""".split()
DISTRICTS = """Oslo Bergen Trondheim Stavanger Bærum Kristiansand Drammen Asker Lillestrøm Fredrikstad Sandnes
Tromsø Sandefjord Skien Ålesund Sarpsborg Bodø Larvik Arendal Porsgrunn Ullensaker Karmøy Haugesund Moss
Tønsberg Hamar Halden Lillehammer Molde Ringsaker Gjøvik Harstad Kongsberg Nordre_Follo Øygarden Alta
Steinkjer Kristiansund Narvik Elverum Ringerike Askøy Sola Time Ås Indre_Østfold Horten Lørenskog Rana
Stord Sogndal Førde Levanger Vefsn Hammerfest Voss Notodden Vestby Nittedal""".replace("_", " ").split()
SCHOOL_KINDS = ["skole", "barneskole", "ungdomsskole", "skole", "oppvekstsenter", "barneskole"]
SCHOOL_PLACES = """Nordby Sørby Haug Berg Lia Strand Dal Vik Bakke Åsen Li Moen Fjell Eng Holt Nes Skog Haugen
Sletta Tangen Heia Kollen Myra Bryn Lund Sand Rud Bø Vang Tveit Øvre Nedre Øst Vest Solhaug Sjøvoll Furuset
Rosenholm Kjelsås Tåsen Grefsen Lysejordet Hundsund Eiksmarka Bekkestua Stabekk Høvik Jar Gjettum Hosle
Evje Lommedalen Rykkinn Tanum Haslum Levre Ringstabekk Jong Nadderud Hauger Valler Dønski""".split()
FOCUS_AREAS = ["Lesing og skriving", "Vurdering for læring", "Digital kompetanse", "Inkluderende læringsmiljø",
               "Matematikk i alle fag", "Dybdelæring", "Skole-hjem-samarbeid", "Tilpasset opplæring",
               "Profesjonsfellesskap", "Programmering", "Psykisk helse og livsmestring", "Realfag"]
THEMES = ["Digitalt medborgerskap", "Digital profesjonsfaglig praksis", "Skole-hjem-samarbeid", "Ledelse",
          "Fyrtårnordningen", "Nyansatte", "Tilpasset opplæring", "Lesing og skriving", "Matematikk",
          "Programmering og algoritmisk tenkning", "Vurdering for læring", "Personvern og informasjonssikkerhet",
          "Skaperverksted", "Dybdelæring", "Inkluderende læringsmiljø", "Spesialpedagogikk", "Realfag",
          "Kunst og håndverk med digitale verktøy", "Engelsk", "Naturfag", "Samfunnsfag", "Psykisk helse",
          "Klasseledelse", "Læringsplattform", "Kildekritikk", "Foreldreveiledning", "Profesjonsfellesskap",
          "Mobbing og krenkelser", "Flerspråklige elever", "Skolebasert støtte"]
ORGANISERS = ["Oppvekst skole", "Skole", "Fyrtårnlærere", "IKT-avdelingen", "PPT", "Universitetet i Oslo",
              "OsloMet", "Udir", "Skolelederforbundet", "Kompetansesenter for læring", "Barnehage og skole"]
KIND_WEIGHTS = {"course": 34, "workshop": 15, "network_gathering": 12, "webinar": 12, "guidance": 8,
                "parent_school": 12, "onboarding": 7}
KIND_PREFIX = {"course": "Kurs", "workshop": "Verksted", "network_gathering": "Nettverkssamling",
               "webinar": "Webinar", "guidance": "Veiledning", "parent_school": "Foreldreskole",
               "onboarding": "Oppstartskurs"}
CAPACITY = {"course": (15, 40), "workshop": (10, 25), "network_gathering": (20, 60), "webinar": (60, 250),
            "guidance": (5, 12), "parent_school": (30, 120), "onboarding": (30, 80)}
STAFF_GROUPS = ["teachers", "leaders", "digital_supervisors", "new_hires", "all_staff"]
STAFF_GROUP_WEIGHTS = [50, 15, 10, 5, 20]
PARAGRAPHS = [
    "Hvordan lærer elevene å vurdere kilder, verne om eget og andres personvern og opptre ansvarlig på nett? "
    "Vi ser på digital dømmekraft som del av alle fag, med ferdige opplegg for barnetrinnet og ungdomstrinnet.",
    "Samlingen veksler mellom korte innlegg, erfaringsdeling og arbeid i grupper. Ta med egen iPad og gjerne "
    "et eksempel fra egen undervisning som du vil dele med de andre.",
    "Målet er at du går herfra med **konkrete opplegg** du kan bruke i klasserommet neste uke, og med et "
    "nettverk av kolleger fra andre skoler som jobber med det samme.",
    "Innholdet bygger på kommunens plan for kompetanseheving og læreplanverkets tverrfaglige tema. "
    "Skoleleder bør sørge for at minst én fra hvert team deltar.",
    "Vi går gjennom:\n\n- hva forskningen sier\n- eksempler fra skoler som har lykkes\n- hvordan dere kan "
    "komme i gang på egen skole",
    "Foresatte får en innføring i hvordan skolen bruker digitale verktøy, hva barna lærer om nettvett, og "
    "hvordan hjemmet kan støtte opp om skolearbeidet.",
    "Kurset er for deg som er ny i rollen, eller som vil friske opp. Det er ingen forkunnskaper, men du bør "
    "ha logget inn på læringsplattformen før første samling.",
    "Webinaret tas opp og deles i etterkant med alle påmeldte. Spørsmål kan sendes inn på forhånd i skjemaet "
    "på læringsplattformen.",
]
ROOMS = ["auditoriet", "personalrommet", "biblioteket", "møterom 1", "aulaen", "kantina", "rom 204"]
START_TIMES = [(8, 30), (9, 0), (12, 0), (13, 0), (14, 0), (14, 30), (15, 0)]
EVENING_TIMES = [(18, 0), (18, 30), (19, 0)]


def _ascii(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "")


def _oslo(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=OSLO).astimezone(UTC)


def _sizes(total: int, parts: int, rng: random.Random, sigma: float, minimum: int) -> list[int]:
    """Split ``total`` into ``parts`` sizes of lognormal weight, each at least ``minimum``."""
    weights = [rng.lognormvariate(0, sigma) for _ in range(parts)]
    spare = total - minimum * parts
    if spare < 0:
        raise ValueError("too few to share out")
    scale = spare / sum(weights)
    sizes = [minimum + int(w * scale) for w in weights]
    for i in rng.sample(range(parts), total - sum(sizes)):
        sizes[i] += 1
    return sizes


class Inserter:
    """Executes Core INSERTs in chunks and reports the pace."""

    def __init__(self, conn: sa.Connection, echo):
        self.conn, self.echo, self.counts = conn, echo, Counter()

    def __call__(self, table: str, rows: list[dict]) -> None:
        t0 = time.perf_counter()
        stmt = db.metadata.tables[table].insert()
        for start in range(0, len(rows), CHUNK):
            self.conn.execute(stmt, rows[start:start + CHUNK])
        self.counts[table] += len(rows)
        self.echo(f"  {table:<22} {len(rows):>9,} rows  {time.perf_counter() - t0:6.1f} s")


def generate(database_url: str, scale: float = 1.0, seed: int = DEFAULT_SEED, today: date | None = None,
             echo=print) -> dict:
    """Fill the (migrated, empty) database; return the row counts and facts the benchmark needs."""
    t_start = time.perf_counter()
    rng = random.Random(seed)
    today = today or datetime.now(OSLO).date()
    # "Now" for the data is the start of today in Oslo, so nothing generated lies in the real future.
    now = _oslo(today, 0, 0)
    year = today.year if today.month >= 8 else today.year - 1
    n_schools = max(2, round(FULL["schools"] * scale))
    n_staff = max(n_schools * 5, round(FULL["staff"] * scale))
    n_offerings = max(10, round(FULL["offerings"] * scale))
    n_enrollments = max(50, round(FULL["enrollments"] * scale))

    engine = sa.create_engine(database_url)
    dialect = engine.dialect.name
    if dialect == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _fast(dbapi_connection, _record):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-200000")
            cur.close()

    with engine.connect() as conn:
        for table in ("school", "user_account", "offering", "enrollment"):
            if conn.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[table])):
                raise SystemExit(f"table {table} is not empty: generate into a freshly migrated database")

    echo(f"Generating scale {scale} (seed {seed}, today {today}, school year {year}/{year + 1}) "
         f"into {engine.url.render_as_string(hide_password=True)}")
    created = _oslo(date(year, 6, 1), 9, 0)

    # --- schools ---------------------------------------------------------------
    schools = []
    used_names = Counter()
    for sid in range(1, n_schools + 1):
        district = DISTRICTS[(sid - 1) % len(DISTRICTS)] if sid <= len(DISTRICTS) else rng.choice(DISTRICTS)
        base = f"{rng.choice(SCHOOL_PLACES)} {rng.choice(SCHOOL_KINDS)}"
        used_names[(base, district)] += 1
        name = base if used_names[(base, district)] == 1 else f"{base} {used_names[(base, district)]}"
        schools.append({
            "id": sid, "name": f"{name} ({district})", "org_number": f"{970000000 + sid * 7:09d}"[-9:],
            "district": district, "focus_areas_text": "\n".join(rng.sample(FOCUS_AREAS, rng.randint(1, 3))),
        })

    # --- staff and memberships --------------------------------------------------------
    sizes = _sizes(n_staff, n_schools, rng, 0.5, 3)
    users, memberships = [], []
    teachers, leaders, supervisors, new_hires, staff_ids = [], [], [], [], []
    # The school year's onboarding: hired since June (August cohort) or after school start (follow-up).
    new_hire_from = date(year, 6, 1)
    new_hire_limit = today - timedelta(days=12 * 31)  # what the app counts as a new hire (12 months)
    uid = mid = 0

    def add_membership(user_id, school_id, role):
        nonlocal mid
        mid += 1
        memberships.append({"id": mid, "user_id": user_id, "school_id": school_id, "role": role})

    uid += 1
    admin_id = uid
    users.append({"id": admin_id, "email": "admin@bench.kompetanse.no", "name": "Benchmark Admin",
                  "password_hash": "", "locale": "nb", "hire_date": None, "is_digital_supervisor": False,
                  "active": True, "created_at": created})
    add_membership(admin_id, None, "admin")
    school_staff: dict[int, list[int]] = {}
    for school, size in zip(schools, sizes):
        sid = school["id"]
        ids = []
        for k in range(size):
            uid += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            r = rng.random()
            if r < 0.05:
                hire = None
            elif r < 0.11:  # hired this school year, some after school start
                hire = new_hire_from + timedelta(days=rng.randint(0, max(0, (today - new_hire_from).days)))
            else:
                hire = date(1985, 1, 1) + timedelta(days=rng.randint(0, (date(year - 1, 12, 31) - date(1985, 1, 1)).days))
            users.append({
                "id": uid, "email": f"{_ascii(first)}.{_ascii(last)}.{uid}@skole{sid}.bench.kompetanse.no",
                "name": f"{first} {last}", "password_hash": "", "locale": "en" if rng.random() < 0.03 else "nb",
                "hire_date": hire, "is_digital_supervisor": False, "active": rng.random() > 0.01,
                "created_at": created,
            })
            staff_ids.append(uid)
            ids.append(uid)
            if hire is not None and hire >= new_hire_limit:
                new_hires.append(uid)
            if k == 0 or (k == 1 and size > 20) or (k == 2 and size > 60):
                add_membership(uid, sid, "leader")
                leaders.append(uid)
                continue
            add_membership(uid, sid, "teacher")
            teachers.append(uid)
            if k == 3 or (k == 4 and size > 40):
                add_membership(uid, sid, "lighthouse")
            if k == 3 or (k == 5 and size > 50):
                users[-1]["is_digital_supervisor"] = True
                supervisors.append(uid)
        school_staff[sid] = ids
    # Some teachers also teach at a second school.
    for user_id in rng.sample(teachers, len(teachers) // 50):
        add_membership(user_id, rng.randint(1, n_schools), "teacher")
    seen = set()
    memberships = [m for m in memberships if (key := (m["user_id"], m["school_id"], m["role"])) not in seen
                   and not seen.add(key)]
    active_ids = {u["id"] for u in users if u["active"]}

    # --- offerings, schedules, sessions -------------------------------------------------
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())
    first_day, last_day = date(year, 8, 12), date(year + 1, 6, 18)
    span = (last_day - first_day).days
    offerings, schedules, sessions, target_rows = [], [], [], []
    session_id = 0
    district_of = {s["id"]: s["district"] for s in schools}
    for oid in range(1, n_offerings + 1):
        kind = rng.choices(kinds, kind_weights)[0]
        theme = rng.choice(THEMES) if kind != "onboarding" else "Nyansatte"
        if kind == "parent_school":
            groups = ["parents"] if rng.random() < 0.6 else ["parents", "teachers"]
            theme = rng.choice(["Skole-hjem-samarbeid", "Foreldreveiledning", "Digitalt medborgerskap"])
        elif kind == "onboarding":
            groups = ["new_hires"]
        else:
            groups = list(dict.fromkeys(rng.choices(STAFF_GROUPS, STAFF_GROUP_WEIGHTS, k=rng.choice([1, 1, 2, 3]))))
        cohort = None
        day = first_day + timedelta(days=rng.randint(0, span))
        if kind == "onboarding":
            cohort = "august" if rng.random() < 0.5 else "follow_up"
            day = (date(year, 8, rng.randint(10, 16)) if cohort == "august"
                   else first_day + timedelta(days=rng.randint(40, span)))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        n_sessions = 1 if kind in ("webinar", "onboarding") and rng.random() < 0.7 else rng.choice([1, 1, 2, 3])
        hour, minute = rng.choice(EVENING_TIMES if kind == "parent_school" else START_TIMES)
        length = timedelta(minutes=rng.choice([60, 90, 120, 180]))
        host = rng.randint(1, n_schools)
        online = kind == "webinar" or rng.random() < 0.1
        location = "" if kind == "webinar" else f"{schools[host - 1]['name'].split(' (')[0]}, {rng.choice(ROOMS)}"
        url = f"https://meet.bench.kompetanse.no/{oid}" if online else ""
        starts = []
        for s in range(n_sessions):
            starts.append(_oslo(day, hour, minute))
            day += timedelta(days=rng.randint(7, 28))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            if day > last_day:
                break
        r = rng.random()
        status = "draft" if r < 0.03 else "cancelled" if r < 0.06 else "published"
        schedules.append({"id": oid, "owner_kind": "catalog.offering", "created_at": created})
        for i, start in enumerate(starts):
            session_id += 1
            sessions.append({
                "id": session_id, "schedule_id": oid, "starts_at": start, "ends_at": start + length,
                "title": f"Samling {i + 1}" if len(starts) > 1 else "", "location": location, "online_url": url,
                "status": "cancelled" if status == "cancelled" else "scheduled", "sequence": 0, "updated_at": created,
            })
        low, high = CAPACITY[kind]
        capacity = rng.randint(low, high)
        first = starts[0]
        opens = _oslo(date(year, 6, 10), 8, 0)
        topic = theme if rng.random() < 0.7 else rng.choice(FOCUS_AREAS)
        title = f"{KIND_PREFIX[kind]}: {topic}"
        if rng.random() < 0.5:
            title += f" – {district_of[host]}"
        if len(starts) > 1:
            title += f" ({len(starts)} samlinger)"
        offerings.append({
            "id": oid, "title": title, "kind": kind, "theme": theme,
            "description": "\n\n".join(rng.sample(PARAGRAPHS, rng.randint(2, 4))),
            "organiser": rng.choice(ORGANISERS), "responsible_id": admin_id,
            "plan_area": rng.choices([4, 6, None], [45, 25, 30])[0], "capacity": capacity,
            "min_participants": capacity // 4 if rng.random() < 0.5 else 0,
            "go_no_go_date": (first - timedelta(days=14)).astimezone(OSLO).date() if rng.random() < 0.4 else None,
            "registration_opens_at": opens, "registration_closes_at": first - timedelta(days=2),
            "cancellation_deadline": first - timedelta(days=7), "location": location, "online_url": url,
            "school_year": year, "onboarding_cohort": cohort, "status": status,
            "cancel_reason": "For få påmeldte." if status == "cancelled" else "", "schedule_id": oid,
            "first_starts_at": first, "source_key": None, "created_at": created, "updated_at": created,
            "_last_end": starts[-1] + length, "_last_start": starts[-1], "_groups": groups,
        })
        target_rows.extend({"offering_id": oid, "group": g} for g in groups)

    # --- enrollments ----------------------------------------------------------------------
    pools_by_group = {
        "teachers": teachers, "leaders": leaders, "digital_supervisors": supervisors,
        "new_hires": new_hires, "all_staff": staff_ids, "parents": [],
    }
    pool_cache: dict[tuple, list[int]] = {}

    def pool_for(groups) -> list[int]:
        key = tuple(sorted(groups))
        if key not in pool_cache:
            members = set()
            for g in key:
                members.update(pools_by_group[g])
            pool_cache[key] = sorted(members & active_ids)
        return pool_cache[key]

    open_offerings = [o for o in offerings if o["status"] != "draft" and pool_for(o["_groups"])]
    # Demand relative to capacity: most offerings part-full, some oversubscribed.
    raw = [o["capacity"] * (rng.uniform(1.2, 2.5) if rng.random() < 0.15 else rng.uniform(0.1, 1.0))
           for o in open_offerings]
    factor = n_enrollments / sum(raw)
    limits = [min(len(pool_for(o["_groups"])), 3 * o["capacity"] + 20) for o in open_offerings]
    wanted = [min(int(x * factor), lim) for x, lim in zip(raw, limits)]
    missing = n_enrollments - sum(wanted)
    while missing > 0:
        room = [i for i, lim in enumerate(limits) if wanted[i] < lim]
        if not room:
            raise SystemExit("the offerings cannot hold that many enrollments")
        for i in rng.sample(room, min(missing, len(room))):
            wanted[i] += 1
            missing -= 1

    enrollments = []
    eid = 0
    states = Counter()
    for offering, n in zip(open_offerings, wanted):
        if n == 0:
            continue
        people = rng.sample(pool_for(offering["_groups"]), n)
        first, opens = offering["first_starts_at"], offering["registration_opens_at"]
        latest = min(offering["registration_closes_at"], now)
        window = max((latest - opens).total_seconds(), 60.0)
        times = sorted(opens + timedelta(seconds=rng.uniform(0, window)) for _ in range(n))
        past, finished = first < now, offering["_last_end"] < now
        rows = []
        for person, at in zip(people, times):
            rows.append({"offering_id": offering["id"], "user_id": person, "state": None, "created_at": at,
                         "updated_at": at, "waitlisted_at": None, "offer_expires_at": None,
                         "completed_at": None, "enrolled_by_id": None})
        if offering["status"] == "cancelled":
            for row in rows:
                row["state"] = "cancelled"
                row["updated_at"] = max(row["created_at"], min(now, first - timedelta(days=10)))
        else:
            # Some changed their minds; the rest are served in the order they came.
            cancelled = set(rng.sample(range(n), round(n * rng.uniform(0.0, 0.12))))
            seats = offering["capacity"]
            active = [row for i, row in enumerate(rows) if i not in cancelled]
            for i in cancelled:
                rows[i]["state"] = "cancelled"
            for k, row in enumerate(active):
                if k < seats:
                    if finished:
                        row["state"] = rng.choices(["completed", "attended", "no_show", "enrolled"], [65, 10, 10, 15])[0]
                    elif past:
                        row["state"] = rng.choice(["attended", "enrolled", "enrolled"])
                    else:
                        row["state"] = "enrolled"
                    if row["state"] == "completed":
                        row["completed_at"] = row["updated_at"] = offering["_last_end"] + timedelta(days=1)
                    elif row["state"] in ("attended", "no_show"):
                        row["updated_at"] = first + timedelta(hours=3)
                else:
                    row["state"] = "waitlisted"
                    row["waitlisted_at"] = row["created_at"]
            waiting = [row for row in active[seats:]]
            if waiting and not past and rng.random() < 0.25:
                # A seat holder cancelled and the first on the waitlist was offered the seat.
                k = min(2, len(waiting), seats)
                for row in rng.sample(active[:seats], k):
                    row["state"] = "cancelled"
                for row in waiting[:k]:
                    row["state"] = "offered"
                    row["offer_expires_at"] = min(now + timedelta(hours=rng.randint(24, 72)), first)
            held = sum(1 for row in rows if row["state"] not in ("waitlisted", "cancelled"))
            assert held <= seats, (offering["id"], held, seats)
        for row in rows:
            eid += 1
            row["id"] = eid
            states[row["state"]] += 1
        enrollments.extend(rows)

    # Counters the app may keep on the offering itself (seats held, people waiting), if its schema has them.
    offering_columns = db.metadata.tables["offering"].c
    if "seats_taken" in offering_columns or "waitlist_length" in offering_columns:
        held, waiting = Counter(), Counter()
        for row in enrollments:
            if row["state"] == "waitlisted":
                waiting[row["offering_id"]] += 1
            elif row["state"] != "cancelled":
                held[row["offering_id"]] += 1
        for o in offerings:
            if "seats_taken" in offering_columns:
                o["seats_taken"] = held[o["id"]]
            if "waitlist_length" in offering_columns:
                o["waitlist_length"] = waiting[o["id"]]
    for o in offerings:
        if "last_starts_at" in offering_columns:
            o["last_starts_at"] = o["_last_start"]
        del o["_last_end"], o["_last_start"], o["_groups"]
    echo(f"  built in memory in {time.perf_counter() - t_start:.1f} s; inserting")

    # --- insert -----------------------------------------------------------------------------
    with engine.begin() as conn:
        insert = Inserter(conn, echo)
        insert("school", schools)
        insert("user_account", users)
        insert("membership", memberships)
        insert("schedule", schedules)
        insert("session", sessions)
        insert("offering", offerings)
        insert("offering_target_group", target_rows)
        insert("enrollment", enrollments)
        if dialect == "postgresql":
            for table in ("school", "user_account", "membership", "schedule", "session", "offering", "enrollment"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    t0 = time.perf_counter()
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    echo(f"  analyze                {time.perf_counter() - t0:6.1f} s")
    engine.dispose()
    elapsed = time.perf_counter() - t_start
    facts = {
        "schools": len(schools), "staff": len(staff_ids), "users": len(users), "memberships": len(memberships),
        "leaders": len(leaders), "digital_supervisors": len(supervisors), "new_hires": len(new_hires),
        "offerings": len(offerings), "sessions": len(sessions), "enrollments": len(enrollments),
        "enrollment_states": dict(states), "seconds": round(elapsed, 1), "school_year": year, "today": str(today),
        "seed": seed, "scale": scale,
    }
    echo(f"Done in {elapsed:.1f} s: {len(schools):,} schools, {len(staff_ids):,} staff, {len(offerings):,} "
         f"offerings, {len(sessions):,} sessions, {len(enrollments):,} enrollments {dict(states)}")
    return facts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True,
                        help="a migrated, empty database (sqlite:///path or postgresql+psycopg://...)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the nationwide size (default)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the data is generated around (default: today in Oslo)")
    parser.add_argument("--facts-out", help="also write the row counts as JSON to this file")
    args = parser.parse_args(argv)
    facts = generate(normalise_url(args.database_url), args.scale, args.seed, args.today)
    if args.facts_out:
        with open(args.facts_out, "w") as f:
            json.dump(facts, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
