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


def hand_signed(header: dict, claims: dict, key: bytes, digest) -> str:
    """A JWT signed by hand, as an attacker would (PyJWT itself refuses to make some of these)."""
    import hashlib
    import hmac

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = hmac.new(key, signing_input.encode(), getattr(hashlib, digest)).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_algorithm_confusion_is_refused():
    """Only HS256 with our secret: an RS256 token (the attacker's key pair), HS512 with the right
    secret, or a token keyed with a public key and labelled HS256 or RS256, are all refused."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"sub": "acme", "exp": int(time.time()) + 60}
    for token in (
        jwt.encode(claims, key, algorithm="RS256"),
        hand_signed({"alg": "HS512", "typ": "JWT"}, claims, SECRET.encode(), "sha512"),
        hand_signed({"alg": "HS256", "typ": "JWT"}, claims, public_pem, "sha256"),
        hand_signed({"alg": "RS256", "typ": "JWT"}, claims, public_pem, "sha256"),
    ):
        with pytest.raises(AuthError):
            verifier.verify(bearer(token))
    assert verifier.verify(bearer(hand_signed({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode(), "sha256")))
