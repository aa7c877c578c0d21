"""The bottom layer every package may use: settings, languages and translation, roles and authorisation, field
visibility, how answers and places are presented, and operator errors.

It imports only ``flows`` (pure) and libraries, never the database layer, the bot, the dashboard or the command line
(``tests/unit/test_layers.py`` checks it).
"""
