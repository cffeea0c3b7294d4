"""Pure functions over files and bytes. Nothing here knows the database."""
