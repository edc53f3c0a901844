"""Bearer tokens: HS256 JWTs whose `sub` is the tenant; `role: admin` sees every tenant."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from serve_app.settings import AuthConfig

ALGORITHM = "HS256"
ADMIN_ROLE = "admin"


class AuthError(Exception):
    """The request carries no valid token; the message says why (safe to show)."""


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    admin: bool = False

    @property
    def scope(self) -> str | None:
        """The tenant whose data this caller may see; None for an admin, who sees all."""
        return None if self.admin else self.subject


class TokenVerifier:
    def __init__(self, secret: str, config: AuthConfig) -> None:
        self._secret = secret
        self._config = config

    def verify(self, authorization: str | None) -> Principal:
        """The caller named by an `Authorization: Bearer <jwt>` header, or AuthError."""
        if not authorization:
            raise AuthError("missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer <token>'")
        required = ["sub", "exp"] if self._config.require_exp else ["sub"]
        try:
            claims = jwt.decode(
                token.strip(), self._secret, algorithms=[ALGORITHM],
                audience=self._config.audience, issuer=self._config.issuer,
                leeway=self._config.leeway_seconds, options={"require": required},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise AuthError("invalid token: `sub` must be a non-empty string")
        return Principal(subject=subject, admin=claims.get("role") == ADMIN_ROLE)


def issue_token(
    secret: str,
    subject: str,
    ttl_seconds: int = 3600,
    role: str | None = None,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {"sub": subject, "iat": now, "exp": now + ttl_seconds}
    if role:
        claims["role"] = role
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
