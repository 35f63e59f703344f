"""One error tree for the whole tool, mapped to exit codes at the CLI edge.

Every failure a user can cause or meet is one of these; the CLI prints ``str(error)`` (a headline,
then any detail lines, e.g. a refused file's problems) and exits with the class's ``exit_code``.
Anything else is a bug and is reported as such (exit 70).

::

    ScimauditError                 exit 1  base; never raised directly
    ├── ConfigError                exit 2  bad/missing config file, key or value (names file + key)
    │   └── SecretError            exit 2  a referenced env var / secret file is missing or empty
    ├── InputError                 exit 3  bad input data (names file and line/field)
    │   └── RowProblemsError       exit 3  a file's rows/header refused (carries every problem)
    │       ├── HrImportError      exit 3  HR export rows rejected
    │       ├── ActivityImportError exit 3 sign-in export rows rejected (collect/activity.py)
    │       └── OverridesError     exit 3  correlation overrides file refused
    ├── StoreError                 exit 4  DuckDB store problems
    │   ├── StoreLockedError       exit 4  another process holds the store past the retry window
    │   ├── SchemaVersionError     exit 4  store written by a newer scimaudit
    │   ├── SnapshotNotFoundError  exit 4  no complete snapshot where one is needed
    │   └── ArchiveIntegrityError  exit 8  archived SCIM pages differ from their recorded hashes
    ├── CollectionError            exit 5  a source could not be collected completely
    │   ├── ScimProtocolError      exit 5  server broke the SCIM contract (non-JSON, bad envelope)
    │   ├── ScimHttpError          exit 5  HTTP error after retries (status, SCIM detail)
    │   │   ├── ScimAuthError      exit 5  401/403: bad or under-scoped credentials
    │   │   └── TlsCertificateError exit 5 server certificate rejected (untrusted, host, expiry)
    │   └── InsecureTransportError exit 2  plain http to a non-loopback host
    ├── AnalysisError              exit 6  analysis cannot run (e.g. incomplete snapshots)
    ├── ReportError                exit 7  evidence pack cannot be produced or verified
    │   ├── VerificationError      exit 8  a document or attachment failed verification
    │   └── VerificationInconclusive exit 11 nothing failed, but a needed check could not run
    ├── ReviewError                exit 9  campaign / decision rule violated (e.g. not your item)
    │   └── PermissionDeniedError  exit 9  actor is not allowed to do this
    ├── RemediationError           exit 10 plan refused / apply failed
    └── InstallationError          exit 1  a packaged file or the `demo` extra is missing
    Terminated (KeyboardInterrupt) exit 143 SIGTERM; Ctrl-C exits 130
"""

from __future__ import annotations


class ScimauditError(Exception):
    """Base of every error the CLI maps to a clear message."""

    exit_code = 1


class ConfigError(ScimauditError):
    """The configuration file, a key or a value is wrong; the message names file and key path."""

    exit_code = 2


class SecretError(ConfigError):
    """A secret referenced by config (``env``/``file``) cannot be read. Never carries the value."""


class InputError(ScimauditError):
    """Input data is malformed; the message names the file and the line or field."""

    exit_code = 3


Problem = tuple[int, str, str]
"""One refused spot in an input file: ``(line, column or config key, message)``."""

SHOWN_PROBLEMS = 20
"""Problems a message lists before "... and N more"; ``--json`` and the records keep all."""


class RowProblemsError(InputError):
    """An input file was refused; ``problems`` lists every ``(line, column, message)``.

    The message is a headline, then an optional ``context`` line (e.g. which XLSX sheet was read),
    then the first :data:`SHOWN_PROBLEMS` problems as ``file:line: column: message`` and
    "... and N more problem(s)", then where the rejected rows were written, if they were. Callers
    that show errors elsewhere (``collect``'s summary, ``--json``, the snapshot record) use the
    attributes rather than parsing the text.
    """

    what = "import"
    outcome = "nothing was imported"
    snapshot_id: int | None = None
    """The failed snapshot whose record keeps these problems, once the importer has closed it."""

    def __init__(
        self,
        path: str,
        problems: list[Problem],
        *,
        context: str = "",
        reject_file: str | None = None,
        shown: int = SHOWN_PROBLEMS,
    ) -> None:
        self.path = str(path)
        self.problems = problems
        self.context = context
        self.reject_file = reject_file
        self.shown = shown
        super().__init__("\n".join([self.headline, *self.detail_lines()]))

    @property
    def headline(self) -> str:
        """The first line of the message: what was rejected, how many problems, and the outcome."""
        return f"{self.what} rejected {self.path}: {len(self.problems)} problem(s); {self.outcome}"

    def problem_lines(self) -> list[str]:
        """Every problem as ``file:line: column: message``, in file order."""
        return [f"{self.path}:{line}: {fld}: {msg}" for line, fld, msg in self.problems]

    def detail_lines(self) -> list[str]:
        """What follows the headline: context, the first problems, the rest counted, rejects."""
        lines = [self.context] if self.context else []
        lines += self.problem_lines()[: self.shown]
        more = len(self.problems) - self.shown
        if more > 0:
            lines.append(f"... and {more} more problem(s)")
        if self.reject_file:
            lines.append(f"rejected rows (with line and problem) written to {self.reject_file}")
        return lines


class HrImportError(RowProblemsError):
    """The HR export has rejected rows (or a header that lacks a mapped column)."""

    what = "HR import"


class OverridesError(RowProblemsError):
    """The correlation overrides file has bad lines; the analysis does not run."""

    what = "overrides file"
    outcome = "nothing was analysed"


class StoreError(ScimauditError):
    """The DuckDB store cannot be opened, migrated or queried as needed."""

    exit_code = 4


class StoreLockedError(StoreError):
    """Another process kept the store locked for longer than the retry window."""


class SchemaVersionError(StoreError):
    """The store was written by a newer scimaudit; we refuse rather than corrupt it."""


class SnapshotNotFoundError(StoreError):
    """No complete snapshot exists where one is needed."""


class ArchiveIntegrityError(StoreError):
    """A snapshot's archived response bodies are missing, extra, or differ from the SHA-256s the
    store recorded when they were received (``scimaudit snapshots --verify``). Exit 8, like
    every other failed verification."""

    exit_code = 8


class CollectionError(ScimauditError):
    """A source could not be collected completely; its snapshot is marked failed."""

    exit_code = 5


class ScimProtocolError(CollectionError):
    """The server broke the SCIM contract (non-JSON body, malformed list response, lying counts)."""


class ScimHttpError(CollectionError):
    """An HTTP error persisted after retries; carries status and the SCIM error detail if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ScimAuthError(ScimHttpError):
    """401/403: the credentials are wrong, expired or lack the scope to read."""


class TlsCertificateError(ScimHttpError):
    """The server's TLS certificate was rejected; retrying cannot help, the message says what to
    change (``ca_bundle`` for a private CA, the URL's host name for a mismatch)."""


class InsecureTransportError(CollectionError):
    """Plain http to a host that is not loopback: refused, tokens would travel in clear."""

    exit_code = 2


class AnalysisError(ScimauditError):
    """Analysis cannot run as asked (e.g. a needed snapshot is missing or incomplete)."""

    exit_code = 6


class ReportError(ScimauditError):
    """An evidence pack cannot be produced."""

    exit_code = 7


class VerificationError(ReportError):
    """A document or one of its attachments does not match its recorded hashes or the store."""

    exit_code = 8


class VerificationInconclusive(ReportError):
    """No check failed, but one that proving the pack needs could not run (no store, unsigned).

    Its own exit code so a script never reads "could not tell" as "intact" or as "tampered".
    """

    exit_code = 11


class ReviewError(ScimauditError):
    """A campaign or decision rule was violated."""

    exit_code = 9


class PermissionDeniedError(ReviewError):
    """The acting user may not do this (not their queue, read-only role, self-review)."""


class RemediationError(ScimauditError):
    """A remediation plan was refused or could not be applied."""

    exit_code = 10


class InstallationError(ScimauditError):
    """This installation lacks a part it needs: a file the wheel ships (report templates, the
    dashboard app, the sample-data generator) or the optional ``demo`` extra. The message names
    what is missing, where it was looked for, and what to install."""


EXIT_BUG = 70


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so commands unwind as on Ctrl-C (and say so).

    Not a :class:`ScimauditError`: like Ctrl-C it is the operator stopping the run, not a fault.
    It lives at the bottom so a command can tell SIGTERM from Ctrl-C without importing the CLI.
    """

    exit_code = 143  # 128 + SIGTERM, as a shell reports a process ended by it
