"""Repository functions: each public function is one short transaction on a :class:`storage.db.Database`."""
