"""A small OpenID Connect identity provider for the console's SSO tests, run as its own process.

It serves what a real provider serves for the authorization code flow: discovery, a JWKS,
``/authorize`` (which signs in a configured user without asking and redirects back with a
code) and ``/token`` (which checks client credentials, the redirect URI, the code's single
use and the PKCE verifier, and returns an RS256-signed id_token). Tests steer it through
``POST /control`` (JSON): ``user`` (claims of the person who "signs in") and ``tamper``
(one of the ways a hostile or broken provider could answer: ``nonce``, ``issuer``,
``audience``, ``signature``, ``expired``, ``alg_none``, ``hs256``, ``state``, ``error``).
``GET /control`` reports the token requests it saw.

Run: ``python -m tests.console.oidc_provider --client-id ID --client-secret S``; the first
line on stdout is ``listening http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class Provider:
    """The provider's state: keys, clients, codes, the configured user and tampering."""

    def __init__(self, issuer: str, client_id: str, client_secret: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user: dict[str, Any] = {"sub": "subject-1", "preferred_username": "alice"}
        self.tamper: str | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        public.update(kid="k1", use="sig", alg="RS256")
        return {"keys": [public]}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.user,
        }
        key: Any = self.key
        alg = "RS256"
        if self.tamper == "nonce":
            claims["nonce"] = "some-other-nonce"
        elif self.tamper == "issuer":
            claims["iss"] = "http://evil.example"
        elif self.tamper == "audience":
            claims["aud"] = "another-client"
        elif self.tamper == "expired":
            claims.update(iat=now - 3600, exp=now - 1800)
        elif self.tamper == "signature":
            key = self.rogue
        elif self.tamper == "hs256":  # the classic key-confusion attack: HMAC with the secret
            key, alg = self.client_secret, "HS256"
        if self.tamper == "alg_none":
            header = _b64({"alg": "none", "typ": "JWT", "kid": "k1"})
            return f"{header}.{_b64(claims)}."
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": "k1"})


def _b64(value: dict[str, Any]) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, url: str) -> None:
            self.send_response(302)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                self._authorize({k: v[0] for k, v in parse_qs(parts.query).items()})
            elif parts.path == "/control":
                with provider.lock:
                    self._json(200, {"token_requests": provider.log})
            else:
                self._json(404, {"error": "not_found"})

        def _authorize(self, q: dict[str, str]) -> None:
            if q.get("client_id") != provider.client_id or q.get("response_type") != "code":
                self._json(400, {"error": "invalid_request"})
                return
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                self._json(400, {"error": "invalid_request", "detail": "PKCE S256 required"})
                return
            back = q["redirect_uri"]
            if provider.tamper == "error":
                self._redirect(back + "?" + urlencode({"error": "access_denied", **_st(q)}))
                return
            code = secrets.token_urlsafe(16)
            with provider.lock:
                provider.codes[code] = {
                    "nonce": q.get("nonce", ""),
                    "challenge": q["code_challenge"],
                    "redirect_uri": back,
                }
            state = "forged-state" if provider.tamper == "state" else q.get("state", "")
            self._redirect(back + "?" + urlencode({"code": code, "state": state}))

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path == "/control":
                body = json.loads(self._body() or b"{}")
                with provider.lock:
                    if "user" in body:
                        provider.user = body["user"]
                    provider.tamper = body.get("tamper")
                self._json(200, {"ok": True})
            elif path == "/token":
                self._token({k: v[0] for k, v in parse_qs(self._body().decode()).items()})
            else:
                self._json(404, {"error": "not_found"})

        def _token(self, form: dict[str, str]) -> None:
            expected = base64.b64encode(
                f"{provider.client_id}:{provider.client_secret}".encode()
            ).decode()
            auth_ok = hmac.compare_digest(
                self.headers.get("Authorization", ""), f"Basic {expected}"
            )
            with provider.lock:
                grant = provider.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            entry = {
                "auth_ok": auth_ok,
                "code_ok": grant is not None,
                "pkce_ok": grant is not None and grant["challenge"] == challenge,
                "redirect_ok": grant is not None
                and grant["redirect_uri"] == form.get("redirect_uri"),
            }
            with provider.lock:
                provider.log.append(entry)
            if not auth_ok:
                self._json(401, {"error": "invalid_client"})
            elif grant is None or not all(entry.values()):
                self._json(400, {"error": "invalid_grant"})
            else:
                token = provider.id_token(grant["nonce"])
                self._json(
                    200, {"access_token": "opaque", "token_type": "Bearer", "id_token": token}
                )

    return Handler


def _st(q: dict[str, str]) -> dict[str, str]:
    return {"state": q.get("state", "")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    server.RequestHandlerClass = make_handler(Provider(issuer, args.client_id, args.client_secret))
    print(f"listening {issuer}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
