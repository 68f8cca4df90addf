"""QTI 2.1 export tests."""
