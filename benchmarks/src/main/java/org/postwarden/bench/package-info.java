/**
 * Speed is measured here, never in tests: JMH benchmarks of the store, the engine, the policy decoder and pipeline,
 * DNSBL and the outbound guard, a Java policy load generator for profiling, and a heap measure for many clients.
 * The figures in docs/benchmarks.md come from the C tools of shared/perf (the ceiling and the generator), run
 * interleaved against the daemon; the Java generator shares the JIT and the cores with what it measures.
 *
 * <p>Thread-safety: each benchmark documents its own state. Known limits: the machine has two cores, so a
 * generator and the daemon compete; figures are ratios to the ceiling measured in the same run.
 */
package org.postwarden.bench;
