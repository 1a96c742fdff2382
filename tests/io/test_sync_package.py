"""The package format: what one PC seals, only its recipient opens, and a changed or cut
byte is refused (io/sync_package.py)."""

from __future__ import annotations

import pytest

from kac_desktop.io import sync_package as fmt


def _header(sender: fmt.KeyPair, **overrides) -> fmt.Header:
    values = dict(
        kind=fmt.EXCHANGE,
        sender="center",
        recipient="branch-a",
        seq=3,
        ack=2,
        created_at="2026-12-02T08:00:00+00:00",
        sender_keys=sender.public,
        counts={"customers": 2},
    )
    values.update(overrides)
    return fmt.Header(**values)


RECORDS = [
    {"t": "customers", "k": "1", "d": {"name": "福州华闽"}},
    {"t": "visits", "k": "2", "d": None},
]


@pytest.fixture(scope="module")
def keys():
    return fmt.KeyPair.new(), fmt.KeyPair.new(), fmt.KeyPair.new()


def _package(keys) -> bytes:
    sender, recipient, _other = keys
    return fmt.seal_package(
        _header(sender), RECORDS, sender.sign_private, recipient_box=recipient.public.box
    )


def test_the_recipient_opens_what_the_sender_signed(keys):
    sender, recipient, _other = keys
    sealed = fmt.parse_package(_package(keys))
    sealed.verify(sender.public.sign)
    assert sealed.header.seq == 3 and sealed.header.ack == 2
    assert sealed.open(box_private=recipient.box_private) == RECORDS


def test_another_pc_cannot_open_it(keys, english):
    _sender, _recipient, other = keys
    sealed = fmt.parse_package(_package(keys))
    with pytest.raises(fmt.PackageError, match="does not open"):
        sealed.open(box_private=other.box_private)


def test_a_signature_of_another_key_is_refused(keys, english):
    _sender, _recipient, other = keys
    sealed = fmt.parse_package(_package(keys))
    with pytest.raises(fmt.PackageError, match="signature"):
        sealed.verify(other.public.sign)


def test_every_changed_byte_is_refused(keys):
    sender, recipient, _other = keys
    data = _package(keys)
    for index in range(0, len(data), max(1, len(data) // 97)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        with pytest.raises(fmt.PackageError):
            sealed = fmt.parse_package(bytes(changed))
            sealed.verify(sender.public.sign)
            sealed.open(box_private=recipient.box_private)


def test_a_cut_file_is_refused_as_incomplete(keys, english):
    data = _package(keys)
    for length in range(1, len(data), max(1, len(data) // 53)):
        with pytest.raises(fmt.PackageError, match="incomplete|not a data-exchange"):
            fmt.parse_package(data[:length])
    with pytest.raises(fmt.PackageError, match="incomplete"):
        fmt.parse_package(data[:-1])


def test_a_file_that_is_no_package(english):
    with pytest.raises(fmt.PackageError, match="not a data-exchange package"):
        fmt.parse_package(b"PK\x03\x04 a zip file")


def test_a_setup_package_opens_with_its_code_only(keys, english):
    sender, _recipient, _other = keys
    code = fmt.new_setup_code()
    salt = b"0123456789abcdef"
    data = fmt.seal_package(
        _header(sender, kind=fmt.SETUP),
        RECORDS,
        sender.sign_private,
        setup=fmt.setup_key(code, salt),
        setup_salt=salt,
    )
    sealed = fmt.parse_package(data)
    # typed in lower case with spaces, 0 for O: the same code
    typed = code.lower().replace("-", " ").replace("O", "0")
    assert sealed.open(setup=fmt.setup_key(typed, salt)) == RECORDS
    with pytest.raises(fmt.PackageError, match="set-up code"):
        sealed.open(setup=fmt.setup_key(fmt.new_setup_code(), salt))


def test_the_key_proof_binds_a_branch_key_to_its_setup_code(keys):
    sender, recipient, _other = keys
    secret = fmt.setup_key(fmt.new_setup_code(), b"salt-salt-salt-s")
    proof = fmt.key_proof(secret, recipient.public)
    assert fmt.proof_holds(secret, recipient.public, proof)
    assert not fmt.proof_holds(secret, sender.public, proof)
