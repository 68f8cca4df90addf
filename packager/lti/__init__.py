"""LTI 1.3 / LTI Advantage tool server: launches bundles, grades on the server, sends scores."""
