"""The test harness's real parts: the embedded broker (see shared.processes), a
throw-away PostgreSQL server (postgres), fresh databases per test (databases) and a
service running in-process under test (services). Each process starts on a free
loopback port and is stopped by process id by whoever started it."""
