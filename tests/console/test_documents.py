"""The case inbox at rest: AES-GCM sealing, key files, retention purge, no JPEG in clear.

These run against the real migrated SQLite file and then read that file's bytes, so "the
database holds no photo" is checked where an attacker with a backup would look.
"""

from __future__ import annotations

import asyncio
import base64
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from console.audit import AuditLog
from console.config import ConsoleConfig, load_config
from console.documents import (
    NONCE_BYTES,
    DocumentCipher,
    DocumentUnreadableError,
    Sealed,
    key_id,
    load_cipher,
    parse_keys,
)
from console.errors import ConfigError
from console.inbox import Inbox
from console.photos import Photo
from console.store import Store
from console.store.documents import DocumentStore
from console.store.models import Document
from tests.console.conftest import Seed
from tests.console.jpegs import real_jpeg
from tests.console.sql import sql

pytestmark = pytest.mark.both_backends

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def photo(municipality_id: int, jpeg: bytes, terminal_id: str = "") -> Photo:
    return Photo("p1", municipality_id, "c" * 32, jpeg, 640, 480, 0.0, terminal_id)


async def municipality_ids(store: Store) -> tuple[int, int]:
    async with store.db.session() as s:
        rows = (await s.execute(text("SELECT id, name FROM municipalities"))).all()
    ids = {name: id_ for id_, name in rows}
    return ids["Aldorf"], ids["Bestadt"]


# --- the cipher -----------------------------------------------------------------------------


def test_seal_and_open_round_trip_with_fresh_nonces() -> None:
    cipher = DocumentCipher([KEY_A])
    one = cipher.seal("d1", 7, b"secret photo")
    two = cipher.seal("d1", 7, b"secret photo")
    assert one.key_id == key_id(KEY_A) == cipher.current and len(one.key_id) == 16
    assert len(one.nonce) == NONCE_BYTES and one.nonce != two.nonce
    assert one.ciphertext != two.ciphertext
    assert b"secret" not in one.ciphertext
    assert len(one.ciphertext) == len(b"secret photo") + 16  # the GCM tag
    assert cipher.open("d1", 7, one) == b"secret photo"


@pytest.mark.parametrize(
    ("document_id", "municipality_id", "change"),
    [
        ("d2", 7, None),  # copied to another document id
        ("d1", 8, None),  # claimed by another municipality
        ("d1", 7, "ciphertext"),  # one bit flipped in the ciphertext
        ("d1", 7, "nonce"),
    ],
)
def test_open_refuses_a_moved_or_altered_document(
    document_id: str, municipality_id: int, change: str | None
) -> None:
    cipher = DocumentCipher([KEY_A])
    sealed = cipher.seal("d1", 7, b"secret photo")
    if change == "ciphertext":
        flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
        sealed = Sealed(sealed.key_id, sealed.nonce, flipped)
    elif change == "nonce":
        sealed = Sealed(sealed.key_id, bytes(NONCE_BYTES), sealed.ciphertext)
    with pytest.raises(DocumentUnreadableError):
        cipher.open(document_id, municipality_id, sealed)


def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    old = DocumentCipher([KEY_A]).seal("d1", 1, b"before rotation")
    rotated = DocumentCipher([KEY_B, KEY_A])
    assert rotated.open("d1", 1, old) == b"before rotation"
    assert rotated.seal("d2", 1, b"after").key_id == key_id(KEY_B)
    with pytest.raises(DocumentUnreadableError, match="not configured"):
        DocumentCipher([KEY_B]).open("d1", 1, old)


def test_key_file_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "document_key"
    first = load_cipher(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_cipher(None, path)
    assert first.current == again.current
    sealed = first.seal("d", 1, b"x")
    assert again.open("d", 1, sealed) == b"x"
    # Rotation by editing the file: a new key on top, the old one below.
    new = base64.b64encode(os.urandom(32)).decode()
    path.write_text(new + "\n" + path.read_text())
    rotated = load_cipher(None, path)
    assert rotated.current != first.current and rotated.open("d", 1, sealed) == b"x"


def test_environment_key_wins_over_the_file_and_bad_keys_are_refused(tmp_path: Path) -> None:
    env = {"BT_CONSOLE_DOCUMENT_KEY": base64.b64encode(KEY_B).decode()}
    config = load_config(None, env)
    assert config.document_key is not None and "document_key=" not in repr(config)
    cipher = load_cipher(config.document_key, tmp_path / "document_key")
    assert cipher.current == key_id(KEY_B)
    assert not (tmp_path / "document_key").exists()
    two = ",".join(base64.b64encode(k).decode() for k in (KEY_A, KEY_B))
    assert parse_keys(two, "x") == [KEY_A, KEY_B]
    with pytest.raises(ConfigError, match="32 bytes"):
        parse_keys(base64.b64encode(b"short").decode(), "x")
    with pytest.raises(ConfigError, match="base64"):
        parse_keys("not base64!", "x")
    with pytest.raises(ConfigError, match="no document key"):
        parse_keys("# only a comment\n", "x")
    with pytest.raises(ConfigError):
        load_config(None, {"BT_CONSOLE_DOCUMENT_RETENTION_DAYS": "0"})
    assert load_config(None, {}).document_retention_days == 30


# --- the inbox on the real database --------------------------------------------------------


async def test_database_file_holds_no_jpeg_in_clear(
    config: ConsoleConfig, store: Store, seed: Seed
) -> None:
    aldorf, bestadt = await municipality_ids(store)
    jpeg = real_jpeg(320, 240)
    inbox = Inbox(DocumentStore(store.db), DocumentCipher([KEY_A]))
    info = await inbox.save(photo(aldorf, jpeg, seed.a1_id), caseworker_id=1)
    assert (info.size, info.width, info.height) == (len(jpeg), 640, 480)
    assert info.terminal_name == "Rathaus Aldorf" and info.caseworker_name == "Alice Amt"
    await store.db.close()  # flush everything to the file (no WAL left behind)

    if config.database_url is None:
        files = sorted(config.data_dir.glob("console.db*"))  # the database and any WAL left
        raw = b"".join(path.read_bytes() for path in files)
    else:  # PostgreSQL: every stored byte of the table, as a dump would hold it
        rows = (await sql(config, "SELECT * FROM documents")).rows
        raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r)
    assert len(raw) > len(jpeg), "the sealed photo must be somewhere in these files"
    assert jpeg[:2] == b"\xff\xd8"
    assert b"\xff\xd8\xff" not in raw, "a JPEG start marker (SOI + marker) is in the file"
    for start in range(0, len(jpeg) - 32, len(jpeg) // 8):
        assert jpeg[start : start + 32] not in raw, f"photo bytes at {start} stored in clear"

    reopened = Inbox(DocumentStore(store.db), DocumentCipher([KEY_A]))
    got, data = await reopened.open(info.id, aldorf)
    assert data == jpeg and got.id == info.id
    with pytest.raises(LookupError):
        await reopened.open(info.id, bestadt)
    assert await reopened.info(info.id, bestadt) is None
    assert await reopened.listing(bestadt) == []
    assert [d.id for d in await reopened.listing(aldorf)] == [info.id]


async def test_tampered_or_moved_rows_fail_authentication(store: Store, seed: Seed) -> None:
    aldorf, bestadt = await municipality_ids(store)
    inbox = Inbox(DocumentStore(store.db), DocumentCipher([KEY_A]))
    info = await inbox.save(photo(aldorf, real_jpeg(64, 48)), caseworker_id=1)
    async with store.db.session() as s, s.begin():
        row = await s.get(Document, info.id)
        assert row is not None
        row.ciphertext = row.ciphertext[:-1] + bytes([row.ciphertext[-1] ^ 0x80])
    with pytest.raises(DocumentUnreadableError):
        await inbox.open(info.id, aldorf)
    # A row re-assigned to another municipality in the database does not open there either.
    other = await inbox.save(photo(aldorf, real_jpeg(64, 48)), caseworker_id=1)
    async with store.db.session() as s, s.begin():
        await s.execute(
            update(Document).where(Document.id == other.id).values(municipality_id=bestadt)
        )
    with pytest.raises(DocumentUnreadableError):
        await inbox.open(other.id, bestadt)


async def test_retention_purge_deletes_expired_documents(store: Store, seed: Seed) -> None:
    aldorf, bestadt = await municipality_ids(store)
    clock = Clock()
    inbox = Inbox(DocumentStore(store.db), DocumentCipher([KEY_A]), retention_days=30, clock=clock)
    old = await inbox.save(photo(aldorf, real_jpeg(64, 48)), caseworker_id=1)
    assert old.expires_at == clock.now + timedelta(days=30)
    clock.now += timedelta(days=10)
    young = await inbox.save(photo(bestadt, real_jpeg(64, 48)), caseworker_id=3)
    audit = AuditLog(store.db)

    clock.now += timedelta(days=19, hours=23)
    assert await inbox.purge(audit) == 0
    clock.now += timedelta(hours=1)  # 30 days after the first save
    assert await inbox.listing(aldorf) == []  # hidden at once, even before the purge
    assert await inbox.purge(audit) == 1
    async with store.db.session() as s:
        left = (await s.execute(text("SELECT id FROM documents"))).scalars().all()
    assert left == [young.id]
    await audit.flush()
    async with store.db.session() as s:
        entries = (
            await s.execute(text("SELECT action, municipality_id, detail FROM audit_log"))
        ).all()
    assert entries == [("document.expire", aldorf, '{"count": 1}')]

    clock.now += timedelta(days=10)
    assert await inbox.purge() == 1
    assert await inbox.listing(bestadt) == []


def test_rotation_finished_by_the_reseal_command(
    config: ConsoleConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Old-key documents are re-encrypted with the new key; then the old key can go."""
    from console.__main__ import main
    from console.store import Database

    key_file = tmp_path / "document_key"
    old = base64.b64encode(KEY_A).decode()
    new = base64.b64encode(KEY_B).decode()
    key_file.write_text(old + "\n")
    toml = tmp_path / "console.toml"
    database = f'database_url = "{config.database_url}"\n' if config.database_url else ""
    toml.write_text(f'data_dir = "{tmp_path}"\ndocument_key_file = "{key_file}"\n{database}')

    async def prepare() -> list[str]:
        db = Database.open(config.url)
        try:
            store = Store(db)
            await store.add_municipality("Aldorf")
            aldorf = (await municipality_ids_one(store))["Aldorf"]
            inbox = Inbox(DocumentStore(db), DocumentCipher([KEY_A]))
            saved = [await inbox.save(photo(aldorf, bytes([n]) * 50), None) for n in range(3)]
        finally:
            await db.close()
        return [doc.id for doc in saved]

    ids = asyncio.run(prepare())
    key_file.write_text(new + "\n" + old + "\n")  # rotation: the new key on top
    assert main(["--config", str(toml), "reseal-documents"]) == 0
    assert "3 document(s) re-encrypted" in capsys.readouterr().err

    async def check() -> None:
        db = Database.open(config.url)
        only_new = Inbox(DocumentStore(db), DocumentCipher([KEY_B]))
        aldorf = (await municipality_ids_one(Store(db)))["Aldorf"]
        for n, document_id in enumerate(ids):
            _, data = await only_new.open(document_id, aldorf)
            assert data == bytes([n]) * 50
        assert await only_new.reseal() == (0, 0)
        await db.close()

    asyncio.run(check())
    key_file.write_text(new + "\n")
    assert main(["--config", str(toml), "reseal-documents"]) == 0
    assert "0 document(s) re-encrypted with the newest key; 0 unreadable" in capsys.readouterr().err


async def municipality_ids_one(store: Store) -> dict[str, int]:
    async with store.db.session() as s:
        rows = (await s.execute(text("SELECT id, name FROM municipalities"))).all()
    return {name: id_ for id_, name in rows}


async def test_reseal_counts_documents_it_cannot_read(store: Store, seed: Seed) -> None:
    aldorf, _ = await municipality_ids(store)
    await Inbox(DocumentStore(store.db), DocumentCipher([KEY_A])).save(
        photo(aldorf, b"\xff\xd8old\xff\xd9"), None
    )
    lost_key = Inbox(DocumentStore(store.db), DocumentCipher([KEY_B]))
    assert await lost_key.reseal() == (0, 1)
