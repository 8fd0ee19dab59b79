"""The kiosk lockdown, tried in Debian's real Chromium under the image's managed policy.

Two kinds of launch, each in its own mount namespace (tests/deploy/kiosk_chromium.py):

- Without automation: Chromium is started as the kiosk unit starts it, with the policy
  file exactly as shipped (only the port moved to the test server), and the test page
  tries everything itself and reports back over HTTP. The same run without the policy is
  the control: it shows each attempt would succeed there, so the test cannot pass for a
  reason other than the policy. This is also the only honest way to test downloads:
  Playwright's DevTools download handling bypasses DownloadRestrictions.
- With Playwright clicking (the policy without the two entries that switch off the
  DevTools protocol Playwright needs): links and pop-ups out of the kiosk origin and
  browser-internal pages, which need a user's click.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.kiosk_chromium import (
    BLOCKS_AUTOMATION,
    LocalSite,
    attachment,
    html,
    in_namespace,
    launcher,
    load_policy,
    on_port,
    policy_root,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "deploy"

# What the kiosk page could try on its own, without a user's touch: camera and microphone,
# a pop-up, a download, then leaving for another origin. The results go back to the kiosk
# origin before the page tries to leave.
SELF_TEST = """<!doctype html><html lang="en"><title>kiosk</title><body><script>
(async () => {
  const r = {};
  r.camera = (await navigator.permissions.query({name: 'camera'})).state;
  r.microphone = (await navigator.permissions.query({name: 'microphone'})).state;
  try {
    await navigator.mediaDevices.getUserMedia({video: true, audio: true});
    r.capture = 'granted';
  } catch (err) { r.capture = err.name; }
  r.popup = window.open('/popup') === null ? 'blocked' : 'opened';
  const a = document.createElement('a');
  a.href = '/form.pdf'; a.download = 'form.pdf'; document.body.append(a); a.click();
  await fetch('/report', {method: 'POST', body: JSON.stringify(r)});
  setTimeout(() => { location.href = 'OTHER/'; }, 200);
})();
</script>"""


@dataclass
class Outcome:
    """What one automation-free launch did."""

    report: dict[str, Any]
    kiosk_requests: list[str]
    other_requests: list[str]
    downloads: list[str]
    devtools: bool
    stderr: str = field(repr=False)


def run_self_test(tmp: Path, policy: bool, *, expect_escape: bool) -> Outcome:
    """Start chromium like the kiosk unit on SELF_TEST; with or without the image's policy."""
    other = LocalSite("127.0.0.2", {"/": html("<title>other origin</title>")})
    kiosk = LocalSite("127.0.0.1", {"/form.pdf": attachment(), "/popup": html("<p>popup")})
    kiosk.pages["/"] = html(SELF_TEST.replace("OTHER", other.origin))
    etc = policy_root(tmp, on_port(load_policy(), kiosk.port) if policy else None)
    home = tmp / "home"
    home.mkdir()
    profile = tmp / "profile"
    command = [
        *in_namespace(etc),
        "--headless",
        "--no-sandbox",  # the container has no user namespaces for the sandbox
        "--use-fake-device-for-media-stream",  # a camera exists, so only policy can refuse
        "--remote-debugging-port=0",  # what someone with a keyboard or a USB stick might try
        f"--user-data-dir={profile}",
        f"{kiosk.origin}/",
    ]
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        reported = kiosk.wait_for(lambda s: bool(s.posted), timeout=30)
        assert reported, "the test page never reported"
        if expect_escape:  # the control: wait for what the policy would have stopped
            other.wait_for(lambda s: bool(s.requests), timeout=15)
            deadline = time.monotonic() + 15
            while not list(home.glob("Downloads/*")) and time.monotonic() < deadline:
                time.sleep(0.1)
        else:  # nothing to wait for: give the attempts the time the control needed, twice
            kiosk.wait_for(lambda s: "/form.pdf" in s.requests, timeout=15)
            time.sleep(2.0)
        downloads = [p.name for p in home.rglob("*") if p.is_file() and "Downloads" in p.parts]
        devtools = (profile / "DevToolsActivePort").exists()
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        kiosk.close()
        other.close()
    return Outcome(
        report=kiosk.posted[0],
        kiosk_requests=list(kiosk.requests),
        other_requests=list(other.requests),
        downloads=downloads,
        devtools=devtools,
        stderr=stderr,
    )


def test_without_the_policy_every_escape_works(tmp_path: Path) -> None:
    """The control: the attempts of SELF_TEST succeed in a Chromium without the policy."""
    out = run_self_test(tmp_path, policy=False, expect_escape=True)
    assert out.report["camera"] == "prompt", out.report
    assert out.report["microphone"] == "prompt", out.report
    assert out.other_requests, "the page could not leave for the other origin"
    assert out.downloads, "the download did not start"
    assert out.devtools, "remote debugging did not open"


def test_the_policy_locks_the_kiosk_page_in(tmp_path: Path) -> None:
    """The shipped policy: no capture, pop-up, download, other origin or remote debugging."""
    out = run_self_test(tmp_path, policy=True, expect_escape=False)
    assert out.report == {
        "camera": "denied",
        "microphone": "denied",
        "capture": "NotAllowedError",
        "popup": "blocked",
    }
    assert "/form.pdf" in out.kiosk_requests  # the download was tried ...
    assert out.downloads == []  # ... and refused
    assert "/popup" not in out.kiosk_requests
    assert out.other_requests == []  # never even asked
    assert not out.devtools
    assert "remote debugging is disallowed" in out.stderr


@pytest.fixture
def clicking(tmp_path: Path) -> Any:
    """Playwright on a chromium with the policy (minus BLOCKS_AUTOMATION) and two sites."""
    from playwright.sync_api import sync_playwright

    other = LocalSite("127.0.0.2", {"/": html("<title>other origin</title>")})
    kiosk = LocalSite("127.0.0.1", {"/next/page": html("<title>deeper</title>")})
    kiosk.pages["/"] = html(
        f"""<!doctype html><html lang="de"><title>kiosk</title>
        <a id="out" href="{other.origin}/">out</a>
        <a id="tab" target="_blank" href="{other.origin}/">new tab</a>
        <button id="open" onclick="window.open('{other.origin}/')">open</button>"""
    )
    policy = {k: v for k, v in load_policy().items() if k not in BLOCKS_AUTOMATION}
    etc = policy_root(tmp_path, on_port(policy, kiosk.port))
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=str(launcher(tmp_path, etc)),
                args=["--no-sandbox"],
                # Playwright turns the pop-up blocker off by default; the kiosk has it on.
                ignore_default_args=["--disable-popup-blocking"],
                viewport={"width": 1280, "height": 800},
            )
            try:
                yield context, kiosk, other
            finally:
                context.close()
    finally:
        kiosk.close()
        other.close()


def test_clicks_cannot_leave_the_kiosk_origin(clicking: Any) -> None:
    """Links, new tabs, pop-ups and internal pages all end blocked; the other site never hears."""
    context, kiosk, other = clicking
    page = context.pages[0]
    page.goto(f"{kiosk.origin}/next/page")  # the whole kiosk origin is allowed
    assert page.title() == "deeper"

    for url in (
        f"{other.origin}/",
        "chrome://settings",
        "chrome://history",
        "chrome://downloads",
        "chrome://policy",
        "chrome-untrusted://terminal/",
        "file:///etc/passwd",
        "data:text/html,<h1>hi</h1>",
        f"view-source:{kiosk.origin}/",
    ):
        page.goto(f"{kiosk.origin}/")
        with pytest.raises(Exception, match="ERR_BLOCKED_BY_ADMINISTRATOR"):
            page.goto(url)
        page.wait_for_url("chrome-error://**", timeout=10_000)  # the blocked page commits

    page.goto(f"{kiosk.origin}/")
    page.click("#out")
    page.wait_for_url("chrome-error://**", timeout=10_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kiosk-blocked-navigation.png"))

    for selector in ("#tab", "#open"):
        page.goto(f"{kiosk.origin}/")
        with context.expect_page(timeout=10_000) as opened:
            page.click(selector)
        popup = opened.value
        popup.wait_for_url("chrome-error://**", timeout=10_000)
        popup.close()
    assert other.requests == []
