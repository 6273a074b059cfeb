# tests/local.mk - unit tests (check_PROGRAMS) and capture-driven tests (shell).
