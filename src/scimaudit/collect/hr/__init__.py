"""The HR system-of-record export: read any CSV/XLSX/Parquet through the config's column map."""

from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.hr.landing import ImportResult

__all__ = ["ImportResult", "import_hr"]
