"""Benchmark: import 10,000 customers from a workbook (``python benchmarks/import_customers.py``).

Generates a workbook of N rows with every importable column filled (Chinese headers as the
template writes them), a fresh SQLite database with one branch and one manager, then times
reading + checking (preview) and storing (run) separately.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kac_desktop.db import open_database  # noqa: E402
from kac_desktop.io.customer_import import FIELDS  # noqa: E402
from kac_desktop.io.workbook import write_table  # noqa: E402
from kac_desktop.models import Branch, User  # noqa: E402
from kac_desktop.rules.credit_code import make_credit_code  # noqa: E402
from kac_desktop.services import customer_import  # noqa: E402
from kac_desktop.services.users import actor_for, ensure_reference_data  # noqa: E402

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def code(n: int) -> str:
    body = ""
    for _ in range(8):
        n, r = divmod(n, 31)
        body = ALPHABET[r] + body
    return make_credit_code("91350100" + body)


def make_rows(count: int) -> list[list[object]]:
    rows = []
    for i in range(count):
        values = {
            "name": f"福州第{i}号贸易有限公司",
            "credit_code": code(i),
            "kind": "大客户",
            "nature": "企业",
            "industry": "批发零售",
            "address": f"福州市鼓楼区五四路{i}号",
            "area": "城区" if i % 3 else "农村",
            "business_scope": "日用百货",
            "cooperation_start": date(2015 + i % 8, 1 + i % 12, 1),
            "product_lines": "函件、速递物流",
            "express_kinds": "国内异地",
            "geo_scope": "区域性",
            "settlement": "记账",
            "contract_no": f"HT-{i:05d}",
            "contract_start": date(2024, 1, 1),
            "contract_end": date(2026, 12, 31),
            "tariff_discount": "8.5折",
            "pickup_times": "每天16:00",
            "special_needs": "",
            "credit_rating": "AA",
            "payment_record": "按时",
            "arrears": 0,
            "tier": "黄金",
            "notes": "",
            "manager": "",
            "contact_name": "李明",
            "contact_role": "关键人",
            "contact_phone": "0591-87654321",
            "contact_mobile": 13805912345.0,
            "contact_email": "liming@example.com",
            "contact_birthday": date(1980, 5, 1),
        }
        rows.append([values[f.key] for f in FIELDS])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "customers.xlsx"
        started = time.perf_counter()
        write_table(book, [f.header for f in FIELDS], make_rows(args.rows), title="客户档案")
        print(f"write workbook ({args.rows} rows): {time.perf_counter() - started:.2f} s")
        db = open_database(Path(tmp) / "bench.db")
        with db.session() as session, session.begin():
            ensure_reference_data(session)
            branch = Branch(name="鼓楼支局", level="sub")
            session.add(branch)
            session.flush()
            session.add(
                User(login="sup", display_name="林支局长", role="supervisor", branch_id=branch.id)
            )
        actor = actor_for(db, "sup")
        started = time.perf_counter()
        preview = customer_import.preview_import(db, actor, book)
        middle = time.perf_counter()
        result = customer_import.run_import(db, actor, preview, skip_invalid=False)
        done = time.perf_counter()
        assert result.ok and result.imported == args.rows, result.describe()[:2000]
        print(f"preview (read + check): {middle - started:.2f} s")
        print(f"run (store):            {done - middle:.2f} s")
        print(f"total:                  {done - started:.2f} s")
        db.dispose()


if __name__ == "__main__":
    main()
