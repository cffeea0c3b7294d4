"""HTTP: translates requests into calls into library/. Only the CLI imports it."""
