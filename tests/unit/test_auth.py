"""Bearer token checks: the tenant comes from `sub`; anything doubtful is refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from serve_app.auth import AuthError, TokenVerifier, issue_token
from serve_app.settings import AuthConfig

SECRET = "s" * 40
verifier = TokenVerifier(SECRET, AuthConfig())


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_valid_token_names_the_tenant():
    principal = verifier.verify(bearer(issue_token(SECRET, "acme")))
    assert (principal.subject, principal.admin, principal.scope) == ("acme", False, "acme")


def test_admin_role_sees_every_tenant():
    principal = verifier.verify(bearer(issue_token(SECRET, "ops", role="admin")))
    assert principal.admin and principal.scope is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic abc",
        "Bearer ",
        "Bearer not-a-jwt",
        bearer(issue_token("x" * 40, "acme")),  # signed with another key
        bearer(jwt.encode({"sub": "acme", "exp": int(time.time()) - 60}, SECRET, algorithm="HS256")),
        bearer(jwt.encode({"sub": "acme"}, SECRET, algorithm="HS256")),  # no exp
        bearer(jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256")),  # no sub
    ],
)
def test_bad_tokens_are_refused(header):
    with pytest.raises(AuthError):
        verifier.verify(header)


def test_alg_none_is_refused():
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': 'acme', 'exp': int(time.time()) + 60})}."
    with pytest.raises(AuthError):
        verifier.verify(bearer(token))


def test_exp_can_be_made_optional():
    lenient = TokenVerifier(SECRET, AuthConfig(require_exp=False))
    token = jwt.encode({"sub": "acme"}, SECRET, algorithm="HS256")
    assert lenient.verify(bearer(token)).subject == "acme"


def test_audience_and_issuer_when_configured():
    strict = TokenVerifier(SECRET, AuthConfig(audience="docseg", issuer="idp"))
    good = issue_token(SECRET, "acme", audience="docseg", issuer="idp")
    assert strict.verify(bearer(good)).subject == "acme"
    with pytest.raises(AuthError):
        strict.verify(bearer(issue_token(SECRET, "acme", audience="other", issuer="idp")))
    with pytest.raises(AuthError):
        strict.verify(bearer(issue_token(SECRET, "acme", audience="docseg")))
