"""People: users, roles, teams, managers, part-time status; your own API tokens;
the audit trail (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from familyflow.api import views
from familyflow.api.schemas import (
    MAX_ID,
    NO_NUL,
    AuditOut,
    Me,
    Role,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from familyflow.http.auth import (
    CurrentUser,
    CurrentUserDep,
    FlowDep,
    WebAuthDep,
    require_roles,
)
from familyflow.services import reads, users
from familyflow.services import tokens as tokens_service

UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
AdminDep = Annotated[CurrentUser, Depends(require_roles("admin"))]


def router() -> APIRouter:
    api = APIRouter(tags=["people"])

    @api.get("/me", response_model=Me, summary="Who you are signed in as")
    def me(flow: FlowDep, user: CurrentUserDep, web: WebAuthDep) -> dict[str, Any]:
        row = users.get_user(flow, principal=user.principal, user_id=user.id)
        return {
            "user": views.user(row),
            "teams": list(user.teams) if user.teams is not None else None,
            "signed_in_with": user.via,
            "csrf_token": web.csrf_for(user.session_token) if user.session_token else None,
        }

    @api.get("/people", response_model=list[UserOut], summary="Users")
    def people(
        flow: FlowDep,
        user: CurrentUserDep,
        team: Annotated[str | None, Query(pattern=NO_NUL, max_length=200)] = None,
        role: Role | None = None,
    ) -> list[dict[str, Any]]:
        rows = users.list_users(flow, principal=user.principal, team=team, role=role)
        return [views.user(r) for r in rows]

    @api.post(
        "/people",
        response_model=UserOut,
        status_code=status.HTTP_201_CREATED,
        summary="Add a user (admins)",
    )
    def add_person(
        body: UserCreate, flow: FlowDep, user: AdminDep, response: Response
    ) -> dict[str, Any]:
        user_id = users.add_user(
            flow,
            principal=user.principal,
            email=body.email,
            name=body.name,
            role=body.role,
            team=body.team,
            password=body.password,
            part_time=body.part_time,
            manager_email=body.manager_email,
        )
        response.headers["Location"] = f"/api/people/{user_id}"
        return views.user(users.get_user(flow, principal=user.principal, user_id=user_id))

    @api.get("/people/{user_id}", response_model=UserOut, summary="A user")
    def person(user_id: UserId, flow: FlowDep, user: CurrentUserDep) -> dict[str, Any]:
        return views.user(users.get_user(flow, principal=user.principal, user_id=user_id))

    @api.patch(
        "/people/{user_id}",
        response_model=UserOut,
        summary="Change a user's role, team, manager, hours, password or access (admins)",
    )
    def change_person(
        user_id: UserId, body: UserUpdate, flow: FlowDep, user: AdminDep
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        return views.user(
            users.update_user(flow, principal=user.principal, user_id=user_id, changes=changes)
        )

    @api.get(
        "/tokens",
        response_model=list[TokenOut],
        summary="API tokens: your own (admins: everyone's)",
    )
    def tokens(flow: FlowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        rows = tokens_service.list_tokens(flow, principal=user.principal)
        return [
            {**r, **{k: views.when(r[k]) for k in ("created_at", "last_used_at", "revoked_at")}}
            for r in rows
        ]

    @api.post(
        "/tokens",
        response_model=TokenCreated,
        status_code=status.HTTP_201_CREATED,
        summary="A new API token for yourself; shown once",
    )
    def new_token(body: TokenCreate, flow: FlowDep, user: CurrentUserDep) -> dict[str, Any]:
        token_id, raw = tokens_service.issue_token(flow, principal=user.principal, name=body.name)
        return {"id": token_id, "name": body.name, "token": raw}

    @api.delete(
        "/tokens/{token_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Revoke an API token (your own; admins: any)",
    )
    def revoke(
        token_id: Annotated[int, Path(ge=1, le=MAX_ID)], flow: FlowDep, user: CurrentUserDep
    ) -> Response:
        tokens_service.revoke_token(flow, principal=user.principal, token_id=token_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.get(
        "/audit",
        response_model=list[AuditOut],
        summary="The whole audit trail, reads and sign-ins included (admins)",
    )
    def audit(
        flow: FlowDep,
        user: AdminDep,
        kind: Annotated[str | None, Query(pattern=NO_NUL, max_length=50)] = None,
        actor: Annotated[str | None, Query(pattern=NO_NUL, max_length=320)] = None,
        case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> list[dict[str, Any]]:
        rows = reads.audit_trail(
            flow,
            principal=user.principal,
            case_id=case_id,
            kind=kind,
            actor=actor,
            limit=limit,
            offset=offset,
        )
        return [views.audit(r) for r in rows]

    return api
