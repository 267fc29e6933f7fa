"""The motion renderer behind the bundled demo model and the tests (numpy only)."""
