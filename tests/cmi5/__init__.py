"""cmi5 tests: the course structure, and launches against a real LRS (Ralph)."""
