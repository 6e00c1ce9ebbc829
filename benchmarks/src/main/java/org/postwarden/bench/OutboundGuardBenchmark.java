package org.postwarden.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.outbound.AlertSink;
import org.postwarden.outbound.OutboundGuard;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Decision;

import java.util.SplittableRandom;

/**
 * The outbound guard's cost per authenticated RCPT: 10,000 SASL users with 200 contacts each in 20 domains,
 * recipients drawn at random, every RCPT a new message (so the message path runs too). {@code guard=on}: the
 * engine with the guard ({@code checks.outbound} on); {@code guard=off}: the same engine and events without it.
 * Limits are raised 1000x and the guard's floors are high, so every decision is a DUNNO: the common path.
 */
@State(Scope.Benchmark)
public class OutboundGuardBenchmark extends BenchDefaults {
    static final int USERS = 10_000;
    static final int EVENTS = 1 << 16;
    static final String CONFIG = """
            store: {snapshot: {path: ""}}
            limits:
              host: {connections: [], messages: [], recipients: []}
              subnet: {connections: [], messages: [], recipients: []}
              wide: {connections: [], messages: [], recipients: []}
              sasl-user: {messages: [], recipients: []}
            outbound:
              state-path: ""
              floors: {messages: 1000000, recipients: 1000000, domains: 1000000, new-recipients: 1000000}
              ceilings: {messages: 10000000, recipients: 10000000, domains: 10000000, new-recipients: 10000000}
            """;

    @Param({"on", "off"})
    public String guard;

    DecisionEngine engine;
    MailEvent[] events;
    int i;

    @Setup
    public void setup() throws Exception {
        Rules rules = new Rules(ConfigLoader.load("outbound benchmark", CONFIG));
        DecisionEngine e = BenchSetup.engine(rules, PostwardenMetrics.prometheus(), null);
        if ("on".equals(guard)) {
            e = e.withOutbound(new OutboundGuard(rules, e.store(), new PostwardenMetrics(new SimpleMeterRegistry()),
                    AlertSink.NONE, null));
        }
        engine = e;
        SplittableRandom rnd = new SplittableRandom(42);
        events = new MailEvent[EVENTS];
        for (int k = 0; k < EVENTS; k++) {
            int user = rnd.nextInt(USERS);
            int contact = rnd.nextInt(200);
            java.net.InetAddress client = java.net.InetAddress.getByAddress(
                    new byte[] {10, (byte) (user >> 16), (byte) (user >> 8), (byte) user});
            events[k] = new MailEvent("policy", SmtpStage.RCPT, client, 40000 + (k & 8191),
                    "unknown", "laptop", "user" + user + "@example.org",
                    "c" + contact + "@d" + (contact % 20) + ".example", "user" + user + "@example.org",
                    "m" + k, "", 0, 0);
        }
        for (MailEvent ev : events) {
            engine.decideNow(ev);
        }
    }

    @Benchmark
    public Decision decideSaslRcpt() {
        MailEvent e = events[i];
        i = (i + 1) & (EVENTS - 1);
        return engine.decideNow(e);
    }
}
