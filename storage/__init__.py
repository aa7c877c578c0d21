"""Storage: models, short transactions, migrations, backups and NIK protection (see docs/storage.md)."""
