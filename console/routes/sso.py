"""Single sign-on pages: ask for the municipality, go to its identity provider, come back.

The entry form asks for the municipality's name and never lists tenants. The callback
accepts a person only if the provider's ``sub`` is linked to a caseworker of that
municipality, or links it once to the caseworker whose username equals the token's
``preferred_username`` (else ``email``); nobody is created. The provider does its own
multi-factor authentication, so no TOTP step follows. The per-attempt state is taken out
of the session on the first callback, so a callback URL cannot be replayed.
"""

from __future__ import annotations

import hmac
import logging
import time

import httpx
from quart import Blueprint, Response, redirect, request, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console.audit import Actor
from console.auth import csrf_valid
from console.oidc import Flow, Identity, OidcClient, SsoError, new_flow
from console.routes.signin import complete_sign_in, page, say
from console.services import Services, services
from console.store import CaseworkerRecord
from console.store.accounts import AccountStore, OidcProviderRecord
from console.store.models import MAX_ROW_ID

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__)
FLOW_KEY = "sso"
FLOW_MAX_AGE_S = 10 * 60
"""Time allowed at the provider's sign-in page."""
MAX_NAME = 200
STATUS = {"provider": 502, "token": 403, "state": 400, "person": 403, "setup": 404}


@bp.get("/login/sso")
async def entry() -> Response:
    """Ask which municipality's account to use."""
    return await page("sso.html")


@bp.post("/login/sso")
async def choose() -> Response:
    """Go on to the named municipality's provider.

    Answered with a page that moves on by script (and a link), not with a redirect: the
    CSP's ``form-action 'self'`` covers every redirect after a form post, so a redirect
    chain ending at the provider would be blocked by the browser.
    """
    svc = services()
    form = await request.form
    if not csrf_valid(session, form.get("csrf_token")):
        return await page("sso.html", 403, error=say("login.error.expired"))
    name = form.get("municipality", "").strip()[:MAX_NAME]
    muni = await AccountStore(svc.store.db).municipality_id(name) if name else None
    provider = await _provider(svc, muni)
    if provider is None:
        return await page("sso.html", 404, error=say("login.sso.error.setup"), municipality=name)
    return await page("sso_continue.html", target=f"/login/sso/{provider.municipality_id}")


@bp.get("/login/sso/<int:municipality_id>")
async def start(municipality_id: int) -> Response | WerkzeugResponse:
    """Send the browser to the provider's authorization endpoint."""
    svc = services()
    provider = await _provider(svc, municipality_id)
    if provider is None:
        return await page("sso.html", 404, error=say("login.sso.error.setup"))
    flow = new_flow()
    try:
        async with httpx.AsyncClient() as http:
            client = _client(http, provider)
            url = client.authorization_url(await client.discover(), flow, _redirect_uri())
    except SsoError as err:
        return await _failed(err)
    session[FLOW_KEY] = {
        "m": municipality_id,
        "state": flow.state,
        "nonce": flow.nonce,
        "verifier": flow.verifier,
        "at": int(time.time()),
    }
    return redirect(url, 303)


@bp.get("/login/sso/callback")
async def callback() -> Response | WerkzeugResponse:
    """Check state, redeem the code, verify the id_token, find the person, sign in."""
    svc = services()
    saved = session.pop(FLOW_KEY, None)
    try:
        municipality_id, flow = _flow(saved, request.args.get("state", ""))
        if request.args.get("error"):
            raise SsoError("provider", f"provider answered {request.args['error']!r}")
        provider = await _provider(svc, municipality_id)
        if provider is None:
            raise SsoError("setup", "single sign-on was switched off meanwhile")
        async with httpx.AsyncClient() as http:
            client = _client(http, provider)
            disc = await client.discover()
            code = request.args.get("code", "")
            identity = await client.redeem(disc, flow, code, _redirect_uri())
        record = await _person(svc, municipality_id, identity)
    except SsoError as err:
        return await _failed(err)
    complete_sign_in(svc, record, "sso")
    return redirect("/", 303)


def _flow(saved: object, state: str) -> tuple[int, Flow]:
    """The saved attempt if ``state`` is its state and it is recent enough."""
    if not isinstance(saved, dict) or not state:
        raise SsoError("state", "no single sign-on was started in this browser")
    try:
        municipality_id = int(saved["m"])
        flow = Flow(str(saved["state"]), str(saved["nonce"]), str(saved["verifier"]))
        started = float(saved["at"])
    except (KeyError, TypeError, ValueError) as err:
        raise SsoError("state", "damaged sign-on state") from err
    if not 0 <= time.time() - started < FLOW_MAX_AGE_S:
        raise SsoError("state", "the sign-on took too long")
    if not _same(flow.state, state):
        raise SsoError("state", "state does not match this browser's sign-on")
    return municipality_id, flow


async def _person(svc: Services, municipality_id: int, identity: Identity) -> CaseworkerRecord:
    """The linked caseworker, or the one linked now by username; refuses anyone else."""
    accounts = AccountStore(svc.store.db)
    found = await accounts.subject_owner(municipality_id, identity.subject)
    if found is None:
        for name in (identity.username, identity.email):
            if name and found is None:
                found = await accounts.link_subject(municipality_id, name, identity.subject)
        record = await svc.store.caseworker_by_id(found) if found is not None else None
        if record is not None:
            svc.audit.record(
                municipality_id,
                Actor("caseworker", str(record.id), record.display_name),
                "sso_linked",
                "caseworker",
                str(record.id),
            )
    else:
        record = await svc.store.caseworker_by_id(found)
    if record is None:
        raise SsoError("person", f"no caseworker for subject {identity.subject!r}")
    if not record.active:
        raise SsoError("person", f"caseworker {record.id} is inactive")
    return record


async def _provider(svc: Services, municipality_id: int | None) -> OidcProviderRecord | None:
    if municipality_id is None or not 1 <= municipality_id <= MAX_ROW_ID:
        return None  # no row has such an id; the database would refuse it as out of range
    found = await AccountStore(svc.store.db).provider(municipality_id)
    return found if found is not None and found.enabled else None


def _client(http: httpx.AsyncClient, provider: OidcProviderRecord) -> OidcClient:
    return OidcClient(http, provider.issuer, provider.client_id, provider.client_secret)


def _redirect_uri() -> str:
    """The callback URL on the host the browser used (register it at the provider).

    Secure cookies mean the console is served over https, also when a TLS-terminating
    proxy hands requests on over plain http, so the scheme is https then.
    """
    scheme = "https" if services().config.secure_cookies else request.scheme
    return f"{scheme}://{request.host}/login/sso/callback"


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def _failed(err: SsoError) -> Response:
    log.warning("single sign-on refused (%s): %s", err.reason, err.message)
    return await page(
        "sso.html", STATUS.get(err.reason, 403), error=say(f"login.sso.error.{err.reason}")
    )
