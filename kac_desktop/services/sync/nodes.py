"""Who is who in the exchange: this database's node, the PCs it exchanges with, and their
keys.  The private keys are kept by the key store (credential store or the 0600 key file of
the user-data folder), never in the database nor in a package."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.i18n import _
from kac_desktop.io.sync_package import KeyPair
from kac_desktop.models import Branch, SyncPeer, SyncSelf, new_id

from ..errors import ServiceError

CENTER = "center"
BRANCH = "branch"
PENDING = "pending"
ACTIVE = "active"
REVOKED = "revoked"


def keys_name(node_id: str) -> str:
    return f"sync-keys-{node_id}"


def setup_name(side: str, branch_id: str) -> str:
    return f"sync-setup-{side}-{branch_id}"


def own_keys(node_id: str) -> KeyPair:
    data = keystore.get_secret(keys_name(node_id))
    if data is None or len(data) != 64:
        raise ServiceError(
            _(
                "This PC does not have the private keys of the data exchange (they are kept "
                "by the PC's credential store or key folder, not in the database). A "
                "database copied from another PC cannot exchange packages: set the branch "
                "up again with a new starting package from the center."
            )
        )
    return KeyPair.from_bytes(data)


def make_keys(node_id: str) -> KeyPair:
    pair = KeyPair.new()
    keystore.put_secret(keys_name(node_id), pair.to_bytes())
    return pair


def this_node(session: Session) -> SyncSelf | None:
    return session.get(SyncSelf, 1)


def center_node(session: Session) -> SyncSelf:
    """This database's node as the city center, made (with its keys) at the first package."""
    me = this_node(session)
    if me is None:
        node_id = new_id()
        keys = make_keys(node_id).public
        me = SyncSelf(
            id=1,
            node_id=node_id,
            role=CENTER,
            branch_id=None,
            sign_public=keys.sign,
            box_public=keys.box,
        )
        session.add(me)
        session.flush()
    elif me.role != CENTER:
        raise ServiceError(
            _(
                "This database is a branch PC's: it exchanges packages with the center only. "
                "Starting packages for branches are written at the center."
            )
        )
    return me


def find_branch(session: Session, text: str) -> Branch:
    """The branch named by its name, its code or its id."""
    wanted = text.strip()
    for column in (Branch.name, Branch.code, Branch.id):
        found = session.scalars(select(Branch).where(column == wanted)).all()
        if len(found) == 1:
            return found[0]
    names = session.scalars(
        select(Branch.name).where(Branch.level != "city").order_by(Branch.name)
    ).all()
    raise ServiceError(
        _('There is no branch "{name}". The branches are: {names}.').format(
            name=text, names=", ".join(names) or "—"
        )
    )


def branch_peer(session: Session, branch_id: str) -> SyncPeer | None:
    return session.scalars(
        select(SyncPeer).where(SyncPeer.branch_id == branch_id, SyncPeer.role == BRANCH)
    ).first()


def the_center(session: Session) -> SyncPeer:
    peer = session.scalars(select(SyncPeer).where(SyncPeer.role == CENTER)).first()
    if peer is None:
        raise ServiceError(_("This database was not set up from a center's package."))
    return peer


__all__ = [
    "ACTIVE",
    "BRANCH",
    "CENTER",
    "PENDING",
    "REVOKED",
    "branch_peer",
    "center_node",
    "find_branch",
    "make_keys",
    "own_keys",
    "setup_name",
    "the_center",
    "this_node",
]
