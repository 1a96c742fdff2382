"""The data-exchange package (数据交换包, docs/SYNC.md): one file carried between a branch PC
and the city center, encrypted to its recipient and signed by its sender.

Layout (all integers big-endian)::

    MAGIC (8 bytes) | header length (4) | header (UTF-8 JSON) |
    ciphertext length (8) | ciphertext | Ed25519 signature (64)

* The **header** is readable without a key (sender, recipient, sequence number, the
  sender's acknowledgement, counts) so that a package for another PC is refused before
  anything is decrypted; it is authenticated twice: as the AES-GCM associated data and
  under the signature.
* The **payload** is JSON lines (one record a line), compressed with zlib and encrypted
  with AES-256-GCM.  An exchange package's key is derived with HKDF-SHA256 from an X25519
  agreement between a fresh key of the sender's and the recipient's public key, so only
  the recipient's private key opens it.  A **set-up** package (the first one a branch PC
  receives, before it has keys of its own) is encrypted under a key derived with scrypt
  from a one-time set-up code that the center gives the branch by another way (phone,
  paper).
* The **signature** (Ed25519, by the sender's private key) covers everything before it:
  a changed byte, a cut file or a forged package is refused.

Every primitive is the ``cryptography`` library's; nothing here is hand-made.  No
database, no Qt: the services decide who the keys belong to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kac_desktop.errors import ServiceError
from kac_desktop.i18n import _
from kac_desktop.temporary_files import write_replacing

MAGIC = b"KACSYNC\x01"
FORMAT = 1
SETUP = "setup"
EXCHANGE = "exchange"
_SIGNATURE = 64
_INFO = b"kac_desktop sync package v1"
# scrypt's cost for the set-up code: a fraction of a second on an office PC
SCRYPT_N = 2**15
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
CODE_GROUPS = 5


class PackageError(ServiceError):
    """A package that cannot be used: not one, cut, altered, for another PC, from an
    unknown sender.  Nothing was written."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text, validate=True)


# ---------------------------------------------------------------- keys


@dataclass(frozen=True)
class KeyPair:
    """A PC's two private keys: Ed25519 to sign, X25519 to receive (32 raw bytes each)."""

    sign_private: bytes
    box_private: bytes

    @classmethod
    def new(cls) -> KeyPair:
        sign = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        box = X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls(sign, box)

    def to_bytes(self) -> bytes:
        return self.sign_private + self.box_private

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyPair:
        if len(data) != 64:
            raise ValueError("a key pair is 64 bytes")
        return cls(data[:32], data[32:])

    @property
    def public(self) -> PublicKeys:
        sign = Ed25519PrivateKey.from_private_bytes(self.sign_private).public_key()
        box = X25519PrivateKey.from_private_bytes(self.box_private).public_key()
        raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKeys(_b64(sign.public_bytes(*raw)), _b64(box.public_bytes(*raw)))


@dataclass(frozen=True)
class PublicKeys:
    """A PC's public keys as base64 text: ``sign`` (Ed25519) and ``box`` (X25519)."""

    sign: str
    box: str

    def fingerprint(self) -> str:
        """Sixteen characters a person can compare over the phone."""
        digest = hashlib.sha256(f"{self.sign}|{self.box}".encode("ascii")).hexdigest().upper()
        return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def new_setup_code() -> str:
    """A one-time set-up code: 25 characters (125 bits) in groups of five."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(5 * CODE_GROUPS))
    return "-".join(chars[i : i + 5] for i in range(0, len(chars), 5))


def clean_code(code: str) -> str:
    cleaned = "".join(c for c in code.upper() if c not in " -\t\n")
    return cleaned.replace("0", "O").replace("1", "I")


def setup_key(code: str, salt: bytes) -> bytes:
    """The 32-byte key a set-up code gives with the package's salt (scrypt)."""
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(
        clean_code(code).encode("ascii")
    )


def key_proof(setup: bytes, keys: PublicKeys) -> str:
    """What shows the center that a branch's new public keys come from the PC that was
    given the set-up code: an HMAC of them under the set-up key."""
    message = f"branch keys|{keys.sign}|{keys.box}".encode("ascii")
    return hmac.new(setup, message, hashlib.sha256).hexdigest()


def proof_holds(setup: bytes, keys: PublicKeys, proof: str) -> bool:
    return hmac.compare_digest(key_proof(setup, keys), proof)


# ---------------------------------------------------------------- the header


@dataclass(frozen=True)
class Header:
    """What a package says of itself before it is opened."""

    kind: str  # SETUP or EXCHANGE
    sender: str  # the sending PC's node id
    recipient: str  # the receiving PC's node id (a branch PC's is its branch's id)
    seq: int  # the sender's number of this package to this recipient (1, 2, …)
    ack: int  # the highest package number the sender has applied from the recipient
    created_at: str  # ISO time, UTC
    sender_keys: PublicKeys
    sender_name: str = ""
    recipient_name: str = ""
    # a branch's first packages: its keys with their proof under the set-up key
    key_proof: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    # filled in by ``write_package``
    salt: str = ""
    ephemeral: str = ""
    nonce: str = ""

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "kind": self.kind,
            "sender": self.sender,
            "recipient": self.recipient,
            "seq": self.seq,
            "ack": self.ack,
            "created_at": self.created_at,
            "sender_keys": {"sign": self.sender_keys.sign, "box": self.sender_keys.box},
            "sender_name": self.sender_name,
            "recipient_name": self.recipient_name,
            "key_proof": self.key_proof,
            "counts": self.counts,
            "salt": self.salt,
            "ephemeral": self.ephemeral,
            "nonce": self.nonce,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Header:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("unknown format")
        keys = raw["sender_keys"]
        kind = str(raw["kind"])
        if kind not in (SETUP, EXCHANGE):
            raise ValueError("unknown kind")
        return cls(
            kind=kind,
            sender=str(raw["sender"]),
            recipient=str(raw["recipient"]),
            seq=int(raw["seq"]),
            ack=int(raw["ack"]),
            created_at=str(raw["created_at"]),
            sender_keys=PublicKeys(str(keys["sign"]), str(keys["box"])),
            sender_name=str(raw.get("sender_name", "")),
            recipient_name=str(raw.get("recipient_name", "")),
            key_proof=str(raw.get("key_proof", "")),
            counts={str(k): int(v) for k, v in dict(raw.get("counts", {})).items()},
            salt=str(raw.get("salt", "")),
            ephemeral=str(raw.get("ephemeral", "")),
            nonce=str(raw.get("nonce", "")),
        )


# ---------------------------------------------------------------- writing


def _encode_lines(records: Iterable[dict[str, Any]]) -> bytes:
    compressor = zlib.compressobj(6)
    parts = []
    for record in records:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        parts.append(compressor.compress(line.encode("utf-8") + b"\n"))
    parts.append(compressor.flush())
    return b"".join(parts)


def _exchange_key(shared: bytes, header_salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=header_salt, info=_INFO).derive(shared)


def seal_package(
    header: Header,
    records: Iterable[dict[str, Any]],
    sign_private: bytes,
    *,
    recipient_box: str | None = None,
    setup: bytes | None = None,
    setup_salt: bytes | None = None,
) -> bytes:
    """The package's bytes: ``records`` encrypted to ``recipient_box`` (an exchange) or
    under the set-up key ``setup`` made with ``setup_salt`` (a set-up), signed."""
    salt = setup_salt if setup is not None and setup_salt is not None else os.urandom(16)
    nonce = os.urandom(12)
    if setup is not None:
        key = setup
        ephemeral = ""
    else:
        if recipient_box is None:
            raise ValueError("an exchange package needs the recipient's key")
        mine = X25519PrivateKey.generate()
        shared = mine.exchange(X25519PublicKey.from_public_bytes(_unb64(recipient_box)))
        key = _exchange_key(shared, salt)
        ephemeral = _b64(
            mine.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )
    sealed = Header(
        **{
            **header.__dict__,
            "salt": _b64(salt),
            "ephemeral": ephemeral,
            "nonce": _b64(nonce),
        }
    )
    head = sealed.to_json()
    signed_head = MAGIC + struct.pack(">I", len(head)) + head
    ciphertext = AESGCM(key).encrypt(nonce, _encode_lines(records), signed_head)
    body = signed_head + struct.pack(">Q", len(ciphertext)) + ciphertext
    signature = Ed25519PrivateKey.from_private_bytes(sign_private).sign(body)
    return body + signature


def write_package(path: Path, data: bytes) -> None:
    """Write the package to ``path`` through a temporary file moved into place: a cut
    write leaves no half package under the name."""
    # encrypted to its recipient, and still readable by this user alone on this PC
    write_replacing(Path(path), data, 0o600)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Sealed:
    """A package read from its bytes, not yet verified nor opened."""

    header: Header
    body: bytes  # what the signature covers
    ciphertext: bytes
    signature: bytes
    signed_head: bytes

    def verify(self, sign_public: str) -> None:
        """Raise PackageError unless the package carries ``sign_public``'s signature."""
        try:
            Ed25519PublicKey.from_public_bytes(_unb64(sign_public)).verify(
                self.signature, self.body
            )
        except (InvalidSignature, ValueError) as exc:
            raise PackageError(
                _(
                    "The package was changed after it was written, or it was not written "
                    "by the PC it names: its signature does not match. Nothing was imported."
                )
            ) from exc

    def open(self, *, box_private: bytes | None = None, setup: bytes | None = None) -> list[dict]:
        """The records, decrypted with this PC's X25519 key or the set-up key."""
        header = self.header
        try:
            nonce = _unb64(header.nonce)
            salt = _unb64(header.salt)
            if setup is not None:
                key = setup
            else:
                if box_private is None:
                    raise ValueError("no key")
                peer = X25519PublicKey.from_public_bytes(_unb64(header.ephemeral))
                shared = X25519PrivateKey.from_private_bytes(box_private).exchange(peer)
                key = _exchange_key(shared, salt)
            plain = AESGCM(key).decrypt(nonce, self.ciphertext, self.signed_head)
        except (InvalidTag, ValueError) as exc:
            if setup is not None:
                raise PackageError(
                    _(
                        "The set-up code does not open this package. Check the code the "
                        "center gave you (letters and digits, in five groups). Nothing was "
                        "imported."
                    )
                ) from exc
            raise PackageError(
                _(
                    "This PC's key does not open the package: it was encrypted for another "
                    "PC, or for keys this PC no longer has. Nothing was imported."
                )
            ) from exc
        return list(_decode_lines(plain))


def _decode_lines(compressed: bytes) -> Iterator[dict]:
    try:
        text = zlib.decompress(compressed)
        for line in text.splitlines():
            if line:
                record = json.loads(line.decode("utf-8"))
                if not isinstance(record, dict):
                    raise ValueError("not a record")
                yield record
    except (zlib.error, ValueError) as exc:
        raise PackageError(
            _("The package's contents cannot be read. Nothing was imported.")
        ) from exc


def _not_a_package() -> PackageError:
    return PackageError(
        _("This file is not a data-exchange package of kac_desktop. Nothing was imported.")
    )


def _truncated() -> PackageError:
    return PackageError(
        _(
            "The package is incomplete (the file was cut short while it was copied). Copy it "
            "again from the USB stick or ask for it to be sent again. Nothing was imported."
        )
    )


def parse_package(data: bytes) -> Sealed:
    """Split a package's bytes; PackageError for a file that is not one or was cut."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        if data and MAGIC.startswith(data[: len(MAGIC)]):
            raise _truncated()
        raise _not_a_package()
    at = len(MAGIC)
    if len(data) < at + 4:
        raise _truncated()
    (head_len,) = struct.unpack(">I", data[at : at + 4])
    at += 4
    if len(data) < at + head_len + 8:
        raise _truncated()
    head = data[at : at + head_len]
    at += head_len
    try:
        header = Header.from_json(head)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise _not_a_package() from exc
    (ct_len,) = struct.unpack(">Q", data[at : at + 8])
    at += 8
    if len(data) < at + ct_len + _SIGNATURE:
        raise _truncated()
    ciphertext = data[at : at + ct_len]
    body_end = at + ct_len
    if len(data) != body_end + _SIGNATURE:
        raise PackageError(
            _(
                "The package has data after its end: it was changed after it was written. "
                "Nothing was imported."
            )
        )
    return Sealed(
        header=header,
        body=data[:body_end],
        ciphertext=ciphertext,
        signature=data[body_end:],
        signed_head=data[: len(MAGIC) + 4 + head_len],
    )


def read_package(path: Path) -> Sealed:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise PackageError(_("There is no file {path}.").format(path=path)) from exc
    except OSError as exc:
        raise PackageError(
            _("The file {path} cannot be read: {error}").format(path=path, error=exc.strerror)
        ) from exc
    return parse_package(data)


__all__ = [
    "EXCHANGE",
    "SETUP",
    "Header",
    "KeyPair",
    "PackageError",
    "PublicKeys",
    "Sealed",
    "clean_code",
    "key_proof",
    "new_setup_code",
    "parse_package",
    "proof_holds",
    "read_package",
    "seal_package",
    "setup_key",
    "write_package",
]
