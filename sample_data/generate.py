"""Deterministic generator of the scimaudit sample data (stdlib only).

Run ``python sample_data/generate.py`` to (re)write the files next to this script, or import it and
call :func:`generate`. Every date is computed from ``as_of`` (default 2026-11-30) and every random
choice comes from ``random.Random(SEED)``: two runs with the same ``as_of`` give byte-identical
files.

What is written (see README.md for what is planted where, and manifest.json for the same in
machine-readable form)::

    hr.csv, hr_previous.csv         HR exports as of ``as_of`` and ``as_of - 60 days``
    apps/<app>/users.json           SCIM 2.0 User resources (RFC 7643 §4.1) without id/meta
    apps/<app>/groups.json          SCIM 2.0 Group resources (RFC 7643 §4.2); members by userName
    signins.csv                     last sign-in per (application, login); no ehr rows
    policy.toml                     role policy + SoD rules, shaped like the config's [policy] table
    overrides.csv                   manual links and service-account declarations
    manifest.json                   every planted finding and every clean look-alike

The organisation is built from :data:`ROLES`: every (department, title) has a fixed set of groups
per app, so peers look alike and the role policy in policy.toml is exactly what the roles hold.
Planted cases are deliberate deviations from that, each recorded in the manifest.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

SEED = 20261130
DEFAULT_AS_OF = date(2026, 11, 30)
PREVIOUS_EXPORT_DAYS = 60
DOMAIN = "example.com"
ALIAS_DOMAIN = "example-health.org"

APPS = ("chat", "code", "erp", "ehr", "crm")
SIGNIN_APPS = ("chat", "code", "erp", "crm")
"""Apps with a sign-in export. ehr has none: its staleness is "not assessable"."""

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"

EMPLOYEE = "Employee"
CONTINGENT = "Contingent Worker"
ACTIVE = "Active"
LEAVE = "Leave of Absence"
TERMINATED = "Terminated"

HR_COLUMNS = (
    "Employee_ID",
    "Work_Email",
    "First_Name",
    "Last_Name",
    "Worker_Status",
    "Worker_Type",
    "Hire_Date",
    "Termination_Date",
    "Contract_End_Date",
    "Department",
    "Job_Title",
    "Manager_ID",
)

DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Finance",
    "HR",
    "Support",
    "Clinical",
    "IT",
    "Legal",
    "Marketing",
)
EXECUTIVE = "Executive"
"""The CEO's department: the only person outside the nine business departments."""

APP_GROUPS: dict[str, tuple[str, ...]] = {
    "chat": (*sorted((EXECUTIVE, *DEPARTMENTS)), "admins"),
    "code": ("developers", "maintainers", "admins", "security"),
    "erp": (
        "AP-Clerk",
        "AP-Approver",
        "Vendor-Master",
        "GL-Poster",
        "GL-Approver",
        "Finance-Admins",
    ),
    "ehr": ("clinician", "nurse", "front-desk", "records-admin", "break-glass"),
    "crm": ("sales-rep", "sales-manager", "marketing", "crm-admins"),
}

PRIVILEGED_GROUPS: dict[str, tuple[str, ...]] = {
    "chat": ("admins",),
    "code": ("admins",),
    "erp": ("Finance-Admins",),
    "ehr": ("records-admin", "break-glass"),
    "crm": ("crm-admins",),
}

SOD_WITHIN = {
    "name": "vendor-master-vs-ap-approver",
    "app": "erp",
    "groups": ("Vendor-Master", "AP-Approver"),
}
SOD_ACROSS = {
    "name": "gl-poster-vs-code-maintainer",
    "left": ("erp", "GL-Poster"),
    "right": ("code", "maintainers"),
}


@dataclass
class Role:
    """One job: ``count`` people share department, title and the same groups in every app.

    ``access`` maps app → groups. chat is implicit for everyone (plus the department's chat group);
    an entry for "chat" adds groups there.
    """

    dept: str
    title: str
    count: int
    level: str  # head | lead | ic
    access: dict[str, tuple[str, ...]]
    worker_type: str = EMPLOYEE


def _r(
    dept: str,
    title: str,
    count: int,
    level: str,
    worker_type: str = EMPLOYEE,
    **access: tuple[str, ...],
) -> Role:
    return Role(dept, title, count, level, dict(access), worker_type)


ROLES: tuple[Role, ...] = (
    _r(EXECUTIVE, "Chief Executive Officer", 1, "head"),
    # Engineering (100)
    _r("Engineering", "VP Engineering", 1, "head", code=("developers", "maintainers")),
    _r("Engineering", "Engineering Manager", 6, "lead", code=("developers", "maintainers")),
    _r("Engineering", "Staff Software Engineer", 8, "ic", code=("developers", "maintainers")),
    _r("Engineering", "Senior Software Engineer", 25, "ic", code=("developers",)),
    _r("Engineering", "Software Engineer", 40, "ic", code=("developers",)),
    _r("Engineering", "Security Engineer", 6, "ic", code=("developers", "security")),
    _r("Engineering", "QA Engineer", 6, "ic", code=("developers",)),
    _r("Engineering", "Contract Software Engineer", 8, "ic", CONTINGENT, code=("developers",)),
    # Sales (85)
    _r("Sales", "VP Sales", 1, "head", crm=("sales-manager",)),
    _r("Sales", "Sales Manager", 6, "lead", crm=("sales-manager",)),
    _r("Sales", "Account Executive", 45, "ic", crm=("sales-rep",)),
    _r("Sales", "Sales Development Representative", 25, "ic", crm=("sales-rep",)),
    _r("Sales", "Sales Operations Manager", 2, "ic", crm=("sales-rep", "crm-admins"), erp=()),
    _r("Sales", "Sales Engineer", 6, "ic", crm=("sales-rep",)),
    # Finance (40)
    _r("Finance", "Chief Financial Officer", 1, "head", erp=("GL-Approver",)),
    _r("Finance", "Controller", 2, "lead", erp=("GL-Poster", "GL-Approver")),
    _r("Finance", "Accounts Payable Manager", 2, "lead", erp=("AP-Clerk", "AP-Approver")),
    _r("Finance", "Accounts Payable Specialist", 14, "ic", erp=("AP-Clerk",)),
    _r("Finance", "Staff Accountant", 8, "ic", erp=("GL-Poster",)),
    _r("Finance", "Senior Accountant", 3, "ic", erp=("GL-Poster",)),
    _r("Finance", "Procurement Specialist", 4, "ic", erp=("Vendor-Master",)),
    _r("Finance", "Finance Operations Lead", 2, "ic", erp=("Vendor-Master", "AP-Approver")),
    _r(
        "Finance",
        "Financial Systems Analyst",
        2,
        "ic",
        erp=("GL-Poster",),
        code=("developers", "maintainers"),
    ),
    _r("Finance", "FP&A Analyst", 2, "ic", erp=()),
    # HR (20)
    _r("HR", "Chief People Officer", 1, "head", erp=()),
    _r("HR", "HR Business Partner", 4, "lead", erp=()),
    _r("HR", "Recruiter", 8, "ic"),
    _r("HR", "HR Generalist", 5, "ic", erp=()),
    _r("HR", "Payroll Specialist", 2, "ic", erp=()),
    # Support (75)
    _r("Support", "VP Customer Support", 1, "head"),
    _r("Support", "Support Manager", 5, "lead"),
    _r("Support", "Support Agent", 29, "ic"),
    _r("Support", "Contract Support Agent", 6, "ic", CONTINGENT),
    _r("Support", "Senior Support Agent", 10, "ic"),
    _r("Support", "Support Engineer", 6, "ic", code=("developers",)),
    _r("Support", "Customer Success Manager", 10, "ic", crm=("sales-rep",)),
    _r("Support", "Patient Access Representative", 8, "ic", ehr=("front-desk",)),
    # Clinical (85)
    _r("Clinical", "Chief Medical Officer", 1, "head", ehr=("clinician",)),
    _r("Clinical", "Clinical Manager", 5, "lead", ehr=("nurse",)),
    _r("Clinical", "Physician", 19, "ic", ehr=("clinician",)),
    _r("Clinical", "Emergency Physician", 2, "ic", ehr=("clinician", "break-glass")),
    _r("Clinical", "Registered Nurse", 35, "ic", ehr=("nurse",)),
    _r("Clinical", "Nurse Practitioner", 8, "ic", ehr=("clinician", "nurse")),
    _r("Clinical", "Medical Assistant", 8, "ic", ehr=("front-desk",)),
    _r("Clinical", "Health Information Manager", 2, "ic", ehr=("records-admin",)),
    _r("Clinical", "Agency Nurse", 5, "ic", CONTINGENT, ehr=("nurse",)),
    # IT (25)
    _r("IT", "Chief Information Officer", 1, "head", code=("developers",)),
    _r("IT", "IT Manager", 2, "lead", code=("developers",), erp=()),
    _r("IT", "Systems Administrator", 8, "ic", code=("developers",)),
    _r("IT", "Network Engineer", 2, "ic", code=("developers",)),
    _r("IT", "Platform Administrator", 2, "ic", code=("developers", "maintainers", "admins")),
    _r("IT", "Collaboration Administrator", 2, "ic", chat=("admins",)),
    _r("IT", "ERP Administrator", 2, "ic", erp=("Finance-Admins",)),
    _r("IT", "Service Desk Analyst", 6, "ic"),
    # Legal (15)
    _r("Legal", "General Counsel", 1, "head", erp=()),
    _r("Legal", "Senior Counsel", 3, "lead", erp=()),
    _r("Legal", "Counsel", 6, "ic", erp=()),
    _r("Legal", "Paralegal", 5, "ic", erp=()),
    # Marketing (50)
    _r("Marketing", "VP Marketing", 1, "head", crm=("marketing",)),
    _r("Marketing", "Marketing Manager", 4, "lead", crm=("marketing",)),
    _r("Marketing", "Content Writer", 10, "ic"),
    _r("Marketing", "Graphic Designer", 8, "ic"),
    _r("Marketing", "Contract Designer", 3, "ic", CONTINGENT),
    _r("Marketing", "Marketing Operations Specialist", 6, "ic", crm=("marketing",)),
    _r("Marketing", "Campaign Manager", 6, "ic", crm=("marketing",)),
    _r("Marketing", "Product Marketing Manager", 12, "ic"),
)

FIRST_NAMES = (
    "Aaliyah", "Aaron", "Abigail", "Adam", "Adrian", "Aisha", "Alejandro", "Alice", "Amara",
    "Amelia", "Amir", "Ana", "Andre", "Andrea", "Angela", "Anika", "Anthony", "Arjun", "Ava",
    "Beatriz", "Benjamin", "Bianca", "Brandon", "Camila", "Carlos", "Caroline", "Chen", "Chloe",
    "Christopher", "Claire", "Daniel", "David", "Diana", "Diego", "Dmitri", "Elena", "Elijah",
    "Emily", "Emma", "Erik", "Esther", "Ethan", "Fatima", "Felix", "Fiona", "Gabriel", "Grace",
    "Hannah", "Hassan", "Helen", "Hiroshi", "Ian", "Imani", "Isabel", "Ivan", "Jack", "Jamal",
    "James", "Jana", "Javier", "Jennifer", "Jessica", "Joanna", "John", "Jordan", "Jose",
    "Joseph", "Julia", "Kai", "Karen", "Katherine", "Kenji", "Kevin", "Laura", "Leila", "Leo",
    "Liam", "Lucas", "Lucia", "Maya", "Marcus", "Maria", "Mark", "Mei", "Michael", "Mohammed",
    "Nadia", "Natalia", "Nathan", "Noah", "Olivia", "Omar", "Patrick", "Priya", "Rachel",
    "Rafael", "Rahul", "Rebecca", "Ryan", "Samuel", "Sara", "Sean", "Sofia", "Sophie", "Stephen",
    "Tariq", "Thomas", "Valentina", "Victor", "William", "Yasmin", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Adeyemi", "Ahmed", "Alvarez", "Anderson", "Bailey", "Baker", "Bennett", "Brooks",
    "Brown", "Campbell", "Carter", "Castillo", "Chang", "Chavez", "Clarke", "Cohen", "Collins",
    "Cruz", "Davis", "Diaz", "Dubois", "Edwards", "Evans", "Fernandez", "Fischer", "Flores",
    "Foster", "Garcia", "Gomez", "Gonzalez", "Gordon", "Gupta", "Hall", "Hansen", "Harris",
    "Hayes", "Hernandez", "Hill", "Hoffmann", "Hughes", "Ibrahim", "Ito", "Jackson", "Jensen",
    "Johnson", "Jones", "Kapoor", "Khan", "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lewis",
    "Li", "Lopez", "Martin", "Martinez", "Mendoza", "Meyer", "Miller", "Mitchell", "Moore",
    "Morales", "Murphy", "Nakamura", "Nguyen", "Nguyen-Tran", "Novak", "O'Brien", "O'Connor",
    "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Perez", "Petrov", "Phillips", "Ramirez", "Reed",
    "Reyes", "Rivera", "Roberts", "Robinson", "Rodriguez", "Rossi", "Russo", "Sanchez", "Santos",
    "Schmidt", "Scott", "Shah", "Silva", "Singh", "Smith", "Smith-Jones", "Sullivan", "Tanaka",
    "Taylor", "Thompson", "Torres", "Tran", "Turner", "Walker", "Wang", "Ward", "Watson", "White",
    "Williams", "Wilson", "Wong", "Wright", "Yamamoto", "Young", "Zhang",
)  # fmt: skip
MAIDEN_NAME = "Lindqvist"
"""The renamed person's previous last name; in no name list, so it matches nobody else."""


@dataclass
class Person:
    key: int
    role: Role
    first: str
    last: str
    hire: date
    dept: str = ""
    title: str = ""
    status: str = ACTIVE
    term: date | None = None
    contract_end: date | None = None
    manager: Person | None = None
    emp_id: str = ""
    local: str = ""  # Work_Email local part
    handle: str = ""  # short login used by code/erp
    # the previous export (as_of - 60 days); None = same as now
    prev_dept: str | None = None
    prev_title: str | None = None
    prev_manager: Person | None = None
    prev_status: str | None = None
    old_last: str | None = None  # renamed: the last name before, still used by the apps
    old_local: str = ""
    old_handle: str = ""
    has_accounts: bool = True

    @property
    def email(self) -> str:
        return f"{self.local}@{DOMAIN}"

    @property
    def worker_type(self) -> str:
        return self.role.worker_type

    @property
    def level(self) -> str:
        return self.role.level


@dataclass
class Account:
    app: str
    user_name: str
    given: str
    family: str
    display: str
    email: str
    person: Person | None
    groups: list[str]
    active: bool = True
    external_id: str | None = None
    employee_number: str | None = None
    department: str | None = None  # erp enterprise extension
    signin: datetime | None = None
    signin_days: int | None = None  # fixed age of the default sign-in, for non-people
    planted: list[dict[str, object]] = field(default_factory=list)
    clean: list[dict[str, object]] = field(default_factory=list)

    def plant(
        self, kind: str, note: str, subkind: str | None = None, groups: list[str] | None = None
    ) -> None:
        self.planted.append(
            {"kind": kind, "subkind": subkind, "groups": sorted(groups or []), "note": note}
        )

    def lookalike(self, kind: str, note: str) -> None:
        self.clean.append({"kind": kind, "subkind": None, "groups": [], "note": note})


def _clean(name: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", name.lower())


class World:
    """Everything generated for one ``as_of``."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.prev_as_of = as_of - timedelta(days=PREVIOUS_EXPORT_DAYS)
        self.rng = random.Random(SEED)
        self.people: list[Person] = []
        self.reserved: set[int] = set()
        self.accounts: list[Account] = []
        self.overrides: list[dict[str, str]] = []
        self.used_names: set[tuple[str, str]] = set()
        self.heads: dict[str, Person] = {}
        self.leads: dict[str, list[Person]] = {}

    # -- helpers -------------------------------------------------------------------------------

    def ago(self, days: int) -> date:
        return self.as_of - timedelta(days=days)

    def rand_date(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def pick(self, title: str) -> Person:
        """Reserve a random, not yet used individual contributor with this title."""
        candidates = [p for p in self.people if p.title == title and p.key not in self.reserved]
        person = self.rng.choice(candidates)
        self.reserved.add(person.key)
        return person

    def account(self, person: Person, app: str) -> Account:
        found = [a for a in self.accounts if a.person is person and a.app == app]
        assert len(found) == 1, (person.first, person.last, app, len(found))
        return found[0]

    # -- people --------------------------------------------------------------------------------

    def build_people(self) -> None:
        used: set[tuple[str, str]] = set()
        key = 0
        for role in ROLES:
            for _ in range(role.count):
                while True:
                    name = (self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES))
                    if name not in used:
                        used.add(name)
                        break
                if role.dept == EXECUTIVE:
                    hire = date(2011, 3, 1)  # the founder
                elif role.level == "head":
                    hire = self.rand_date(date(2012, 1, 2), date(2018, 12, 31))
                elif role.worker_type == CONTINGENT:
                    hire = self.rand_date(self.ago(700), self.ago(120))
                else:
                    hire = self.rand_date(date(2012, 1, 2), self.ago(120))
                person = Person(key, role, name[0], name[1], hire, dept=role.dept, title=role.title)
                if role.worker_type == CONTINGENT:
                    person.contract_end = self.ago(-self.rng.randint(30, 300))
                self.people.append(person)
                key += 1
        self.used_names = used

    def assign_managers(self) -> None:
        ceo = self.people[0]
        heads = {p.dept: p for p in self.people if p.level == "head"}
        leads: dict[str, list[Person]] = {}
        for p in self.people:
            if p.level == "lead":
                leads.setdefault(p.dept, []).append(p)
        for p in self.people:
            if p is ceo:
                continue
            if p.level == "head":
                p.manager = ceo
            elif p.level == "lead" or not leads.get(p.dept):
                p.manager = heads[p.dept]
            else:
                p.manager = self.rng.choice(leads[p.dept])
        self.heads = heads
        self.leads = leads

    def assign_ids_and_logins(self) -> None:
        """Ids follow hire order (the CEO first); emails and handles follow ids."""
        ordered = sorted(
            self.people, key=lambda p: (p.level != "head" or p.dept != EXECUTIVE, p.hire, p.key)
        )
        locals_: set[str] = set()
        handles: set[str] = set()

        def unique(base: str, taken: set[str]) -> str:
            candidate, n = base, 1
            while candidate in taken:
                n += 1
                candidate = f"{base}{n}"
            taken.add(candidate)
            return candidate

        for number, p in enumerate(ordered, start=10001):
            p.emp_id = f"E{number}"
            p.local = unique(f"{_clean(p.first)}.{_clean(p.last)}", locals_)
            p.handle = unique(_clean(p.first)[0] + _clean(p.last).replace("-", ""), handles)
        for p in ordered:
            if p.old_last:
                p.old_local = unique(f"{_clean(p.first)}.{_clean(p.old_last)}", locals_)
                p.old_handle = unique(_clean(p.first)[0] + _clean(p.old_last), handles)
        self.people.sort(key=lambda p: p.emp_id)

    # -- accounts ------------------------------------------------------------------------------

    def new_account(
        self, person: Person, app: str, groups: tuple[str, ...] | list[str] = ()
    ) -> Account:
        last = person.old_last or person.last
        local = person.old_local or person.local
        handle = person.old_handle or person.handle
        email = f"{local}@{DOMAIN}"
        acct = Account(
            app=app,
            user_name="",
            given=person.first,
            family=last,
            display=f"{person.first} {last}",
            email=email,
            person=person,
            groups=list(groups),
        )
        if app == "chat":
            acct.user_name = email
            acct.external_id = person.emp_id
        elif app == "code":
            acct.user_name = handle
        elif app == "erp":
            acct.user_name = handle.upper()
            acct.employee_number = person.emp_id
            acct.department = person.dept
        elif app == "ehr":
            acct.user_name = local
            acct.email = f"{local}@{ALIAS_DOMAIN}"
        elif app == "crm":
            acct.user_name = email
        self.accounts.append(acct)
        return acct

    def other_account(
        self,
        app: str,
        user_name: str,
        given: str,
        family: str,
        email: str,
        groups: tuple[str, ...] = (),
        display: str | None = None,
        external_id: str | None = None,
        department: str | None = None,
    ) -> Account:
        acct = Account(
            app=app,
            user_name=user_name,
            given=given,
            family=family,
            display=display or f"{given} {family}",
            email=email,
            person=None,
            groups=list(groups),
            external_id=external_id,
            department=department,
        )
        self.accounts.append(acct)
        return acct

    def build_accounts(self) -> None:
        for p in self.people:
            if not p.has_accounts:
                continue
            role = p.role
            self.new_account(p, "chat", [p.dept, *role.access.get("chat", ())])
            for app in APPS[1:]:
                if app in role.access:
                    self.new_account(p, app, role.access[app])

    # -- sign-ins ------------------------------------------------------------------------------

    def stamp(self, days_ago: int) -> datetime:
        day = self.ago(days_ago)
        moment = time(self.rng.randint(6, 19), self.rng.randint(0, 59))
        return datetime.combine(day, moment, tzinfo=UTC)

    def default_signins(self) -> None:
        for acct in self.accounts:
            if acct.app not in SIGNIN_APPS:
                continue
            p = acct.person
            if p is None:
                days = acct.signin_days or self.rng.randint(1, 10)
            elif p.status == TERMINATED:
                assert p.term is not None
                days = (self.as_of - p.term).days + self.rng.randint(1, 3)
            elif p.status == LEAVE:
                days = self.rng.randint(40, 75)
            else:
                days = (
                    self.rng.randint(30, 75) if self.rng.random() < 0.1 else self.rng.randint(1, 29)
                )
                days = max(1, min(days, (self.as_of - p.hire).days - 1))
            acct.signin = self.stamp(days)


def _apps_of(p: Person) -> list[str]:
    """The apps a person's role gives an account in, chat first."""
    return ["chat", *(app for app in APPS[1:] if app in p.role.access)]


def _plant_and_shape(w: World) -> None:
    """Choose the people for every planted case and look-alike, then build and bend accounts."""
    ago = w.ago
    # ---- HR-side changes (before ids: ids follow hire dates) ----------------------------------
    # terminated, account(s) still active
    t_nurse = w.pick("Registered Nurse")
    t_ae = w.pick("Account Executive")
    t_swe = w.pick("Software Engineer")
    t_ap = w.pick("Accounts Payable Specialist")  # terminated yesterday: inside a 24h SLA
    for p, days in ((t_nurse, 12), (t_ae, 33), (t_swe, 5), (t_ap, 1)):
        p.status, p.term = TERMINATED, ago(days)
    # deprovisioned leavers (clean): every account active=false
    leavers = [w.pick("Support Agent"), w.pick("Senior Software Engineer"), w.pick("Physician")]
    for p, days in zip(leavers, (20, 45, 8), strict=True):
        p.status, p.term = TERMINATED, ago(days)
    # long-gone leavers: accounts deleted
    gone_titles = (
        "Software Engineer",
        "Account Executive",
        "Sales Development Representative",
        "Support Agent",
        "Registered Nurse",
        "Content Writer",
        "Recruiter",
        "Senior Software Engineer",
        "Contract Support Agent",
        "Agency Nurse",
    )
    for title in gone_titles:
        p = w.pick(title)
        p.status, p.term, p.has_accounts = TERMINATED, ago(w.rng.randint(100, 600)), False
        p.hire = min(p.hire, p.term - timedelta(days=200))
        if p.worker_type == CONTINGENT:
            p.contract_end = p.term
    # owners of service accounts who have left
    owner_gone_chat = w.pick("Service Desk Analyst")
    owner_gone_crm = w.pick("Marketing Operations Specialist")
    for p, days in ((owner_gone_chat, 75), (owner_gone_crm, 100)):
        p.status, p.term, p.has_accounts = TERMINATED, ago(days), False
    # contractors
    c_eng = w.pick("Contract Software Engineer")
    c_nurse = w.pick("Agency Nurse")
    c_eng.contract_end, c_nurse.contract_end = ago(20), ago(45)
    c_soon = w.pick("Contract Software Engineer")
    c_soon.contract_end = ago(-7)
    # leave of absence (the first went on leave within the last 60 days)
    loa = [
        w.pick("Registered Nurse"),
        w.pick("Sales Development Representative"),
        w.pick("Senior Software Engineer"),
    ]
    for p in loa:
        p.status = LEAVE
    loa[0].prev_status = ACTIVE
    # resigned, leaving in two weeks: still Active with a future Termination_Date
    pending = w.pick("Account Executive")
    pending.term = ago(-14)
    # stale / never used: hired long ago
    s_chat = w.pick("Counsel")
    s_code = w.pick("QA Engineer")
    s_erp = w.pick("HR Generalist")
    s_crm = w.pick("Campaign Manager")
    n_code = w.pick("Support Engineer")
    n_erp = w.pick("Payroll Specialist")
    for p in (s_chat, s_code, s_erp, s_crm, n_code, n_erp):
        p.hire = min(p.hire, ago(400))
    edge_89 = w.pick("Software Engineer")
    edge_89.hire = min(edge_89.hire, ago(400))
    # new hires (not in the previous export); the first has not signed in to code yet
    new_hire = w.pick("Software Engineer")
    new_hire.hire = ago(20)
    for title in (
        "Account Executive",
        "Registered Nurse",
        "Support Agent",
        "Staff Accountant",
        "Recruiter",
    ):
        w.pick(title).hire = ago(w.rng.randint(12, 55))
    # duplicates, rename, look-alikes
    dup_chat = w.pick("Support Agent")
    dup_code = w.pick("Senior Software Engineer")
    renamed = w.pick("Staff Accountant")
    renamed.old_last = MAIDEN_NAME
    case_crm = w.pick("Account Executive")
    case_code = w.pick("Software Engineer")
    plus_crm = w.pick("Campaign Manager")
    plus_code = w.pick("Staff Software Engineer")
    plus_chat = w.pick("Recruiter")
    alias_ehr = [w.pick("Physician"), w.pick("Registered Nurse")]
    linked = w.pick("Senior Software Engineer")
    namesakes = [w.pick("Account Executive"), w.pick("Support Agent")]
    free = sorted((f, la) for f in FIRST_NAMES for la in LAST_NAMES if (f, la) not in w.used_names)
    shared_name = w.rng.choice(free)
    for p in namesakes:
        p.first, p.last = shared_name
        p.hire = min(p.hire, ago(300))
    # movers: kept access (planted) and moved cleanly (look-alikes)
    mover_fin = w.pick("Product Marketing Manager")
    mover_fin.prev_dept, mover_fin.prev_title = "Finance", "Accounts Payable Manager"
    mover_eng = w.pick("Sales Engineer")
    mover_eng.prev_dept, mover_eng.prev_title = "Engineering", "Software Engineer"
    promoted = w.pick("Senior Software Engineer")
    promoted.prev_dept, promoted.prev_title = "Engineering", "Software Engineer"
    moved_ok = w.pick("Account Executive")
    moved_ok.prev_dept, moved_ok.prev_title = "Support", "Patient Access Representative"
    for p in (mover_fin, mover_eng, promoted, moved_ok):
        p.hire = min(p.hire, ago(400))
    # role drift against peers / policy
    peer_code = w.pick("Software Engineer")
    peer_erp = w.pick("Accounts Payable Specialist")
    peer_crm = w.pick("Account Executive")
    pol_code = w.pick("Sales Engineer")
    pol_erp = w.pick("Account Executive")
    # service account owners still employed
    owner_deploy = w.pick("Platform Administrator")
    owner_backup = w.pick("ERP Administrator")
    owner_glass = w.pick("Health Information Manager")

    w.assign_managers()
    for p in (mover_fin, mover_eng, promoted, moved_ok):
        assert p.prev_dept is not None
        p.prev_manager = w.heads[p.prev_dept]
    w.assign_ids_and_logins()
    w.build_accounts()

    # ---- accounts ------------------------------------------------------------------------------
    sla = "terminated {d} ({n} day(s) before as_of); account still active"
    for p in (t_nurse, t_ae, t_swe, t_ap):
        assert p.term is not None
        n = (w.as_of - p.term).days
        for app in _apps_of(p):
            acct = w.account(p, app)
            if p is t_swe and app == "code":
                acct.active, acct.groups = False, []
                acct.lookalike(
                    "deprovisioned_leaver",
                    f"terminated {p.term}; code was deprovisioned (active=false), chat was not",
                )
                continue
            if p is t_ap:
                acct.plant(
                    "terminated_active",
                    sla.format(d=p.term, n=n) + "; exactly 24h at as_of 00:00, so a 24h "
                    "deprovisioning SLA is not yet breached",
                    subkind="within_sla",
                )
            else:
                acct.plant("terminated_active", sla.format(d=p.term, n=n), subkind="sla_breached")
    for p in leavers:
        for app in _apps_of(p):
            acct = w.account(p, app)
            acct.active, acct.groups = False, []
            acct.lookalike(
                "deprovisioned_leaver", f"terminated {p.term}; account active=false, no groups"
            )

    for p in (c_eng, c_nurse):
        for app in _apps_of(p):
            w.account(p, app).plant(
                "contractor_expired",
                f"Contingent Worker, status Active, Contract_End_Date {p.contract_end} passed",
            )
    for app in ("chat", "code"):
        w.account(c_soon, app).lookalike(
            "contractor_not_expired",
            f"Contract_End_Date {c_soon.contract_end} is 7 days after as_of",
        )
    for p in loa:
        for app in _apps_of(p):
            w.account(p, app).lookalike(
                "leave_of_absence", "Worker_Status 'Leave of Absence': employed, access kept"
            )
    for app in ("chat", "crm"):
        w.account(pending, app).lookalike(
            "pending_leaver", f"Active with a future Termination_Date {pending.term}"
        )

    # duplicates
    first_chat = w.account(dup_chat, "chat")
    second_chat = w.new_account(dup_chat, "chat")
    second_chat.user_name = second_chat.email = f"{dup_chat.handle}@{DOMAIN}"
    for acct, other in ((first_chat, second_chat), (second_chat, first_chat)):
        acct.plant("duplicate_account", f"same externalId {dup_chat.emp_id} as {other.user_name}")
    first_code = w.account(dup_code, "code")
    second_code = w.new_account(dup_code, "code")
    second_code.user_name = f"{_clean(dup_code.first)}-{_clean(dup_code.last)}"
    for acct, other in ((first_code, second_code), (second_code, first_code)):
        acct.plant("duplicate_account", f"same email {dup_code.email} as {other.user_name}")

    # rename: HR has the new last name and email; apps still carry the old ones
    for app in ("chat", "erp"):
        w.account(renamed, app).lookalike(
            "renamed_person",
            f"HR last name {renamed.last} (was {renamed.old_last}); app keeps the old name and "
            f"email, {'externalId' if app == 'chat' else 'employeeNumber'} matches",
        )
    acct = w.account(case_crm, "crm")
    acct.user_name = acct.email = (
        ".".join(s.capitalize() for s in case_crm.local.split(".")) + "@Example.com"
    )
    acct.lookalike("case_different_email", f"HR has {case_crm.email}")
    acct = w.account(case_code, "code")
    acct.email = ".".join(s.capitalize() for s in case_code.local.split(".")) + "@EXAMPLE.COM"
    acct.lookalike("case_different_email", f"HR has {case_code.email}")
    acct = w.account(plus_crm, "crm")
    acct.user_name = acct.email = f"{plus_crm.local}+crm@{DOMAIN}"
    acct.lookalike("plus_addressed_email", f"HR has {plus_crm.email}")
    acct = w.account(plus_code, "code")
    acct.email = f"{plus_code.local}+code@{DOMAIN}"
    acct.lookalike("plus_addressed_email", f"HR has {plus_code.email}")
    acct = w.account(plus_chat, "chat")
    acct.user_name = acct.email = f"{plus_chat.local}+chat@{DOMAIN}"
    acct.lookalike("plus_addressed_email", f"HR has {plus_chat.email}; externalId matches too")
    for p in alias_ehr:
        w.account(p, "ehr").lookalike(
            "alias_domain_email", f"HR has {p.email}; {ALIAS_DOMAIN} is an alias"
        )
    for p in namesakes:
        w.account(p, "chat").lookalike(
            "namesake", f"two HR people named {p.first} {p.last}; emails and externalIds differ"
        )
    acct = w.account(linked, "code")
    acct.user_name, acct.given, acct.family, acct.display = (
        "ghost-rider-77",
        "Ghost",
        "Rider",
        "ghost-rider-77",
    )
    acct.email = "gr77@users.noreply.git.example"
    acct.lookalike("manual_link", "no rule can match; overrides.csv links it")
    w.overrides.append(
        {
            "app": "code",
            "account": acct.user_name,
            "action": "link",
            "employee_id": linked.emp_id,
            "owner": "",
            "reason": "personal handle from before SSO; identity confirmed in ticket IAM-1042",
            "expires": "",
        }
    )

    # movers
    erp_acct = w.new_account(mover_fin, "erp", ["AP-Approver"])
    erp_acct.department = "Finance"  # the erp attribute was never updated after the move
    erp_acct.plant(
        "role_drift",
        "mover: Finance (Accounts Payable Manager) -> Marketing; kept erp AP-Approver; also "
        "outside the Marketing policy and held by no peer",
        subkind="mover",
        groups=["AP-Approver"],
    )
    w.new_account(mover_eng, "code", ["developers"]).plant(
        "role_drift",
        "mover: Engineering (Software Engineer) -> Sales; kept code developers; also outside the "
        "Sales policy and held by no other peer",
        subkind="mover",
        groups=["developers"],
    )
    for app in ("chat", "code"):
        w.account(promoted, app).lookalike(
            "clean_mover", "promoted Software Engineer -> Senior Software Engineer; same groups"
        )
    w.account(moved_ok, "crm").lookalike(
        "clean_mover", "moved Support -> Sales; holds only the Sales role's groups"
    )
    old_ehr = w.new_account(moved_ok, "ehr")
    old_ehr.active = False
    old_ehr.lookalike("clean_mover", "moved Support -> Sales; the old ehr account was deactivated")

    # role drift: peers and policy
    acct = w.account(peer_code, "code")
    acct.groups.append("security")
    acct.plant(
        "role_drift",
        "1 of the Software Engineers holds code security (allowed for Engineering, held by "
        "Security Engineers)",
        subkind="peer",
        groups=["security"],
    )
    acct = w.account(peer_erp, "erp")
    acct.groups.append("GL-Poster")
    acct.plant(
        "role_drift",
        "1 of the Accounts Payable Specialists holds erp GL-Poster (allowed for Finance)",
        subkind="peer",
        groups=["GL-Poster"],
    )
    acct = w.account(peer_crm, "crm")
    acct.groups.append("sales-manager")
    acct.plant(
        "role_drift",
        "1 of the Account Executives holds crm sales-manager (allowed for Sales)",
        subkind="peer",
        groups=["sales-manager"],
    )
    w.new_account(pol_code, "code", ["admins"]).plant(
        "role_drift",
        "Sales person in code admins: Sales has no code policy",
        subkind="policy",
        groups=["admins"],
    )
    w.new_account(pol_erp, "erp", ["Vendor-Master"]).plant(
        "role_drift",
        "Sales person in erp Vendor-Master: the Sales erp policy allows no group",
        subkind="policy",
        groups=["Vendor-Master"],
    )

    # segregation of duties, by role design
    for p in w.people:
        if p.title == "Finance Operations Lead":
            w.account(p, "erp").plant(
                "sod_conflict",
                "erp Vendor-Master + AP-Approver on one account (role grants both)",
                subkind="within_app",
                groups=["AP-Approver", "Vendor-Master"],
            )
        elif p.title == "Financial Systems Analyst":
            code_acct, erp_acct = w.account(p, "code"), w.account(p, "erp")
            erp_acct.plant(
                "sod_conflict",
                f"erp GL-Poster here + code maintainers as {code_acct.user_name}",
                subkind="cross_app",
                groups=["GL-Poster"],
            )
            code_acct.plant(
                "sod_conflict",
                f"code maintainers here + erp GL-Poster as {erp_acct.user_name}",
                subkind="cross_app",
                groups=["maintainers"],
            )

    # service accounts
    later = w.ago(-200).isoformat()
    services = (
        # app, userName, givenName, familyName, email local@domain, groups, owner, reason
        ("code", "svc-deploybot", "Deploy", "Bot", f"svc-deploybot@{DOMAIN}", ("maintainers",),
         owner_deploy, "CI/CD deploy bot; merges release tags"),
        ("erp", "SVC-BACKUP", "Backup", "Service", f"svc-backup@{DOMAIN}", (),
         owner_backup, "nightly ERP export to the backup vault"),
        ("ehr", "breakglass-ed01", "Break Glass", "ED01", f"breakglass-ed01@{ALIAS_DOMAIN}",
         ("break-glass",), owner_glass, "sealed emergency-department break-glass account"),
        ("chat", f"svc-standup-bot@{DOMAIN}", "Standup", "Bot", f"svc-standup-bot@{DOMAIN}", (),
         owner_gone_chat, "posts daily stand-up reminders"),
        ("crm", f"svc-marketing-sync@{DOMAIN}", "Marketing", "Sync",
         f"svc-marketing-sync@{DOMAIN}", ("marketing",),
         owner_gone_crm, "syncs campaign leads from the marketing platform"),
    )  # fmt: skip
    for app, user, given, family, email, groups, owner, reason in services:
        acct = w.other_account(
            app, user, given, family, email, groups, department="IT" if app == "erp" else None
        )
        w.overrides.append(
            {
                "app": app,
                "account": user,
                "action": "service",
                "employee_id": "",
                "owner": owner.emp_id,
                "reason": reason,
                "expires": later,
            }
        )
        if owner.status == TERMINATED:
            acct.plant(
                "service_owner_left",
                f"declared service account; owner {owner.emp_id} terminated {owner.term}",
            )
        elif app != "ehr":
            acct.lookalike(
                "declared_service_account", f"declared in overrides.csv, owner {owner.emp_id}"
            )

    # orphans: active, matching nobody by any rule, not declared
    orphans = (
        w.other_account("chat", f"alex.mercer@{DOMAIN}", "Alex", "Mercer",
                        f"alex.mercer@{DOMAIN}", external_id="E19999"),
        w.other_account("code", "qa-temp-2024", "QA", "Temp", f"qa-temp-2024@{DOMAIN}",
                        ("developers",)),
        w.other_account("erp", "SVC-LEGACY-IMPORT", "Legacy", "Import",
                        f"svc-legacy-import@{DOMAIN}", department="Finance"),
        w.other_account("crm", "partner.rep@northwind-partners.example", "Partner", "Rep",
                        "partner.rep@northwind-partners.example", ("sales-rep",),
                        display='=HYPERLINK("https://evil.example/x","Partner Rep")'),
    )  # fmt: skip
    notes = (
        "externalId E19999 is no HR employee; email matches nobody",
        "email matches nobody; no externalId",
        "looks like a service account but is not declared; employeeNumber absent",
        "external partner address; displayName is a CSV formula (escaping test)",
    )
    for acct, note in zip(orphans, notes, strict=True):
        acct.plant("orphaned_account", note)
    gone = w.other_account("chat", f"old.intern@{DOMAIN}", "Old", "Intern", f"old.intern@{DOMAIN}")
    gone.active = False
    gone.signin_days = 300
    gone.lookalike("inactive_orphan", "matches nobody but active=false")

    # ---- sign-ins ------------------------------------------------------------------------------
    w.default_signins()
    for p, app, days in (
        (s_chat, "chat", 120),
        (s_code, "code", 200),
        (s_erp, "erp", 95),
        (s_crm, "crm", 150),
    ):
        acct = w.account(p, app)
        acct.signin = w.stamp(days)
        acct.plant(
            "stale_access",
            f"last sign-in {acct.signin:%Y-%m-%d}, {days} days before as_of",
            subkind="stale",
        )
    for p, app in ((n_code, "code"), (n_erp, "erp")):
        acct = w.account(p, app)
        acct.signin = None
        acct.plant(
            "stale_access",
            f"no sign-in row; hired {p.hire}, more than 90 days before as_of",
            subkind="never_used",
        )
    acct = w.account(edge_89, "chat")
    acct.signin = w.stamp(89)
    acct.lookalike("recent_enough_signin", "last sign-in 89 days before as_of (threshold 90)")
    acct = w.account(new_hire, "code")
    acct.signin = None
    acct.lookalike(
        "new_hire_never_signed_in", f"no sign-in row, but hired {new_hire.hire} (20 days ago)"
    )


def build(as_of: date = DEFAULT_AS_OF) -> World:
    w = World(as_of)
    w.build_people()
    _plant_and_shape(w)
    return w


# -- writers -------------------------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def hr_rows(w: World, previous: bool) -> list[list[str]]:
    rows = [list(HR_COLUMNS)]
    cutoff = w.prev_as_of if previous else w.as_of
    for p in w.people:
        if p.hire > cutoff:
            continue
        last, local, dept, title, manager = p.last, p.local, p.dept, p.title, p.manager
        status, term = p.status, p.term
        if previous:
            if p.old_last:
                last, local = p.old_last, p.old_local
            dept, title = p.prev_dept or dept, p.prev_title or title
            manager = p.prev_manager or manager
            status = p.prev_status or status
            if term is not None and term > cutoff:
                status, term = ACTIVE, None
        rows.append(
            [
                p.emp_id,
                f"{local}@{DOMAIN}",
                p.first,
                last,
                status,
                p.worker_type,
                _iso(p.hire),
                _iso(term),
                _iso(p.contract_end),
                dept,
                title,
                manager.emp_id if manager else "",
            ]
        )
    return rows


def user_resource(acct: Account) -> dict[str, object]:
    res: dict[str, object] = {
        "schemas": [CORE_USER, ENTERPRISE_USER] if acct.app == "erp" else [CORE_USER],
        "userName": acct.user_name,
        "name": {"givenName": acct.given, "familyName": acct.family},
        "displayName": acct.display,
        "emails": [{"value": acct.email, "type": "work", "primary": True}],
        "active": acct.active,
    }
    if acct.external_id:
        res["externalId"] = acct.external_id
    if acct.app == "erp":
        ext: dict[str, str] = {}
        if acct.employee_number:
            ext["employeeNumber"] = acct.employee_number
        if acct.department:
            ext["department"] = acct.department
        res[ENTERPRISE_USER] = ext
    return res


def _json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def manifest(w: World) -> dict[str, object]:
    planted: list[dict[str, object]] = []
    clean: list[dict[str, object]] = []
    for acct in w.accounts:
        base = {"app": acct.app, "user_name": acct.user_name}
        emp = acct.person.emp_id if acct.person else None
        for entry in acct.planted:
            planted.append({**base, **entry, "employee_id": emp})
        if acct.active:
            held = sorted(set(acct.groups) & set(PRIVILEGED_GROUPS[acct.app]))
            if held:
                planted.append(
                    {
                        **base,
                        "kind": "privileged_account",
                        "subkind": None,
                        "groups": held,
                        "note": f"member of privileged {acct.app} group(s) {', '.join(held)}",
                        "employee_id": emp,
                    }
                )
        for entry in acct.clean:
            clean.append({**base, **entry, "employee_id": emp})
    for entry in planted:
        if entry["kind"] == "service_owner_left":
            entry["employee_id"] = next(
                o["owner"]
                for o in w.overrides
                if o["app"] == entry["app"] and o["account"] == entry["user_name"]
            )

    def order(e: dict[str, object]) -> tuple[str, str, str, str]:
        return (str(e["kind"]), str(e["app"]), str(e["user_name"]).lower(), str(e["subkind"]))

    return {
        "as_of": w.as_of.isoformat(),
        "previous_as_of": w.prev_as_of.isoformat(),
        "seed": SEED,
        "planted": sorted(planted, key=order),
        "clean": sorted(clean, key=order),
    }


def role_policy(w: World) -> dict[tuple[str, str], list[str]]:
    """(department, app) → allowed groups: exactly what the roles of that department hold."""
    policy: dict[tuple[str, str], set[str]] = {}
    for role in ROLES:
        for app, groups in role.access.items():
            if app != "chat":
                policy.setdefault((role.dept, app), set()).update(groups)
    return {
        (dept, app): sorted(policy[dept, app], key=APP_GROUPS[app].index)
        for dept, app in sorted(policy, key=lambda k: (APPS.index(k[1]), k[0]))
    }


def policy_toml(w: World) -> str:
    def arr(items: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    lines = [
        "# Sample role policy and SoD rules for the sample data (generated by generate.py).",
        "# Shaped like the [policy] table of scimaudit.toml: paste the entries under",
        "# [[policy.role_policy]] / [[policy.sod]], or validate this file as a PolicyConfig.",
        "#",
        "# role_policy: people of `department` may hold only `groups` in `app`. An app with at",
        "# least one entry is governed: a department with no entry for it may hold no group there.",
        "# Apps with no entry (chat) are not assessed against policy. groups = [] means",
        "# 'may have an account, but no group'.",
        "",
        "stale_after_days = 90",
        "deprovision_sla_hours = 24",
        "peer_threshold = 0.1",
        "peer_min_group_size = 5",
        "",
    ]
    for (dept, app), groups in role_policy(w).items():
        lines += [
            "[[role_policy]]",
            f'department = "{dept}"',
            f'app = "{app}"',
            f"groups = {arr(groups)}",
            "",
        ]
    lines += [
        "# sod, within one app: one account must not hold both groups.",
        "[[sod]]",
        f'name = "{SOD_WITHIN["name"]}"',
        f'app = "{SOD_WITHIN["app"]}"',
        f"groups = {arr(SOD_WITHIN['groups'])}",
        'severity = "high"',
        "",
        "# sod, across apps: one person must not hold left (in its app) and right (in its app).",
        "[[sod]]",
        f'name = "{SOD_ACROSS["name"]}"',
        'left = {{ app = "{}", group = "{}" }}'.format(*SOD_ACROSS["left"]),
        'right = {{ app = "{}", group = "{}" }}'.format(*SOD_ACROSS["right"]),
        'severity = "high"',
    ]
    return "\n".join(lines) + "\n"


def outputs(w: World) -> dict[str, str]:
    """Relative path → file content, for every file the generator owns."""
    files: dict[str, str] = {
        "hr.csv": _csv(hr_rows(w, previous=False)),
        "hr_previous.csv": _csv(hr_rows(w, previous=True)),
    }
    for app in APPS:
        accts = sorted((a for a in w.accounts if a.app == app), key=lambda a: a.user_name.lower())
        files[f"apps/{app}/users.json"] = _json([user_resource(a) for a in accts])
        groups = []
        for name in APP_GROUPS[app]:
            members = sorted((a.user_name for a in accts if name in a.groups), key=str.lower)
            groups.append(
                {
                    "schemas": [CORE_GROUP],
                    "displayName": name,
                    "members": [{"value": m} for m in members],
                }
            )
        files[f"apps/{app}/groups.json"] = _json(groups)
    signins = [["application", "login", "last_sign_in"]]
    for acct in sorted(w.accounts, key=lambda a: (a.app, a.user_name.lower())):
        if acct.app in SIGNIN_APPS and acct.signin is not None:
            signins.append([acct.app, acct.user_name, acct.signin.strftime("%Y-%m-%dT%H:%M:%SZ")])
    files["signins.csv"] = _csv(signins)
    overrides = [["app", "account", "action", "employee_id", "owner", "reason", "expires"]]
    for o in sorted(w.overrides, key=lambda o: (o["action"], o["app"], o["account"])):
        overrides.append([o[c] for c in overrides[0]])
    files["overrides.csv"] = _csv(overrides)
    files["policy.toml"] = policy_toml(w)
    files["manifest.json"] = _json(manifest(w))
    return files


def generate(out_dir: Path, as_of: date = DEFAULT_AS_OF) -> None:
    """Write every sample file under ``out_dir`` (created if missing), computed for ``as_of``."""
    out_dir = Path(out_dir)
    for rel, text in outputs(build(as_of)).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


# -- README tables -------------------------------------------------------------------------------

README_BEGIN = "<!-- BEGIN GENERATED TABLES (python sample_data/generate.py rewrites this) -->"
README_END = "<!-- END GENERATED TABLES -->"


def _md(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def readme_tables(as_of: date = DEFAULT_AS_OF) -> str:
    """The Markdown tables of planted cases and look-alikes, from the manifest."""
    man = manifest(build(as_of))
    out = [README_BEGIN, "", "### Planted findings", ""]
    out += [
        "| finding kind | subkind | app | userName | person id | why |",
        "|---|---|---|---|---|---|",
    ]
    for e in man["planted"]:  # type: ignore[union-attr]
        cells = [
            e["kind"],
            e["subkind"] or "",
            e["app"],
            f"`{e['user_name']}`",
            e["employee_id"] or "",
            e["note"],
        ]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    out += ["", "### Clean look-alikes (must not be flagged)", ""]
    out += [
        "| look-alike | app | userName | person id | why it is clean |",
        "|---|---|---|---|---|",
    ]
    for e in man["clean"]:  # type: ignore[union-attr]
        cells = [e["kind"], e["app"], f"`{e['user_name']}`", e["employee_id"] or "", e["note"]]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    out += ["", README_END]
    return "\n".join(out)


def update_readme(readme: Path, as_of: date = DEFAULT_AS_OF) -> bool:
    """Replace the generated region of ``readme``; False when the file or markers are missing."""
    if not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < 0:
        return False
    readme.write_text(
        text[:start] + readme_tables(as_of) + text[end + len(README_END) :], encoding="utf-8"
    )
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    parser.add_argument(
        "--out", type=Path, default=here, help="output folder (default: next to this file)"
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF, help="YYYY-MM-DD"
    )
    args = parser.parse_args(argv)
    generate(args.out, args.as_of)
    if args.out.resolve() == here and args.as_of == DEFAULT_AS_OF:
        update_readme(here / "README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
