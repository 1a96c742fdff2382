"""a new file's tier is only suggested: clear the confirmations recorded on create

Until this revision, saving a new customer file (in the editor or by an import) recorded
its creator as the one who confirmed its tier, at the moment of the save — a manager, or
the importer for every imported row.  A tier is confirmed by a supervisor, later, with who
and when; a new file's tier is only suggested.  The service no longer records a
confirmation on create; this revision clears the ones recorded that way.

Which ones those are, from what is stored:

* set on create, ``tier_confirmed_at`` was taken in the save itself, before the insert
  gave the row its ``created_at`` (the column's default, taken when the session wrote the
  row, in the same transaction): ``tier_confirmed_at <= created_at``.  A real
  confirmation is made after the file exists, in a later transaction, so its time is
  after ``created_at``: no real confirmation meets this condition;
* and the confirmer is the file's creator: the user of its ``customer.create`` audit
  record, or, for files that have none (an import writes one record for the whole
  workbook), the user who last saved it (``updated_by``) — a file saved since by someone
  else is left as it is rather than guessed at.

The downgrade changes no data: what is cleared was never a confirmation, and the schema is
the same at both revisions.

Revision ID: 0007
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

CLEAR = """
UPDATE customers SET tier_confirmed_by = NULL, tier_confirmed_at = NULL
WHERE tier_confirmed_at IS NOT NULL
  AND tier_confirmed_at <= created_at
  AND tier_confirmed_by = COALESCE(
      (SELECT a.user_id FROM audit_records a
        WHERE a.action = 'customer.create' AND a.entity_id = customers.id
        ORDER BY a.seq LIMIT 1),
      customers.updated_by)
"""


def upgrade() -> None:
    op.execute(CLEAR)


def downgrade() -> None:
    pass
