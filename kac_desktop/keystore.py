"""The application's secrets on this PC: the key that seals the audit trail and the
security tables, and the last head of each database's audit chain.

Kept by the operating system's credential store through ``keyring`` (Windows Credential
Manager, the macOS keychain, the Secret Service on Linux).  A machine without one (a
headless Linux server, a test machine) keeps them in the ``keys`` folder of the user-data
folder instead: a folder only this user may enter (0700) with files only he may read
(0600).  Never beside the database: whoever copies the database file does not get them.

Below the models: no database, no Qt, no messages of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kac_desktop.config import data_dir
from kac_desktop.temporary_files import remove_stale_temporaries, write_replacing

SERVICE = "kac_desktop"
KEY_NAME = "integrity-key"
KEY_FOLDER = "keys"
_MARKER = "use-credential-store"
_lock = threading.Lock()
_cache: dict[str, bytes] = {}


# ---------------------------------------------------------------- private files


def private_folder(path: Path, *, ours: bool = False) -> Path:
    """Make the missing folders of ``path`` folders only this user may enter (0700); an
    existing one is left as it is unless ``ours`` (a folder the application owns: its
    user-data folder, a database's backups folder, the keys folder)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        restrict(folder)
    if ours:
        restrict(path)
    return path


def restrict(path: Path) -> None:
    """Readable by this user alone: 0700 for a folder, 0600 for a file (where the file
    system knows modes)."""
    try:
        os.chmod(path, 0o700 if Path(path).is_dir() else 0o600)
    except OSError:
        pass


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file created 0600 and moved into place."""
    private_folder(path.parent, ours=path.parent == key_folder())
    remove_stale_temporaries(path)
    write_replacing(path, data, 0o600)
    restrict(path)


# ---------------------------------------------------------------- where secrets live


def key_folder() -> Path:
    """The ``keys`` folder of the user-data folder (``KAC_KEY_DIR`` names another one: a test
    session keeps one key for all its databases)."""
    override = os.environ.get("KAC_KEY_DIR")
    return Path(override) if override else data_dir() / KEY_FOLDER


def _keyring():
    """The credential store's keyring, or None when this machine has none."""
    if os.environ.get("KAC_NO_CREDENTIAL_STORE"):
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend is no backend
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    return backend


@dataclass(frozen=True)
class Store:
    """Where this PC keeps the secrets: ``kind`` "credential-store" or "file"."""

    kind: str
    folder: Path

    def describe_path(self) -> str:
        return str(self.folder)


def store() -> Store:
    folder = key_folder()
    if (folder / _MARKER).exists():
        return Store("credential-store", folder)
    if (folder / KEY_NAME).exists():
        return Store("file", folder)
    return Store("credential-store" if _keyring() is not None else "file", folder)


def _get(name: str) -> str | None:
    where = store()
    if where.kind == "credential-store":
        ring = _keyring()
        if ring is not None:
            try:
                return ring.get_password(SERVICE, f"{where.folder}:{name}")
            except Exception:
                return None
    path = where.folder / name
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _set(name: str, value: str) -> None:
    where = store()
    if where.kind == "credential-store":
        ring = _keyring()
        if ring is not None:
            try:
                ring.set_password(SERVICE, f"{where.folder}:{name}", value)
                write_private(where.folder / _MARKER, b"the secrets are in the credential store\n")
                return
            except Exception:
                pass
    write_private(where.folder / name, value.encode("ascii") + b"\n")


# ---------------------------------------------------------------- the integrity key


def integrity_key() -> bytes:
    """This PC's 32-byte key for sealing (made at first use)."""
    return _secret(KEY_NAME)


# ---------------------------------------------------------------- the database key

DATABASE_KEY_NAME = "database-key"
KNOWN_DATABASE_KEYS = "database-keys-known"


def _secret(name: str) -> bytes:
    """The 32-byte secret ``name`` of this PC, made at first use."""
    where = f"{key_folder()}:{name}"
    cached = _cache.get(where)
    if cached is not None:
        return cached
    with _lock:
        text = _get(name)
        if text is None:
            _set(name, base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
            text = _get(name)
        assert text is not None
        key = base64.b64decode(text)
        _cache[where] = key
        return key


def database_key() -> bytes:
    """This PC's 32-byte key that encrypts its databases, their WAL and their backups (made
    at first use: the first start)."""
    return _secret(DATABASE_KEY_NAME)


def _known_database_keys() -> list[bytes]:
    text = _get(KNOWN_DATABASE_KEYS)
    if not text:
        return []
    try:
        return [base64.b64decode(part) for part in text.split(",") if part]
    except ValueError:
        return []


def database_keys() -> list[bytes]:
    """Every database key this PC can open a file with: its own first, then the keys it
    had before a re-key and those taken over from other PCs' recovery sheets (their
    backups)."""
    own = database_key()
    return [own, *(key for key in _known_database_keys() if key != own)]


def add_database_key(key: bytes, *, current: bool = False) -> None:
    """Know ``key`` from now on (a backup made on another PC opens with it); with
    ``current`` it becomes the key new databases are encrypted with, and the one it
    replaces stays known (the files encrypted with it still open)."""
    with _lock:
        known = _known_database_keys()
        old = _get(DATABASE_KEY_NAME)
        if current:
            if old is not None:
                known.append(base64.b64decode(old))
            _set(DATABASE_KEY_NAME, base64.b64encode(key).decode("ascii"))
        elif key not in known:
            known.append(key)
        unique = []
        for each in known:
            if each not in unique and (not current or each != key):
                unique.append(each)
        _set(KNOWN_DATABASE_KEYS, ",".join(base64.b64encode(k).decode("ascii") for k in unique))
        _cache.clear()


def new_database_key() -> bytes:
    """A fresh random database key (for a re-key); not stored until ``add_database_key``."""
    return secrets.token_bytes(32)


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from paper


def recovery_key() -> bytes:
    """What the recovery sheet carries: the sealing key, then the database key (64 bytes)."""
    return integrity_key() + database_key()


def _encode(key: bytes) -> str:
    number = int.from_bytes(key, "big")
    chars = []
    for _i in range(52):  # 52 x 5 bits >= 256
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def recovery_text(key: bytes | None = None) -> list[str]:
    """The recovery key in groups of four characters of an alphabet without look-alikes:
    13 groups per 32-byte key (the sealing key's, then the database key's)."""
    key = recovery_key() if key is None else key
    text = "".join(_encode(key[i : i + 32]) for i in range(0, len(key), 32))
    return [text[i : i + 4] for i in range(0, len(text), 4)]


def fingerprint(key: bytes | None = None) -> str:
    """Eight characters that tell whether a key typed in again is the printed one."""
    key = recovery_key() if key is None else key
    digest = hashlib.sha256(b"kac_desktop recovery " + key).hexdigest().upper()
    return f"{digest[:4]}-{digest[4:8]}"


def _decode(text: str) -> bytes | None:
    number = 0
    for c in text:
        number = number * 32 + _ALPHABET.index(c)
    if number >= 1 << 256:
        return None
    return number.to_bytes(32, "big")


def parse_recovery_text(text: str) -> bytes | None:
    """The key from the sheet's text (spaces, dashes and case do not matter): 64 bytes from
    a sheet of this release, 32 (the sealing key alone) from an earlier one; None when it
    is not a key."""
    cleaned = "".join(c for c in text.upper() if c not in " -\t\n")
    cleaned = cleaned.replace("0", "O").replace("1", "I")
    if len(cleaned) not in (52, 104) or any(c not in _ALPHABET for c in cleaned):
        return None
    parts = [_decode(cleaned[i : i + 52]) for i in range(0, len(cleaned), 52)]
    if any(part is None for part in parts):
        return None
    return b"".join(part for part in parts if part is not None)


def import_key(key: bytes) -> None:
    """Make ``key`` (from another PC's recovery sheet) this PC's: its first 32 bytes become
    the sealing key (the one it replaces is kept in the keys folder, readable by the user
    alone), the next 32, when given, the database key (the one it replaces stays known, so
    this PC's own files still open)."""
    sealing, database = key[:32], key[32:64] or None
    with _lock:
        old = _get(KEY_NAME)
        if old is not None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            write_private(key_folder() / f"{KEY_NAME}.replaced-{stamp}", old.encode("ascii"))
        _set(KEY_NAME, base64.b64encode(sealing).decode("ascii"))
        _cache.clear()
    if database is not None:
        add_database_key(database, current=True)


def forget_cached_keys() -> None:
    _cache.clear()


def seal(*parts: object) -> str:
    """HMAC-SHA256 (hex) of ``parts`` as canonical JSON under this PC's key."""
    payload = json.dumps(list(parts), ensure_ascii=False, sort_keys=True, default=str)
    return hmac.new(integrity_key(), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)


# ---------------------------------------------------------------- named secrets


def get_secret(name: str) -> bytes | None:
    """The secret bytes kept under ``name`` (the data exchange's private keys, a branch's
    set-up key), or None when there are none."""
    text = _get(name)
    if text is None:
        return None
    try:
        return base64.b64decode(text)
    except ValueError:
        return None


def put_secret(name: str, value: bytes) -> None:
    """Keep ``value`` under ``name`` in the credential store or the 0600 key file."""
    with _lock:
        _set(name, base64.b64encode(value).decode("ascii"))


def drop_secret(name: str) -> None:
    """Forget the secret ``name`` (a set-up key once the center has registered the
    branch's own keys)."""
    with _lock:
        where = store()
        if where.kind == "credential-store":
            ring = _keyring()
            if ring is not None:
                try:
                    ring.delete_password(SERVICE, f"{where.folder}:{name}")
                except Exception:
                    pass
        (where.folder / name).unlink(missing_ok=True)


# ---------------------------------------------------------------- chain heads


@dataclass(frozen=True)
class Head:
    """The newest record of a database's audit chain: its number and its hash."""

    database_id: str
    seq: int
    hash: str

    def mac(self) -> str:
        return seal("head", self.database_id, self.seq, self.hash)

    def to_json(self) -> str:
        return json.dumps(
            {"database": self.database_id, "seq": self.seq, "hash": self.hash, "mac": self.mac()}
        )

    @classmethod
    def from_json(cls, text: str) -> Head | None:
        """The head written by ``to_json``; None when unreadable or not sealed by this PC."""
        try:
            data = json.loads(text)
            head = cls(str(data["database"]), int(data["seq"]), str(data["hash"]))
            return head if same(head.mac(), str(data["mac"])) else None
        except (ValueError, KeyError, TypeError):
            return None


def _head_name(database_id: str) -> str:
    return "head-" + "".join(c for c in database_id if c.isalnum() or c == "-")


def saved_head(database_id: str) -> Head | None:
    text = _get(_head_name(database_id))
    if text is None:
        return None
    try:
        head = Head.from_json(base64.b64decode(text).decode("utf-8"))
    except ValueError:
        return None
    return head if head is not None and head.database_id == database_id else None


def save_head(head: Head, *, force: bool = False) -> None:
    """Keep ``head`` as the database's last known head (never a lower one unless ``force``:
    a restore that replaces the data on purpose)."""
    with _lock:
        if not force:
            known = saved_head(head.database_id)
            if known is not None and known.seq >= head.seq:
                return
        _set(
            _head_name(head.database_id),
            base64.b64encode(head.to_json().encode("utf-8")).decode("ascii"),
        )


__all__ = [
    "Head",
    "Store",
    "add_database_key",
    "database_key",
    "drop_secret",
    "get_secret",
    "database_keys",
    "integrity_key",
    "private_folder",
    "put_secret",
    "restrict",
    "same",
    "save_head",
    "saved_head",
    "seal",
    "store",
    "write_private",
]
