"""Use cases over a database session: the only layer that opens transactions and checks
permissions.  Everything returned is plain data, safe to hand to another thread."""
