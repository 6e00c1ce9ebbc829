package org.postwarden.bench;

import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.management.ObjectName;

/**
 * Heap used by a reputation store holding {@code --hosts} distinct IPv4 clients (default 1,000,000) spread over
 * {@code --subnets} /24s (default 65,536): host {@code h} is host number {@code 1 + h / subnets} (1..16) of /24
 * number {@code h % subnets} ({@link Workload#subnetBase}), so every /24 holds 15 or 16 of them.
 *
 * <p>{@code --mode store} (default): with the embedded default config's store settings and counter layouts, each
 * host counts one connection and one recipient and gets one score weight, on its host key and on its /24 key (what
 * the engine does for a first RCPT). {@code --mode engine}: one RCPT decision per host through the real
 * {@link DecisionEngine} (default config plus the workload's local domains), so session marks and metrics are
 * included too.
 *
 * <p>Reports the used heap after a full GC before and after filling, the difference per client, and the top of the
 * class histogram. Run with a heap large enough to hold it (e.g. {@code -Xmx1g}); run with {@code -Xmx256m} to
 * check that it fits in 256 MB.
 */
@Command(name = "store-heap", mixinStandardHelpOptions = true,
        description = "Measures the heap used by the reputation store for many distinct clients.")
public final class StoreHeapMeasure implements Callable<Integer> {

    @Option(names = "--hosts", description = "distinct IPv4 clients (default: ${DEFAULT-VALUE})")
    int hosts = 1_000_000;

    @Option(names = "--subnets", description = "distinct /24s they are spread over (default: ${DEFAULT-VALUE})")
    int subnets = 65_536;

    @Option(names = "--mode", description = "store or engine (default: ${DEFAULT-VALUE})")
    String mode = "store";

    @Option(names = "--histogram", description = "class histogram lines to print, 0 for none (default: ${DEFAULT-VALUE})")
    int histogram = 20;

    public static void main(String[] args) {
        System.exit(new CommandLine(new StoreHeapMeasure()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (subnets < 1 || hosts < 1 || (hosts + subnets - 1) / subnets > 254) {
            System.err.println("need 1..254 hosts per /24: --hosts / --subnets is too large");
            return 2;
        }
        boolean engineMode = switch (mode) {
            case "store" -> false;
            case "engine" -> true;
            default -> {
                System.err.println("--mode: store or engine");
                yield false;
            }
        };
        if (!engineMode && !mode.equals("store")) {
            return 2;
        }
        ManualTimeSource time = new ManualTimeSource(System.currentTimeMillis());
        Rules rules = new Rules(BenchConfig.load(engineMode ? "default" : "embedded"));
        ReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        DecisionEngine engine = engineMode ? new DecisionEngine(rules, store, PostwardenMetrics.prometheus()) : null;
        if (engine != null) {
            warmEngine(engine);
        }
        long before = usedAfterGc();
        long t0 = System.nanoTime();
        double weight = rules.config().scoring().weights().heloNotFqdn();
        for (int h = 0; h < hosts; h++) {
            int a = Workload.hostAddress(h % subnets, 1 + h / subnets, subnets);
            if (engine != null) {
                engine.decideNow(new MailEvent("policy", SmtpStage.RCPT, Workload.toInet(a), 1024 + h % 60_000,
                        "mail.example.net", "mail.example.net", "sender@example.net", "user@example.com", "",
                        Integer.toHexString(h) + ".1", "", 0, 0));
            } else {
                ClientKey host = new ClientKey(KeyLevel.HOST, false, 32, 0, a & 0xFFFFFFFFL);
                ClientKey subnet = new ClientKey(KeyLevel.SUBNET, false, 24, 0, a & 0xFFFFFF00L);
                store.count(host, CounterType.CONNECTIONS, 1);
                store.count(subnet, CounterType.CONNECTIONS, 1);
                store.count(host, CounterType.RECIPIENTS, 1);
                store.count(subnet, CounterType.RECIPIENTS, 1);
                store.addScore(host, weight);
                store.addScore(subnet, weight);
            }
            if ((h & 0xFFF) == 0) {
                time.set(time.millis() + 1);
            }
        }
        long fillMillis = (System.nanoTime() - t0) / 1_000_000;
        store.cleanUp();
        long after = usedAfterGc();
        long delta = after - before;
        System.out.printf(Locale.ROOT, "mode %s: %,d hosts over %,d /24s filled in %,d ms; store holds %,d client "
                        + "keys, %,d session marks%n", mode, hosts, subnets, fillMillis, store.clientCount(),
                store.marks().size());
        System.out.printf(Locale.ROOT, "heap used after full GC: before %.1f MB, after %.1f MB, store %.1f MB "
                        + "(%.0f bytes per client key, %.0f bytes per host)%n", mb(before), mb(after), mb(delta),
                (double) delta / Math.max(1, store.clientCount()), (double) delta / hosts);
        System.out.printf(Locale.ROOT, "RESULT mode=%s hosts=%d store_mb=%.1f heap_after_mb=%.1f max_heap_mb=%.0f%n",
                mode, hosts, mb(delta), mb(after), mb(Runtime.getRuntime().maxMemory()));
        if (histogram > 0) {
            printHistogram(histogram);
        }
        Reference.reachabilityFence(store);
        Reference.reachabilityFence(engine);
        return 0;
    }

    /** Loads the classes and metrics the engine path creates on first use, so they are not counted as store. */
    private static void warmEngine(DecisionEngine engine) {
        engine.decideNow(new MailEvent("policy", SmtpStage.RCPT, Workload.toInet(0x0A000001), 1000,
                "mail.example.net", "mail.example.net", "sender@example.net", "user@example.com", "", "warm.1", "",
                0, 0));
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** The first lines of {@code jcmd PID GC.class_histogram}, taken in-process. */
    static void printHistogram(int lines) {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            String[] rows = String.valueOf(out).split("\n");
            System.out.println("class histogram (top " + lines + "):");
            for (int i = 0; i < Math.min(rows.length, lines + 2); i++) {
                System.out.println(rows[i]);
            }
            if (rows.length > 0) {
                System.out.println(rows[rows.length - 1]);
            }
        } catch (Exception e) {
            System.out.println("class histogram unavailable: " + e);
        }
    }
}
