"""QTI helpers: markup conversion and package checks."""
