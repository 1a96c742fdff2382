"""Files in and out: Excel workbooks read for imports and written for exports.

Nothing here opens a database: ``io`` turns files into plain data (``rules`` dataclasses)
and back; the services decide what is stored and who may do it.
"""
