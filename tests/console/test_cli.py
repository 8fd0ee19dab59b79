"""The bt-console CLI, run in-process against a temporary data directory (and, for the
database commands, a fresh PostgreSQL database named by ``BT_CONSOLE_DATABASE_URL``)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from console import enroll
from console.__main__ import main
from console.config import load_config
from console.enroll import hash_code, new_terminal_id
from console.store import Database, Store

CODE_RE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


@pytest.fixture
def data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, empty_database_url: str
) -> Path:
    monkeypatch.setenv("BT_CONSOLE_DATA_DIR", str(tmp_path))
    if backend != "sqlite":  # with a password (the test server trusts local connections)
        url = empty_database_url.replace("bt_console@", "bt_console:geheim-123@")
        monkeypatch.setenv("BT_CONSOLE_DATABASE_URL", url)
    monkeypatch.delenv("BT_PASSWORD", raising=False)
    return tmp_path


@pytest.mark.both_backends
def test_setup_commands(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0  # again: nothing to do
    said = capsys.readouterr().err
    assert "is up to date" in said and "geheim" not in said
    assert (data_dir / "console.db").exists() == ("BT_CONSOLE_DATABASE_URL" not in os.environ)
    assert main(["add-municipality", "Aldorf"]) == 0
    monkeypatch.setenv("BT_PASSWORD", "lang-genug")
    assert main(["add-caseworker", "--municipality", "Aldorf", "alice", "--display-name", "A"]) == 0
    monkeypatch.delenv("BT_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO("auch-lang-genug\n"))
    assert main(["add-caseworker", "--municipality", "Aldorf", "--password-stdin", "anton"]) == 0
    capsys.readouterr()
    assert main(["add-terminal", "--municipality", "Aldorf", "Rathaus"]) == 0
    out = capsys.readouterr()
    code = out.out.strip()
    assert out.out == code + "\n" and CODE_RE.match(code), out.out
    assert "Rathaus" in out.err
    terminal_id = re.search(r"id (\S+)\)", out.err).group(1)  # type: ignore[union-attr]
    assert main(["new-code", terminal_id, "--code-ttl-hours", "1"]) == 0
    new_code = capsys.readouterr().out.strip()
    assert CODE_RE.match(new_code) and new_code != code

    async def check() -> None:
        db = Database.open(load_config(env=dict(os.environ)).url)
        store = Store(db)
        alice = await store.caseworker_by_username("alice")
        assert alice is not None and alice.display_name == "A"
        assert alice.password_hash.startswith("$argon2id$")
        anton = await store.caseworker_by_username("anton")
        assert anton is not None and anton.display_name == "anton"
        async with db.session() as s:
            from console.store.models import EnrollmentCode

            assert await s.get(EnrollmentCode, hash_code(code)) is None  # replaced
            assert await s.get(EnrollmentCode, hash_code(new_code)) is not None
        await db.close()

    import asyncio

    asyncio.run(check())


def test_terminal_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leading '-' made ``bt-console new-code ID`` read the id as an option (1 id in 64)."""
    ids = [new_terminal_id() for _ in range(2000)]  # the old ids: 31 expected with a '-'
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids) and all(len(i) == 12 and "." not in i for i in ids)
    drawn = iter(["-dashFirst12", "Plain-id_123"])
    monkeypatch.setattr(enroll.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert new_terminal_id() == "Plain-id_123"


def test_new_code_for_an_older_id_starting_with_a_dash(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ids made before they avoided a leading '-' still get codes: ``new-code -- ID``."""
    assert main(["migrate"]) == 0
    assert main(["add-municipality", "Aldorf"]) == 0
    monkeypatch.setattr(enroll, "new_terminal_id", lambda: "-old-id_1234")
    assert main(["add-terminal", "--municipality", "Aldorf", "Rathaus"]) == 0
    assert "(id -old-id_1234)" in capsys.readouterr().err
    assert main(["new-code", "--code-ttl-hours", "1", "--", "-old-id_1234"]) == 0
    assert CODE_RE.match(capsys.readouterr().out.strip())
    with pytest.raises(SystemExit) as usage:  # without '--' argparse takes it for an option
        main(["new-code", "-old-id_1234"])
    assert usage.value.code == 2
    assert "new-code -- ID" in _help(capsys, ["new-code", "--help"])


def _help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(argv)
    return capsys.readouterr().out


@pytest.mark.both_backends
def test_errors_are_one_line_and_exit_2(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add-terminal", "--municipality", "Nirgendwo", "X"]) == 2
    err = capsys.readouterr()
    assert err.out == ""
    assert "Nirgendwo" in err.err and "Traceback" not in err.err
    assert main(["add-municipality", "Aldorf"]) == 0
    assert main(["add-municipality", "Aldorf"]) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv("BT_PASSWORD", "kurz")
    assert main(["add-caseworker", "--municipality", "Aldorf", "bob"]) == 2
    assert "at least 8" in capsys.readouterr().err
    assert main(["new-code", "nope"]) == 2


def test_bad_config_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "console.toml"
    cfg.write_text("hearbeat_s = 5\n")
    assert main(["--config", str(cfg), "migrate"]) == 2
    assert "hearbeat_s" in capsys.readouterr().err
    monkeypatch.setenv("BT_CONSOLE_PORT", "eighty")
    assert main(["migrate"]) == 2
