"""The application layer: one function per use case.

Every adapter (the API, the web pages, the CLI, `simulate`) calls these with a
resolved `Principal`. Each function does in one place what the use case needs:
visibility (team scoping), the role check, validation, one transaction, and the
audit record (reads of personal data included).
"""

from familyflow.services.principal import Principal, cli_principal, simulation_principal

__all__ = ["Principal", "cli_principal", "simulation_principal"]
