"""The teams' web dashboard (the guide's Lampiran 1): server-rendered pages over the same domain, storage,
authorisation, field visibility and catalogs as the chat. Start it with ``ats-bot web``."""
