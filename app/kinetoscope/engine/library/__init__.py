"""The library: videos in the user's folders, scanned once, indexed by action, searchable.

`database` opens the SQLite file (schema, migrations, a damaged file set aside); `identity` tells
files apart by path, size, time and sampled content; `folders` finds what changed on disk;
`indexer` scans what is new; `store` writes and reads scans; `search` answers "where does X happen".
"""
