"""The case workflow of Gerakan KUDU Sekolah: from a neighbour's tip to a child back in class, and kept there.

- :mod:`cases.lifecycle` — the statuses and the moves between them (one ``transitions`` machine; pure).
- :mod:`cases.service` — the moves applied to stored cases, with history, audit, assignments, enrolments.
- :mod:`cases.schools` — the district's school list (CSV import, search for the parent's choice).
- :mod:`cases.documents` — the printable Surat Pernyataan (Lampiran 8) and Pemilihan Sekolah (Lampiran 9).
- :mod:`cases.messages` — every message id the domain gives a person (English ids, translated in ``locales/``).

This package deliberately imports nothing here, so that ``import cases.lifecycle`` stays free of the database.
"""
