package org.postwarden.policy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.Check;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;

import java.util.List;

/** Builds a daemon context on a manual clock for policy tests. */
public final class PolicyTestSupport {
    public static final long T0 = 1_800_000_000_000L - (1_800_000_000_000L % 86_400_000L);
    public final ManualTimeSource time = new ManualTimeSource(T0);
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    public final DaemonContext context;

    public PolicyTestSupport(String yaml) throws Exception {
        this(yaml, null);
    }

    public PolicyTestSupport(String yaml, List<Check> checks) throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", yaml));
        ReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        DecisionEngine engine = checks == null ? new DecisionEngine(rules, store, metrics)
                : new DecisionEngine(rules, store, metrics, checks);
        this.context = new DaemonContext(engine, metrics, time);
    }

    public static String request(String state, String client, int port, String rcpt) {
        return "request=smtpd_access_policy\nprotocol_state=" + state + "\nprotocol_name=ESMTP\nclient_address="
                + client + "\nclient_port=" + port + "\nclient_name=unknown\nhelo_name=mail.example.net\n"
                + "sender=a@example.net\nrecipient=" + rcpt + "\ninstance=" + client + "." + port
                + "\nqueue_id=\nsasl_username=\nsize=0\n\n";
    }
}
