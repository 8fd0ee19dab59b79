"""OpenID Connect single sign-on against a municipality's own identity provider.

Authorization code flow with PKCE (RFC 7636, S256), ``state`` against login CSRF and
``nonce`` against id_token replay, all three random per attempt and kept in the signed
session cookie. The provider's endpoints come from its discovery document, whose
``issuer`` must equal the configured one (OpenID Connect Discovery 1.0, section 4.3). The
id_token is verified as OpenID Connect Core 1.0 section 3.1.3.7 asks: signature by a key
of the provider's JWKS with an asymmetric algorithm (never ``none`` or HMAC), ``iss``,
``aud`` (and ``azp`` when there are several audiences), ``exp``, ``iat`` and ``nonce``.

The client secret travels to the token endpoint, so provider URLs must be https; plain
http is accepted only on loopback, for tests and a provider on the same machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from console.config import LOOPBACK_HOSTS
from console.errors import ConsoleError, InvalidInputError

ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
LEEWAY_S = 60
"""Clock skew tolerated on exp and iat."""
SCOPE = "openid profile email"
TIMEOUT_S = 10.0


class SsoError(ConsoleError):
    """Single sign-on failed; ``reason`` selects the message shown to the person."""

    code = "sso_failed"
    status = 403

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Discovery:
    """The parts of a provider's discovery document the console uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    basic_auth: bool


@dataclass(frozen=True)
class Flow:
    """The per-attempt secrets: state, nonce and the PKCE verifier."""

    state: str
    nonce: str
    verifier: str

    @property
    def challenge(self) -> str:
        """The S256 code challenge of the verifier."""
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    username: str | None
    email: str | None


def new_flow() -> Flow:
    """Fresh random state, nonce and verifier (256 bits each)."""
    return Flow(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48))


def check_provider_url(url: str) -> str:
    """``url`` if it is https (or http on loopback); InvalidInputError otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise InvalidInputError(f"{url!r} is not an https URL")


class OidcClient:
    """Talks to one identity provider over an httpx client passed in."""

    def __init__(self, http: httpx.AsyncClient, issuer: str, client_id: str, secret: str) -> None:
        self._http = http
        self.issuer = issuer
        self.client_id = client_id
        self._secret = secret

    async def discover(self) -> Discovery:
        """Fetch and check the discovery document."""
        url = check_provider_url(self.issuer).rstrip("/") + "/.well-known/openid-configuration"
        doc = await self._json("provider", "GET", url)
        try:
            found = Discovery(
                issuer=str(doc["issuer"]),
                authorization_endpoint=check_provider_url(str(doc["authorization_endpoint"])),
                token_endpoint=check_provider_url(str(doc["token_endpoint"])),
                jwks_uri=check_provider_url(str(doc["jwks_uri"])),
                basic_auth="client_secret_basic"
                in doc.get("token_endpoint_auth_methods_supported", ["client_secret_basic"]),
            )
        except (KeyError, TypeError, AttributeError, InvalidInputError) as err:
            raise SsoError("provider", f"unusable discovery document: {err}") from err
        if found.issuer != self.issuer:
            raise SsoError("provider", f"discovery names issuer {found.issuer!r}")
        return found

    def authorization_url(self, disc: Discovery, flow: Flow, redirect_uri: str) -> str:
        """Where to send the browser to sign in."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPE,
                "state": flow.state,
                "nonce": flow.nonce,
                "code_challenge": flow.challenge,
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in disc.authorization_endpoint else "?"
        return disc.authorization_endpoint + separator + query

    async def redeem(self, disc: Discovery, flow: Flow, code: str, redirect_uri: str) -> Identity:
        """Exchange the code for tokens and verify the id_token."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": flow.verifier,
        }
        auth: tuple[str, str] | None = None
        if disc.basic_auth:  # RFC 6749 2.3.1: form-encode both parts before Basic
            auth = (_form_quote(self.client_id), _form_quote(self._secret))
        else:
            form.update(client_id=self.client_id, client_secret=self._secret)
        tokens = await self._json("token", "POST", disc.token_endpoint, data=form, auth=auth)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SsoError("token", "the token response has no id_token")
        return await self.verify(disc, id_token, flow.nonce)

    async def verify(self, disc: Discovery, id_token: str, nonce: str) -> Identity:
        """Check the id_token's signature and claims; the identity it names."""
        jwks = await self._json("token", "GET", disc.jwks_uri)
        try:
            header = jwt.get_unverified_header(id_token)
            alg = header.get("alg")
            if alg not in ALGORITHMS:
                raise SsoError("token", f"id_token algorithm {alg!r} is not allowed")
            key = _signing_key(jwt.PyJWKSet.from_dict(jwks), header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as err:
            raise SsoError("token", f"id_token refused: {err}") from err
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise SsoError("token", "id_token azp is not this console")
        if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
            raise SsoError("token", "id_token nonce does not match this sign-in")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise SsoError("token", "id_token has no usable sub")
        username, email = claims.get("preferred_username"), claims.get("email")
        return Identity(
            subject=subject,
            username=username if isinstance(username, str) and username else None,
            email=email if isinstance(email, str) and email else None,
        )

    async def _json(self, reason: str, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            resp = await self._http.request(method, url, timeout=TIMEOUT_S, **kwargs)
            resp.raise_for_status()
            doc = resp.json()
        except (httpx.HTTPError, ValueError) as err:
            raise SsoError(reason, f"{method} {url} failed: {err}") from err
        if not isinstance(doc, dict):
            raise SsoError(reason, f"{url} did not answer a JSON object")
        return doc


def _signing_key(keys: jwt.PyJWKSet, kid: object) -> Any:
    """The JWKS key named by ``kid``; without ``kid`` only a single-key set is unambiguous."""
    usable = [k for k in keys.keys if k.public_key_use in (None, "sig")]
    if kid is not None:
        usable = [k for k in usable if k.key_id == kid]
    if len(usable) != 1:
        raise SsoError("token", f"no unique signing key for kid {kid!r}")
    return usable[0].key


def _form_quote(text: str) -> str:
    return urlencode({"x": text})[2:]
