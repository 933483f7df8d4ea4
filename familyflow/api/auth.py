"""Moved to familyflow.http.auth (the web pages share it and must not import the API);
these names stay importable from here for code written against the old place."""

from familyflow.http.auth import (
    CsrfTokenDep,
    CurrentUser,
    CurrentUserDep,
    FlowDep,
    OptionalUserDep,
    QueuedCookies,
    SettingsDep,
    WebAuth,
    WebAuthDep,
    current_user,
    forbid_unless,
    optional_user,
    require_roles,
)

__all__ = [
    "CsrfTokenDep",
    "CurrentUser",
    "CurrentUserDep",
    "FlowDep",
    "OptionalUserDep",
    "QueuedCookies",
    "SettingsDep",
    "WebAuth",
    "WebAuthDep",
    "current_user",
    "forbid_unless",
    "optional_user",
    "require_roles",
]
