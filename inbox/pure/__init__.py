"""Helpers without database access: plain functions over text, numbers, files and times.

Nothing here reads or writes the database (an import-linter contract keeps it so), so each
module can be used and tested on its own, from any layer.
"""
