"""Configuration: one TOML file, validated by pydantic, secrets only by reference.

Why pydantic: every bad value is reported with its key path (``apps[1].url``) and the file name, and
unknown keys are refused so a typo never silently disables a control. Relative paths are resolved
against the config file's folder so a config works from any working directory.

Secrets are ``{ env = "NAME" }`` or ``{ file = "path" }``; :class:`SecretRef` reads them only when a
request needs them and never puts the value in a repr, a log line, the store or a report.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from scimaudit.errors import ConfigError, SecretError

CONFIG_ENV = "SCIMAUDIT_CONFIG"
DEFAULT_CONFIG = "scimaudit.toml"


class _Model(BaseModel):
    """Base of every table: unknown keys are refused (a typo must not disable a control), frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Model):
    """A secret named by reference: exactly one of ``env`` or ``file``."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError('give exactly one of env = "NAME" or file = "path"')
        return self

    def describe(self) -> str:
        """Where the secret comes from, safe to print."""
        return f"env:{self.env}" if self.env else f"file:{self.file}"

    def reveal(self) -> str:
        """Read the secret now; :class:`SecretError` names the reference, never the value."""
        if self.env is not None:
            value = os.environ.get(self.env, "")
            if not value:
                raise SecretError(f"environment variable {self.env} is not set or empty")
            return value
        assert self.file is not None
        try:
            value = self.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"cannot read secret file {self.file}: {exc.strerror}") from None
        if not value:
            raise SecretError(f"secret file {self.file} is empty")
        return value

    def __repr__(self) -> str:
        return f"SecretRef({self.describe()})"


class StoreConfig(_Model):
    """``[store]``: the DuckDB file, and how long to wait while another process holds its lock."""

    path: Path = Path("scimaudit.duckdb")
    lock_timeout_seconds: float = Field(30.0, gt=0, description="how long to retry a locked store")


HR_FIELDS = (
    "employee_id",
    "email",
    "first_name",
    "last_name",
    "status",
    "worker_type",
    "hire_date",
    "termination_date",
    "contract_end_date",
    "department",
    "title",
    "manager_id",
    "previous_employee_id",
)


class HrColumns(_Model):
    """Our field = the export's column name. Only ``employee_id`` and ``status`` are required."""

    employee_id: str
    status: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    worker_type: str | None = None
    hire_date: str | None = None
    termination_date: str | None = None
    contract_end_date: str | None = None
    department: str | None = None
    title: str | None = None
    manager_id: str | None = None
    previous_employee_id: str | None = Field(
        None,
        description="the earlier employee id a rehired person's row continues (when exported)",
    )


class HrStatusMap(_Model):
    """Which export values mean what. A value in none of the lists is an import error."""

    active: list[str] = ["Active"]
    terminated: list[str] = ["Terminated"]
    leave: list[str] = Field(
        default_factory=list,
        description="on leave: still employed, access kept; listed separately from active",
    )

    @model_validator(mode="after")
    def _disjoint(self) -> HrStatusMap:
        """Values match ignoring case, so one value in two lists would be ambiguous."""
        seen: dict[str, str] = {}
        for category in ("active", "leave", "terminated"):
            for value in getattr(self, category):
                key = value.strip().casefold()
                if key in seen and seen[key] != category:
                    raise ValueError(f"{value!r} is listed under both {seen[key]} and {category}")
                seen[key] = category
        return self


class HrWorkerTypeMap(_Model):
    """``[hr.worker_type]``: export values that mean contractor; any other value is an employee."""

    contractor: list[str] = ["Contractor", "Contingent Worker"]


class HrConfig(_Model):
    """``[hr]``: where the HR export is and how to read it (the source of who works here)."""

    path: Path
    columns: HrColumns
    status: HrStatusMap = HrStatusMap()
    worker_type: HrWorkerTypeMap = HrWorkerTypeMap()
    date_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%Y"],
        description="strptime formats tried in order; ISO first",
    )
    delimiter: str | None = Field(None, description="CSV delimiter; sniffed when absent")
    sheet: str | None = Field(None, description="XLSX sheet name; first sheet when absent")
    allow_errors: StrictBool = Field(
        False,
        description="import the good rows and set the bad ones aside in reject_file; the snapshot "
        "is then partial (its record says how many rows were rejected) instead of failed",
    )
    reject_file: Path | None = Field(
        None, description="where rejected rows are written; default <export>.rejects.csv"
    )


class BasicAuth(_Model):
    """``kind = "basic"``: HTTP basic (RFC 7617); the password only by reference."""

    kind: Literal["basic"]
    username: str
    password: SecretRef


class BearerAuth(_Model):
    """``kind = "bearer"``: a static bearer token (RFC 6750), only by reference."""

    kind: Literal["bearer"]
    token: SecretRef


class OAuth2ClientCredentials(_Model):
    """``kind = "oauth2_client_credentials"``: tokens fetched from ``token_url`` (RFC 6749 §4.4)."""

    kind: Literal["oauth2_client_credentials"]
    token_url: str
    client_id: str
    client_secret: SecretRef
    scope: str | None = None


AuthConfig = Annotated[
    BasicAuth | BearerAuth | OAuth2ClientCredentials, Field(discriminator="kind")
]


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is a loopback address or ``localhost``."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AppConfig(_Model):
    """One SCIM 2.0 endpoint. Vendor differences are options here, never code branches."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    url: str
    token: SecretRef | None = Field(None, description="shorthand for auth = bearer with this token")
    auth: AuthConfig | None = None
    ca_bundle: Path | None = None
    frameworks: list[Literal["SOX", "HIPAA"]] = Field(default_factory=list)
    privileged_groups: list[str] = Field(
        default_factory=list, description="group names or shell-style patterns (admin*)"
    )
    service_accounts: list[str] = Field(default_factory=list, description="userNames")
    break_glass_accounts: list[str] = Field(
        default_factory=list, description="userNames remediation must never touch"
    )
    fallback_reviewer: str | None = Field(None, description="HR employee id")
    # collection
    pagination: Literal["auto", "index", "cursor"] = "auto"
    page_size: int = Field(200, ge=1, le=10000)
    concurrency: int = Field(4, ge=1, le=32)
    requests_per_second: float | None = Field(None, gt=0)
    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(6, ge=0, le=50)
    retry_base_seconds: float = Field(
        0.5, gt=0, le=60, description="first backoff ceiling; doubles per retry (full jitter)"
    )
    retry_after_max_seconds: float = Field(
        120.0, gt=0, description="a longer Retry-After fails the request instead of waiting"
    )
    group_members: Literal["inline", "per_group"] = "inline"
    request_deadline_seconds: float = Field(
        120.0, gt=0, description="one request, start to last byte (timeout_seconds is per read)"
    )
    app_deadline_seconds: float = Field(
        7200.0, gt=0, description="a whole pull of this app; past it the snapshot fails"
    )
    paging_overrun_share: float = Field(
        0.1, ge=0, le=10, description="received beyond totalResults by more than this share: stop"
    )
    collapse_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="users falling by more than this share since the last complete snapshot "
        "(or to 0) hold the new one as suspect",
    )
    # vendor quirks as data
    member_ref: Literal["id", "userName", "email"] = Field(
        "id", description="what a Group member value names: User id (RFC 7643), userName, email"
    )
    active_as_string: bool = False
    activity_attribute: str | None = Field(
        None, description="dotted path of a last-activity timestamp in the User resource"
    )
    # remediation
    remove_account: Literal["deactivate", "delete"] = "deactivate"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        """Only https, or plain http on loopback (demo, test peers); no trailing slash kept."""
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an https:// URL of the SCIM base (…/scim/v2)")
        if parts.scheme == "http" and not is_loopback_url(value):
            raise ValueError("plain http is refused except on loopback; use https")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_auth(self) -> AppConfig:
        """Exactly one of ``token`` (the bearer shorthand) and ``auth``."""
        if self.token is not None and self.auth is not None:
            raise ValueError("give either token or auth, not both")
        if self.token is None and self.auth is None:
            raise ValueError(
                "missing credentials: set token = { env = ... } or an [apps.auth] table"
            )
        return self

    @property
    def effective_auth(self) -> BasicAuth | BearerAuth | OAuth2ClientCredentials:
        """The app's credentials: ``auth`` as given, or the ``token`` shorthand as bearer auth."""
        if self.auth is not None:
            return self.auth
        assert self.token is not None
        return BearerAuth(kind="bearer", token=self.token)


class ActivityConfig(_Model):
    """A sign-in / last-login export: one row per (app, login) with a last-seen timestamp."""

    path: Path
    app_column: str | None = None
    app: str | None = Field(None, description="fixed app name when the export has no app column")
    user_column: str
    last_seen_column: str
    timestamp_formats: list[str] = Field(
        default_factory=lambda: [
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %H:%M",
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M",
            "%m/%d/%Y",
            "%d.%m.%Y",
        ],
        description="strptime formats tried after ISO 8601; times without an offset are UTC",
    )
    delimiter: str | None = Field(None, description="CSV delimiter; sniffed when absent")
    sheet: str | None = Field(None, description="XLSX sheet name; first sheet when absent")
    reject_file: Path | None = Field(
        None, description="where a refused import's bad rows go; default <export>.rejects.csv"
    )

    @model_validator(mode="after")
    def _app_given(self) -> ActivityConfig:
        if (self.app_column is None) == (self.app is None):
            raise ValueError("give exactly one of app_column or app")
        return self


class SodRule(_Model):
    """Conflicting pair: ``app`` + two ``groups`` in one app, or ``left``/``right`` across apps."""

    name: str | None = None
    app: str | None = None
    groups: list[str] | None = None
    left: dict[str, str] | None = None
    right: dict[str, str] | None = None
    severity: Literal["low", "medium", "high", "critical"] = "high"

    @model_validator(mode="after")
    def _shape(self) -> SodRule:
        """Two ``groups`` of one ``app``, or a ``left``/``right`` pair across apps; not both."""
        within = self.app is not None and self.groups is not None
        across = self.left is not None and self.right is not None
        if within == across:
            raise ValueError('give app + groups = ["A", "B"], or left/right = {app, group}')
        if within and len(self.groups or []) != 2:
            raise ValueError("groups must name exactly two groups")
        for side in (self.left, self.right):
            if side is not None and set(side) != {"app", "group"}:
                raise ValueError("left/right need exactly the keys app and group")
        return self


class RolePolicy(_Model):
    """Groups a department (optionally a title) may hold in an app."""

    department: str
    title: str | None = None
    app: str
    groups: list[str]


class Exemption(_Model):
    """Risk accepted: a finding that stays visible as exempted until ``expires``."""

    kind: str
    app: str
    account: str = Field(description="userName or account id")
    owner: str
    reason: str
    expires: str
    group: str | None = Field(
        None, description="only the finding about this group (role_drift, privileged_account, ...)"
    )


class PolicyConfig(_Model):
    """``[policy]``: thresholds and rules findings are judged by (staleness, SLA, peers, SoD)."""

    stale_after_days: int = Field(90, ge=1)
    deprovision_sla_hours: int = Field(24, ge=0)
    peer_threshold: float = Field(
        0.1, ge=0, le=1, description="drift when fewer than this share of peers hold the group"
    )
    peer_min_group_size: int = Field(5, ge=1, description="peer comparison needs this many peers")
    peer_group: Literal["department_title", "department"] = Field(
        "department_title",
        description="who counts as a peer: same department and job title, or same department",
    )
    never_used_since: Literal["account_created", "hire_date"] = Field(
        "account_created",
        description="age of a never-used account: from meta.created (else hire date), or from the"
        " hire date (else meta.created) when the app's created dates do not mean provisioning",
    )
    sod: list[SodRule] = Field(default_factory=list)
    role_policy: list[RolePolicy] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)


class CorrelationConfig(_Model):
    """``[correlation]``: how accounts are tied to HR people; the first rule that finds wins."""

    rules: list[Literal["external_id", "employee_number", "email", "name"]] = [
        "external_id",
        "employee_number",
        "email",
        "name",
    ]
    domain_aliases: dict[str, str] = Field(
        default_factory=dict, description="alias domain = canonical HR domain"
    )
    fold_plus_addressing: bool = True
    overrides: Path | None = Field(None, description="CSV of manual links / service declarations")


class ReportConfig(_Model):
    """``[report]``: the entity named in evidence packs, where packs go, how they are signed."""

    entity: str = "Example Corp"
    classification: str = "Confidential"
    out_dir: Path = Path("reports-out")
    sign: bool = Field(
        True,
        description="sign every pack (PAdES): with sign_cert/sign_key when given, else with the"
        " key the store keeps beside itself (<store>.signing/); false only for drafts, which"
        " verify can prove intact only against the store",
    )
    sign_cert: Path | None = None
    sign_key: Path | None = None
    sign_passphrase: SecretRef | None = None
    sample_size: int = Field(
        25, ge=1, le=1000, description="accounts in the reproducible sample of each evidence pack"
    )

    @model_validator(mode="after")
    def _cert_and_key(self) -> ReportConfig:
        if (self.sign_cert is None) != (self.sign_key is None):
            raise ValueError("give both sign_cert and sign_key (an organisation's certificate)")
        return self


class DashboardUser(_Model):
    """``[[dashboard.users]]``: one user and role (and password hash, for ``auth = users``)."""

    email: str
    role: Literal["manager", "security", "auditor", "admin"]
    password_hash: str = Field(
        "",
        description="argon2 hash; make one with `scimaudit hash-password`. Needed for auth = users;"
        " unused when the proxy header or OIDC authenticates (the entry then only grants the role)",
    )


class DashboardConfig(_Model):
    """``[dashboard]``: how dashboard users sign in (own users, a trusted proxy header, or OIDC)."""

    auth: Literal["users", "header", "oidc"] = "users"
    users: list[DashboardUser] = Field(default_factory=list)
    trusted_header: str = "X-Forwarded-Email"
    proxy_secret: SecretRef | None = Field(
        None,
        description="auth = header: the secret the sign-in proxy adds in proxy_secret_header to"
        " every request; without it header sign-in refuses to start, and any request that does not"
        " carry it is refused (a header sent straight to the port proves nothing)",
    )
    proxy_secret_header: str = "X-Scimaudit-Proxy-Secret"  # noqa: S105 (a header name)
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="auth = header: addresses or networks of the sign-in proxy (e.g."
        ' ["10.0.4.7", "10.0.5.0/28"]); when set, every HTTP and WebSocket connection from any'
        " other address is refused (403) before the page runs. An addition to proxy_secret, not"
        " a replacement: on loopback every local process has the proxy's address",
    )
    idle_timeout_minutes: float = Field(
        30.0,
        gt=0,
        description="sign a dashboard session out after this long without a click or reload"
        " (auth = users; with header or oidc sign-in the proxy's or provider's session rules"
        " apply, and HR status and role are still re-checked on every click)",
    )
    oidc_provider: str | None = Field(
        None,
        description="provider name under [auth.NAME] in .streamlit/secrets.toml; None = [auth]",
    )
    unlisted_role: Literal["manager", "none"] = Field(
        "manager",
        description="role of a header/OIDC-authenticated person not listed in users"
        " (none = refused); a manager only ever sees their own review queue",
    )


class ReviewConfig(_Model):
    """Access-review campaign defaults."""

    default_undecided: Literal["keep", "revoke", "undecided"] = Field(
        "undecided",
        description="what closing a campaign does with undecided items; automatic revocation is"
        " opt-in because revocations flow to the apps",
    )
    due_days: int = Field(14, ge=1, description="due date when `review start` gets no --due")


class NotificationsConfig(_Model):
    """Where reminder emails go out (``scimaudit review remind`` and the dashboard's Remind)."""

    smtp_host: str = Field(description="SMTP relay host")
    smtp_port: int = Field(587, ge=1, le=65535)
    starttls: StrictBool = Field(
        True, description="upgrade the connection with STARTTLS before anything is sent"
    )
    ca_file: Path | None = Field(
        None, description="CA bundle to trust for STARTTLS (default: the system's)"
    )
    username: str | None = None
    password: SecretRef | None = Field(None, description='{ env = "NAME" } or { file = "path" }')
    from_address: str = Field(description="the From: of reminder emails")
    dashboard_url: str = Field(
        "http://127.0.0.1:8501", description="the link in reminder emails (the dashboard's URL)"
    )
    timeout_seconds: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _safe(self) -> NotificationsConfig:
        """Refuse SMTP credentials over plain text unless the relay is on loopback."""
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if (
            self.password is not None
            and not self.starttls
            and self.smtp_host
            not in (
                "localhost",
                "127.0.0.1",
                "::1",
            )
        ):
            raise ValueError("credentials are only sent over STARTTLS (or to a loopback relay)")
        return self


class RemediationConfig(_Model):
    """Safety limits of ``scimaudit remediate``: a bad plan must not be able to do much harm."""

    max_operations: int = Field(
        25,
        ge=1,
        description="most SCIM write operations one apply run may perform (--max-ops raises it)",
    )
    max_snapshot_age_hours: float = Field(
        24.0, gt=0, description="refuse to plan or apply from an app snapshot older than this"
    )


class Config(_Model):
    """The whole file. ``source`` is where it was read from (for messages)."""

    store: StoreConfig = StoreConfig()
    hr: HrConfig | None = None
    apps: list[AppConfig] = Field(default_factory=list)
    activity: list[ActivityConfig] = Field(default_factory=list)
    policy: PolicyConfig = PolicyConfig()
    correlation: CorrelationConfig = CorrelationConfig()
    report: ReportConfig = ReportConfig()
    dashboard: DashboardConfig = DashboardConfig()
    remediation: RemediationConfig = RemediationConfig()
    notifications: NotificationsConfig | None = None
    review: ReviewConfig = ReviewConfig()
    source: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique_apps(self) -> Config:
        names = [a.name for a in self.apps]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"app names must be unique; repeated: {', '.join(dupes)}")
        return self

    def app(self, name: str) -> AppConfig:
        """The app named ``name``; an unknown name is a ConfigError listing the configured apps."""
        for app in self.apps:
            if app.name == name:
                return app
        known = ", ".join(a.name for a in self.apps) or "none configured"
        raise ConfigError(f"{self.source}: no app named {name!r} (apps: {known})")


def _loc(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as the key path a user sees in the file (``apps[1].auth.token``).

    The names pydantic adds for union members (the auth kinds, ``list[...]``) are left out, since
    they are not keys in the TOML.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("BasicAuth", "BearerAuth", "OAuth2ClientCredentials") or "[" in str(part):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _resolve_paths(raw: Any, base: Path) -> Any:
    """Resolve relative ``path``/``file``/``overrides``/… values against the config file."""
    keys = {
        "path",
        "file",
        "overrides",
        "reject_file",
        "ca_bundle",
        "out_dir",
        "sign_cert",
        "sign_key",
    }
    if isinstance(raw, dict):
        return {
            k: (
                str(base / v)
                if k in keys and isinstance(v, str) and not Path(v).is_absolute()
                else _resolve_paths(v, base)
            )
            for k, v in raw.items()
        }
    if isinstance(raw, list):
        return [_resolve_paths(v, base) for v in raw]
    return raw


def parse_config(raw: dict[str, Any], source: Path) -> Config:
    """Validate an already-parsed TOML mapping; errors name ``source`` and the key path."""
    try:
        cfg = Config.model_validate(_resolve_paths(raw, source.parent))
    except ValidationError as exc:
        lines = [f"{source}: {_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid configuration\n" + "\n".join(lines)) from None
    return cfg.model_copy(update={"source": source})


def config_path(explicit: str | Path | None) -> Path:
    """``--config`` beats ``$SCIMAUDIT_CONFIG`` beats ``./scimaudit.toml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else Path(DEFAULT_CONFIG)


def load_config(explicit: str | Path | None = None) -> Config:
    """Read and validate the config file; every problem becomes a :class:`ConfigError`."""
    path = config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (run `scimaudit init` to write a starter, "
            f"or pass --config / set {CONFIG_ENV})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path.resolve())
