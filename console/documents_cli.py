"""``bt-console reseal-documents``: finish a document key rotation at once.

After a new key is put first (``document_key_file`` or ``BT_CONSOLE_DOCUMENT_KEY``), new
documents use it while older ones stay readable with the old key until they expire. When an
old key must go sooner (it leaked, or a person who knew it left), this command re-encrypts
every document under the newest key; once it reports no unreadable documents, the old key
can be removed. Run it with the same configuration as ``serve``; it can run while the
console serves (each row is replaced only if nobody changed it meanwhile).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from console.admin import with_store
from console.config import ConsoleConfig
from console.documents import FILE_NAME, load_cipher
from console.inbox import Inbox
from console.store.documents import DocumentStore

COMMANDS = frozenset({"reseal-documents"})


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the case inbox subcommands to the ``bt-console`` parser."""
    sub.add_parser(
        "reseal-documents",
        help="re-encrypt every case inbox document with the newest document key",
    )


def run(args: argparse.Namespace, config: ConsoleConfig) -> None:
    """Run one of :data:`COMMANDS`."""
    done, failed = asyncio.run(reseal(config))
    print(
        f"{done} document(s) re-encrypted with the newest key; {failed} unreadable",
        file=sys.stderr,
    )


async def reseal(config: ConsoleConfig) -> tuple[int, int]:
    """Re-encrypt all documents under the current key; (re-encrypted, unreadable)."""
    cipher = load_cipher(
        config.document_key, config.document_key_file or config.data_dir / FILE_NAME
    )
    return await with_store(
        config,
        lambda store: Inbox(DocumentStore(store.db), cipher).reseal(),
    )
