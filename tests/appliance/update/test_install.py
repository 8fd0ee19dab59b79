"""bt-update install and request-watch against a real HTTPS server; rauc is a fake runner."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from appliance.update.boot import BootInfo
from appliance.update.cli import main
from appliance.update.download import ssl_context
from appliance.update.errors import DownloadError, InstallError
from appliance.update.install import UpdatePaths, default_installer, install, watch
from appliance.update.runner import CommandResult
from tests.appliance.update.https_server import Pki, Server, https_server, make_pki

BODY = bytes(range(256)) * 400  # 100 KiB: several read chunks
DIGEST = hashlib.sha256(BODY).hexdigest()
REBOOT = ["systemctl", "reboot", "--reboot-argument=0 tryboot"]


class FakeRauc:
    """Records commands; at ``rauc install`` checks the bundle on disk is the served one."""

    def __init__(self, install_rc: int = 0) -> None:
        self.install_rc = install_rc
        self.commands: list[list[str]] = []
        self.installed: list[bytes] = []

    def __call__(self, argv: Sequence[str]) -> CommandResult:
        command = list(argv)
        self.commands.append(command)
        if command[:2] == ["rauc", "install"]:
            self.installed.append(Path(command[2]).read_bytes())
            if self.install_rc:
                return CommandResult(self.install_rc, "", "rauc: signature verification failed\n")
        return CommandResult(0, "", "")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def server(pki: Pki) -> Iterator[Server]:
    with https_server(pki, BODY) as running:
        yield running


@pytest.fixture
def paths(tmp_path: Path, pki: Pki) -> UpdatePaths:
    return UpdatePaths(update_dir=tmp_path / "update", ca_file=pki.ca)


def leftovers(paths: UpdatePaths) -> list[str]:
    return sorted(p.name for p in paths.update_dir.iterdir() if p.name.startswith("bundle"))


def test_good_download_is_installed_then_rebooted_into_tryboot(
    server: Server, paths: UpdatePaths
) -> None:
    rauc = FakeRauc()
    install(f"{server.base}/bundle.raucb", runner=rauc, paths=paths, sha256=DIGEST.upper())
    assert rauc.installed == [BODY]
    assert rauc.commands == [["rauc", "install", str(paths.bundle)], REBOOT]
    assert leftovers(paths) == []  # the bundle is gone after rauc install


def test_https_redirects_are_followed(server: Server, paths: UpdatePaths) -> None:
    rauc = FakeRauc()
    install(f"{server.base}/to-https", runner=rauc, paths=paths, reboot=False)
    assert rauc.installed == [BODY]
    assert rauc.commands == [["rauc", "install", str(paths.bundle)]]


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/bundle.raucb", {"sha256": "0" * 64}, "checksum mismatch"),
        ("/bundle.raucb", {"sha256": "xyz"}, "not a SHA-256"),
        ("/bundle.raucb", {"max_bytes": 50_000}, "more than the limit of 50000"),
        ("/nolength", {"max_bytes": 50_000}, "exceeds the limit of 50000"),
        ("/cut", {}, f"connection closed after {len(BODY) // 2} of {len(BODY) * 10} bytes"),
        ("/to-http", {}, "only https://"),
        ("/missing", {}, "server answered 404"),
    ],
)
def test_failed_downloads_leave_nothing_and_install_nothing(
    server: Server, paths: UpdatePaths, path: str, kwargs: dict[str, object], message: str
) -> None:
    rauc = FakeRauc()
    with pytest.raises(DownloadError, match=message):
        install(f"{server.base}{path}", runner=rauc, paths=paths, **kwargs)  # type: ignore[arg-type]
    assert rauc.commands == []
    assert leftovers(paths) == []


def test_server_gone_mid_download_leaves_no_partial(pki: Pki, paths: UpdatePaths) -> None:
    with https_server(pki, BODY) as running:
        url = f"{running.base}/cut"
        rauc = FakeRauc()
        with pytest.raises(DownloadError, match="connection closed"):
            install(url, runner=rauc, paths=paths)
        base = running.base
    with pytest.raises(DownloadError, match="cannot reach"):  # and now it is gone entirely
        install(f"{base}/bundle.raucb", runner=rauc, paths=paths)
    assert leftovers(paths) == []
    assert rauc.commands == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8443/bundle.raucb", "ftp://example.org/b.raucb", "https:///nohost"]
)
def test_anything_but_https_is_refused_before_connecting(paths: UpdatePaths, url: str) -> None:
    with pytest.raises(DownloadError, match="only https://"):
        install(url, runner=FakeRauc(), paths=paths)


def test_an_unknown_ca_is_not_trusted(server: Server, paths: UpdatePaths, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other", "Some Other CA")
    untrusted = UpdatePaths(update_dir=paths.update_dir, ca_file=other.ca)
    with pytest.raises(DownloadError, match="CERTIFICATE_VERIFY_FAILED"):
        install(f"{server.base}/bundle.raucb", runner=FakeRauc(), paths=untrusted)
    with pytest.raises(DownloadError, match="CERTIFICATE_VERIFY_FAILED"):  # system CAs only
        install(
            f"{server.base}/bundle.raucb",
            runner=FakeRauc(),
            paths=paths,
            context=ssl_context(None),
        )
    assert leftovers(paths) == []


def test_rauc_refusing_the_bundle_is_reported_and_no_reboot(
    server: Server, paths: UpdatePaths
) -> None:
    rauc = FakeRauc(install_rc=1)
    with pytest.raises(InstallError, match="signature verification failed"):
        install(f"{server.base}/bundle.raucb", runner=rauc, paths=paths)
    assert REBOOT not in rauc.commands
    assert leftovers(paths) == []


def write_request(paths: UpdatePaths, **fields: object) -> None:
    paths.update_dir.mkdir(parents=True, exist_ok=True)
    paths.request.write_text(json.dumps(fields))


def last(paths: UpdatePaths) -> dict[str, object]:
    data = json.loads(paths.last.read_text())
    assert isinstance(data, dict)
    return data


NORMAL = BootInfo(partition=2, tryboot=False)


def test_request_watch_installs_once_per_request(server: Server, paths: UpdatePaths) -> None:
    rauc = FakeRauc()
    installer = default_installer(paths, rauc)
    assert watch(paths, boot=NORMAL, installer=installer, runner=rauc) == "no-request"

    write_request(paths, url=f"{server.base}/bundle.raucb", sha256=DIGEST, version="0.2.0")
    assert watch(paths, boot=NORMAL, installer=installer, runner=rauc) == "installed"
    assert rauc.commands == [["rauc", "install", str(paths.bundle)], REBOOT]
    assert last(paths)["outcome"] == "installed" and last(paths)["version"] == "0.2.0"

    assert watch(paths, boot=NORMAL, installer=installer, runner=rauc) == "already-handled"
    assert len(rauc.commands) == 2

    write_request(paths, url=f"{server.base}/bundle.raucb", sha256="0" * 64, version="0.3.0")
    with pytest.raises(DownloadError, match="checksum mismatch"):
        watch(paths, boot=NORMAL, installer=installer, runner=rauc)
    assert last(paths)["outcome"] == "failed"
    assert "checksum mismatch" in str(last(paths)["error"])
    assert watch(paths, boot=NORMAL, installer=installer, runner=rauc) == "already-handled"
    assert len(rauc.commands) == 2


def _confirm_record(paths: UpdatePaths, slot: str, outcome: str, boot_id: str) -> None:
    paths.update_dir.mkdir(parents=True, exist_ok=True)
    paths.confirm_record.write_text(
        json.dumps({"slot": slot, "boot_id": boot_id, "outcome": outcome})
    )


@pytest.mark.parametrize(
    "record",
    [
        None,  # confirm has not decided yet
        ("B", "bad", "boot-2"),
        ("B", "good", "boot-1"),  # an earlier try boot of B
        ("A", "good", "boot-2"),
    ],
)
def test_request_watch_waits_during_an_unconfirmed_try_boot(
    server: Server, paths: UpdatePaths, record: tuple[str, str, str] | None
) -> None:
    rauc = FakeRauc()
    write_request(paths, url=f"{server.base}/bundle.raucb")
    if record is not None:
        _confirm_record(paths, *record)
    try_boot = BootInfo(partition=3, tryboot=True)
    installer = default_installer(paths, rauc)
    outcome = watch(paths, boot=try_boot, installer=installer, runner=rauc, boot_id="boot-2")
    assert outcome == "deferred"
    assert rauc.commands == []
    assert not paths.last.exists()


def test_request_watch_installs_once_this_try_boot_is_confirmed(
    server: Server, paths: UpdatePaths
) -> None:
    # A terminal runs for weeks after a confirmed update: the next one must not wait for a reboot.
    rauc = FakeRauc()
    write_request(paths, url=f"{server.base}/bundle.raucb")
    _confirm_record(paths, "B", "good", "boot-2")
    try_boot = BootInfo(partition=3, tryboot=True)
    installer = default_installer(paths, rauc)
    outcome = watch(paths, boot=try_boot, installer=installer, runner=rauc, boot_id="boot-2")
    assert outcome == "installed"
    assert last(paths)["outcome"] == "installed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"sha256": "ab"}', '"url" string'),
        ('{"url": "http://127.0.0.1/b.raucb"}', "only https://"),
        ('{"url": "https://x.example/b", "version": 3}', '"version" must be a string'),
    ],
)
def test_bad_requests_are_rejected_once(paths: UpdatePaths, content: str, message: str) -> None:
    rauc = FakeRauc()
    paths.update_dir.mkdir(parents=True)
    paths.request.write_text(content)
    with pytest.raises(InstallError if "https" not in message else DownloadError, match=message):
        watch(paths, boot=NORMAL, installer=default_installer(paths, rauc), runner=rauc)
    assert last(paths)["outcome"] == "rejected"
    assert watch(paths, boot=NORMAL, installer=default_installer(paths, rauc), runner=rauc) == (
        "already-handled"
    )
    assert rauc.commands == []


def test_request_through_a_symlink_is_refused(paths: UpdatePaths, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text('{"url": "https://x.example/b"}')
    paths.update_dir.mkdir(parents=True)
    paths.request.symlink_to(secret)
    with pytest.raises(InstallError, match="cannot read"):
        watch(paths, boot=NORMAL, installer=default_installer(paths, FakeRauc()), runner=FakeRauc())


def test_cli_refuses_http_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status = main(["--update-dir", str(tmp_path / "u"), "install", "http://127.0.0.1/b.raucb"])
    assert status == 1
    err = capsys.readouterr().err
    assert "bt-update: refusing 'http://127.0.0.1/b.raucb'" in err
    assert "Traceback" not in err
