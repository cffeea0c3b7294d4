"""The library: roots and items on disk and in the database. Knows no HTTP."""
