"""The test harness's real parts: the embedded broker (see shared.processes) and a
throw-away PostgreSQL server. Each starts on a free loopback port and is stopped
by process id by whoever started it."""
