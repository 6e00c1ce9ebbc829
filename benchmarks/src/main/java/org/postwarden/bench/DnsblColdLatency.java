package org.postwarden.bench;

import org.postwarden.config.HostPort;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.DnsblLookup;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Cold- and warm-cache latency of a DNSBL lookup as a decision sees it: from {@link DnsblClient#lookup} to its
 * completion, one lookup at a time over distinct client addresses (cold: every zone is asked), then the same
 * addresses again (warm: cached). Needs a resolver, e.g. unbound on a loopback port serving local zones (see
 * docs/dnsbl.md); it only ever sends queries to the address given.
 *
 * <pre>java -cp benchmarks.jar org.postwarden.bench.DnsblColdLatency --resolver 127.0.0.1:5353 \
 *     --zone bl.test*5 --zone wl.test*-5 --clients 2000</pre>
 */
@Command(name = "dnsbl-cold-latency", mixinStandardHelpOptions = true,
        description = "DNSBL lookup latency, cold and cached, against the resolver given")
public final class DnsblColdLatency implements Callable<Integer> {
    @Option(names = "--resolver", required = true, description = "host:port of the resolver")
    String resolver;

    @Option(names = "--zone", required = true, description = "client-IP zone entry, repeatable")
    List<String> zones;

    @Option(names = "--clients", description = "distinct client addresses (default: ${DEFAULT-VALUE})")
    int clients = 2000;

    @Option(names = "--timeout-ms", description = "dnsbl.timeout in ms (default: ${DEFAULT-VALUE})")
    int timeoutMs = 1000;

    public static void main(String[] args) {
        System.exit(new CommandLine(new DnsblColdLatency()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<DnsblZone> parsed = new ArrayList<>();
        for (String z : zones) {
            parsed.add(DnsblZoneParser.parse(z, ZoneKind.CLIENT_IP));
        }
        DnsblSettings s = new DnsblSettings(HostPort.parse(resolver).socketAddress(), Duration.ofMillis(timeoutMs),
                Duration.ofMillis(timeoutMs), 1000, 1_000_000, Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofSeconds(10), parsed, List.of(CodeFilter.parse("127.255.255.[0..255]")), "", List.of(),
                Duration.ofMinutes(10));
        try (DnsblClient client = DnsblClient.create(s, PostwardenMetrics.prometheus(), TimeSource.SYSTEM)) {
            // JIT warm-up on addresses not measured afterwards.
            run(client, 20_000, Math.min(clients, 500), new LatencyHistogram());
            LatencyHistogram cold = new LatencyHistogram();
            int failed = run(client, 0, clients, cold);
            LatencyHistogram warm = new LatencyHistogram();
            run(client, 0, clients, warm);
            print("cold", cold, failed);
            print("cached", warm, 0);
        }
        return 0;
    }

    private static int run(DnsblClient client, int offset, int n, LatencyHistogram h) {
        int failed = 0;
        for (int i = 0; i < n; i++) {
            int a = (10 << 24) | (offset + i + 1);
            InetAddress ip = Workload.toInet(a);
            long t = System.nanoTime();
            DnsblLookup l = client.lookup(ip, null, null).join();
            h.record(System.nanoTime() - t);
            if (!l.client().problems().isEmpty()) {
                failed++;
            }
        }
        return failed;
    }

    private static void print(String what, LatencyHistogram h, int failed) {
        System.out.printf(Locale.ROOT, "%-6s n=%d p50=%.3fms p90=%.3fms p99=%.3fms max=%.3fms failed=%d%n", what,
                h.count(), h.percentile(50) / 1e6, h.percentile(90) / 1e6, h.percentile(99) / 1e6, h.max() / 1e6,
                failed);
    }
}
