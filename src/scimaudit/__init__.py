"""scimaudit: identity governance and audit evidence from SCIM apps and an HR system of record."""

__version__ = "0.1.0"
