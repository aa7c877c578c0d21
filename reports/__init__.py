"""Recaps, exports, imports, reconciliation and early warning for the village, kecamatan and kabupaten teams.

Guide: Bab I.F (targets), Bab IV (monitoring, the quarterly recap), Lampiran 2 (Format Pendataan ATS),
Lampiran 7 (the nine key indicators); seed 004 (gender-disaggregated data). See ``docs/reports.md``.

Entry points: :func:`reports.recap.build_recap`, :func:`reports.export.export_region`,
:func:`reports.export.export_responses`, :func:`reports.imports.import_file`, :func:`reports.reconcile.reconcile`,
:func:`reports.early_warning.at_risk` (and ``due_alerts`` / ``mark_alerted``).
"""
