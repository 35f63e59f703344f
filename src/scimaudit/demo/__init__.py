"""The one-command tour: real SCIM servers on loopback, sample data, every stage of the product."""
