"""The benchmark suite behind `make bench` (`python -m tests.bench`).

One run measures every performance target of docs/architecture.md, on this
machine and in the same run, so ratios compare like with like:

- intake to routed through the gateway at a sustained open-loop rate;
- event pipeline throughput (outbox → broker → inbox) against raw aiokafka;
- gateway overhead against the direct service call it wraps;
- idle memory (PSS, with RSS and USS) of the whole embedded stack.

It is a measurement, not a test: missed targets are reported, not raised.
"""
