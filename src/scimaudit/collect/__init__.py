"""Collection: each source (SCIM apps, the HR export, activity exports) into its own snapshot."""
