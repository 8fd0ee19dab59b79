"""console/kit_keys.py: the kit key pair generated once, shared by env, rotated without loss."""

from __future__ import annotations

import base64
import stat
import time
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from console.config import load_config
from console.errors import ConfigError
from console.kit_keys import load_kit_keys
from protocol.kit_document import Header, seal


def b64(key: X25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


def sealed_for(public: bytes, key_id: str) -> bytes:
    header = Header(id=uuid.uuid4().hex, captured_at=time.time(), key_id=key_id)
    return seal(header, b"\xff\xd8\xff\xd9", public)


def test_generated_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "kit_key"
    first = load_kit_keys(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_kit_keys(None, path)  # a second instance on the same data dir
    assert first.key_id == second.key_id and first.public_key == second.public_key
    assert first.public_json(1024)["public_key"] == base64.b64encode(first.public_key).decode()


def test_rotation_hands_out_the_new_key_and_still_opens_the_old(tmp_path: Path) -> None:
    old, new = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    before = load_kit_keys(b64(old), tmp_path / "unused")
    waiting = sealed_for(before.public_key, before.key_id)  # sealed on a kit before the rotation
    after = load_kit_keys(f"{b64(new)},{b64(old)}", tmp_path / "unused")
    assert after.key_id != before.key_id
    assert after.open(waiting)[1] == b"\xff\xd8\xff\xd9"
    assert not (tmp_path / "unused").exists()  # the environment wins; no file is made


@pytest.mark.parametrize("text", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_bad_keys_are_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "kit_key"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_kit_keys(None, path)


def test_config_keys(tmp_path: Path) -> None:
    config = load_config(env={"BT_CONSOLE_KIT_KEY": "abc", "BT_CONSOLE_KIT_DOCUMENT_MAX_BYTES":
                              "2048", "BT_CONSOLE_KIT_KEY_FILE": str(tmp_path / "k")})  # fmt: skip
    assert config.kit_key == "abc" and config.kit_document_max_bytes == 2048
    assert config.kit_key_file == tmp_path / "k" and "abc" not in repr(config)
    with pytest.raises(ConfigError):
        load_config(env={"BT_CONSOLE_KIT_DOCUMENT_MAX_BYTES": "0"})
