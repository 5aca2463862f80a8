"""Importers: models drawn for other engines, turned into Cuebook bundles.

An importer reads the foreign files without running anything in them, translates what has
a Cuebook counterpart, marks what has not, and checks the result with the engine's own
bundle validation.
"""
