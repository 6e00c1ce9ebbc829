package org.postwarden.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * (Over 400 lines on purpose: one self-contained tool whose options, event loop and report read best in one place;
 * it is not part of the daemon.)
 *
 * <p>Policy-delegation load generator: {@code N} persistent connections to a policy server on loopback, each with
 * exactly one outstanding request at a time (like a Postfix {@code smtpd} process), sending full Postfix RCPT
 * attribute sets for a skewed population of distinct clients ({@link Workload}, {@link PolicyTraffic}).
 *
 * <p>A closed loop: throughput is what the server (and this generator, on the same machine) can sustain, latency
 * is measured from just before a request is written to when its reply ({@code action=...} and the empty line) has
 * been read. Non-blocking sockets on a few selector threads, so the generator itself costs little CPU.
 *
 * <p>Bounded: stops after {@code --duration} (and, when given, after {@code --requests} measured requests),
 * following a {@code --warmup} whose requests are not counted. Refuses any address that is not loopback.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.postwarden.bench.PolicyLoadGenerator -c 64 -d 30s</pre>
 */
@Command(name = "policy-load", mixinStandardHelpOptions = true,
        description = "Closed-loop load generator for a Postfix policy-delegation server (loopback only).")
public final class PolicyLoadGenerator implements Callable<Integer> {

    @Option(names = "--host", description = "server address; must be loopback (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, description = "server port (default: ${DEFAULT-VALUE})")
    int port = 10033;

    @Option(names = {"-c", "--connections"}, description = "persistent connections (default: ${DEFAULT-VALUE})")
    int connections = 8;

    @Option(names = {"-d", "--duration"}, description = "measurement time, e.g. 30s (default: ${DEFAULT-VALUE})")
    String duration = "30s";

    @Option(names = {"-w", "--warmup"}, description = "warm-up time, not counted (default: ${DEFAULT-VALUE})")
    String warmup = "10s";

    @Option(names = {"-n", "--requests"},
            description = "stop after this many measured requests (0: duration only; default: ${DEFAULT-VALUE})")
    long requests;

    @Option(names = "--clients", description = "distinct client addresses (default: ${DEFAULT-VALUE})")
    int clients = Workload.DEFAULT_CLIENTS;

    @Option(names = "--zipf", description = "popularity skew exponent (default: ${DEFAULT-VALUE})")
    double zipf = Workload.DEFAULT_ZIPF;

    @Option(names = "--threads", description = "generator selector threads (default: ${DEFAULT-VALUE})")
    int threads = 1;

    @Option(names = "--timeout", description = "a reply slower than this is an error (default: ${DEFAULT-VALUE})")
    String timeout = "10s";

    @Option(names = "--seed", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed = 1;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PolicyLoadGenerator()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        InetAddress address = InetAddress.getByName(host);
        if (!address.isLoopbackAddress()) {
            System.err.println("refusing " + host + ": the load generator only targets loopback addresses");
            return 2;
        }
        if (connections < 1 || threads < 1 || clients < 1) {
            System.err.println("--connections, --threads and --clients must be at least 1");
            return 2;
        }
        Duration measure = parse(duration);
        Duration warm = parse(warmup);
        long timeoutNanos = parse(timeout).toNanos();
        InetSocketAddress target = new InetSocketAddress(address, port);
        long t0 = System.nanoTime();
        Workload workload = new Workload(clients, zipf, seed);
        System.out.printf(Locale.ROOT, "workload: %d clients over %d /24s, zipf %.2f (top 1%% of clients: %.0f%% of "
                        + "sessions; bad clients: %.1f%% of sessions), built in %d ms%n", workload.clients(),
                workload.subnets(), zipf, 100 * workload.topShare(Math.max(1, clients / 100)),
                100 * workload.badShare(), (System.nanoTime() - t0) / 1_000_000);

        Shared shared = new Shared(requests, timeoutNanos);
        int nThreads = Math.min(threads, connections);
        List<Worker> workers = new ArrayList<>();
        for (int t = 0; t < nThreads; t++) {
            workers.add(new Worker(t, shared));
        }
        try {
            for (int c = 0; c < connections; c++) {
                workers.get(c % nThreads).connect(target, new PolicyTraffic(workload, seed * 1_000_003L + c));
            }
        } catch (IOException e) {
            System.err.println("cannot connect to " + target + ": " + e.getMessage());
            return 1;
        }
        System.out.printf(Locale.ROOT, "connected %d connections to %s (%d generator threads); warm-up %s, "
                + "measure %s%s%n", connections, target, nThreads, warmup, duration,
                requests > 0 ? " or " + requests + " requests" : "");
        List<Thread> running = new ArrayList<>();
        for (Worker w : workers) {
            Thread th = new Thread(w, "load-" + w.id);
            th.start();
            running.add(th);
        }
        sleep(warm.toNanos(), shared);
        shared.measureStart = System.nanoTime();
        shared.measuring = true;
        sleep(measure.toNanos(), shared);
        shared.stop = true;
        for (Thread th : running) {
            th.join();
        }
        report(workers, shared);
        return 0;
    }

    private static void sleep(long nanos, Shared shared) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        while (!shared.budgetExhausted() && !shared.allDead() && System.nanoTime() < end) {
            Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    static Duration parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(new CommandLine(new PolicyLoadGenerator()),
                    "bad duration '" + s + "' (expected e.g. 500ms, 30s, 2m)");
        }
    }

    private void report(List<Worker> workers, Shared shared) {
        LatencyHistogram h = new LatencyHistogram();
        Map<String, Long> actions = new HashMap<>();
        Map<String, Long> errors = new HashMap<>();
        long measured = 0;
        long lastReply = shared.measureStart;
        for (Worker w : workers) {
            h.add(w.histogram);
            w.actions.forEach((k, v) -> actions.merge(k, v, Long::sum));
            w.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
            measured += w.measured;
            lastReply = Math.max(lastReply, w.lastMeasuredReply);
        }
        long replies = measured;
        double seconds = Math.max(1e-9, (lastReply - shared.measureStart) / 1e9);
        double rate = replies / seconds;
        System.out.printf(Locale.ROOT, "%nmeasured %d replies in %.2f s on %d connections: %.0f req/s%n", replies,
                seconds, connections, rate);
        System.out.printf(Locale.ROOT, "latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
                h.mean() / 1e6, ms(h.percentile(50)), ms(h.percentile(90)), ms(h.percentile(99)),
                ms(h.percentile(99.9)), ms(h.max()));
        System.out.println("actions:");
        actions.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> System.out.printf(Locale.ROOT, "  %9d  %5.1f%%  %s%n", e.getValue(),
                        100.0 * e.getValue() / Math.max(1, replies), e.getKey()));
        long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
        System.out.println("errors: " + errorCount + (errors.isEmpty() ? "" : " " + new java.util.TreeMap<>(errors)));
        System.out.printf(Locale.ROOT, "RESULT connections=%d req_per_s=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
                        + "max_ms=%.3f replies=%d errors=%d%n", connections, rate, ms(h.percentile(50)),
                ms(h.percentile(90)), ms(h.percentile(99)), ms(h.max()), replies, errorCount);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** What the main thread and the workers share. */
    static final class Shared {
        final AtomicLong budget;
        final long timeoutNanos;
        final AtomicLong alive = new AtomicLong();
        volatile boolean measuring;
        volatile long measureStart = Long.MAX_VALUE;
        volatile boolean stop;

        Shared(long requests, long timeoutNanos) {
            this.budget = requests > 0 ? new AtomicLong(requests) : null;
            this.timeoutNanos = timeoutNanos;
        }

        /** Claims one measured request; false when the request budget is used up. */
        boolean claim() {
            return budget == null || !measuring || budget.getAndDecrement() > 0;
        }

        boolean budgetExhausted() {
            return budget != null && measuring && budget.get() <= 0;
        }

        boolean allDead() {
            return alive.get() == 0;
        }
    }

    /** One connection's state. */
    static final class Conn {
        final InetSocketAddress target;
        final PolicyTraffic traffic;
        final ByteBuffer out = ByteBuffer.allocateDirect(16 * 1024);
        final ByteBuffer in = ByteBuffer.allocateDirect(4 * 1024);
        SocketChannel channel;
        SelectionKey key;
        long sentAt;
        boolean outstanding;
        boolean dead;

        Conn(InetSocketAddress target, PolicyTraffic traffic) {
            this.target = target;
            this.traffic = traffic;
        }
    }

    /** A selector thread driving a share of the connections. */
    static final class Worker implements Runnable {
        final int id;
        final Shared shared;
        final Selector selector;
        final List<Conn> conns = new ArrayList<>();
        final LatencyHistogram histogram = new LatencyHistogram();
        final Map<String, Long> actions = new HashMap<>();
        final Map<String, Long> errors = new HashMap<>();
        final StringBuilder sb = new StringBuilder(2048);
        final byte[] replyBytes = new byte[4 * 1024];
        long measured;
        long lastMeasuredReply;

        Worker(int id, Shared shared) throws IOException {
            this.id = id;
            this.shared = shared;
            this.selector = Selector.open();
        }

        void connect(InetSocketAddress target, PolicyTraffic traffic) throws IOException {
            Conn c = new Conn(target, traffic);
            open(c);
            conns.add(c);
            shared.alive.incrementAndGet();
        }

        private void open(Conn c) throws IOException {
            SocketChannel ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(c.target);
            ch.configureBlocking(false);
            c.channel = ch;
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
            c.in.clear();
            c.out.clear().flip();
            c.outstanding = false;
        }

        @Override
        public void run() {
            try {
                for (Conn c : conns) {
                    sendNext(c);
                }
                long lastTimeoutCheck = System.nanoTime();
                while (true) {
                    selector.select(50);
                    for (SelectionKey k : selector.selectedKeys()) {
                        Conn c = (Conn) k.attachment();
                        if (!k.isValid() || c.dead) {
                            continue;
                        }
                        try {
                            if (k.isWritable()) {
                                flush(c);
                            }
                            if (k.isValid() && k.isReadable()) {
                                read(c);
                            }
                        } catch (IOException e) {
                            fail(c, e.getMessage() == null ? e.getClass().getSimpleName() : "io: " + e.getMessage());
                        }
                    }
                    selector.selectedKeys().clear();
                    long now = System.nanoTime();
                    if (now - lastTimeoutCheck > 100_000_000L) {
                        lastTimeoutCheck = now;
                        for (Conn c : conns) {
                            if (!c.dead && c.outstanding && now - c.sentAt > shared.timeoutNanos) {
                                fail(c, "timeout");
                            }
                        }
                    }
                    if (shared.stop || shared.budgetExhausted()) {
                        boolean waiting = false;
                        for (Conn c : conns) {
                            waiting |= !c.dead && c.outstanding;
                        }
                        if (!waiting) {
                            break;
                        }
                    }
                    if (conns.stream().allMatch(c -> c.dead)) {
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                errors.merge("generator: " + e, 1L, Long::sum);
            } finally {
                for (Conn c : conns) {
                    try {
                        c.channel.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
                try {
                    selector.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        private void fail(Conn c, String what) {
            errors.merge(what, 1L, Long::sum);
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // already broken
            }
            if (shared.stop) {
                markDead(c);
                return;
            }
            try {
                open(c); // like smtpd: reconnect and go on
                sendNext(c);
            } catch (IOException e) {
                errors.merge("reconnect failed", 1L, Long::sum);
                markDead(c);
            }
        }

        private void markDead(Conn c) {
            if (!c.dead) {
                c.dead = true;
                c.outstanding = false;
                shared.alive.decrementAndGet();
            }
        }

        private void sendNext(Conn c) throws IOException {
            if (shared.stop || !shared.claim()) {
                return;
            }
            sb.setLength(0);
            PolicyTraffic.appendRequest(c.traffic.next(), sb);
            byte[] request = sb.toString().getBytes(StandardCharsets.ISO_8859_1); // all ASCII: two array copies
            c.out.clear();
            c.out.put(request).flip();
            c.in.clear();
            c.outstanding = true;
            c.sentAt = System.nanoTime();
            flush(c);
        }

        private void flush(Conn c) throws IOException {
            c.channel.write(c.out);
            if (c.out.hasRemaining()) {
                c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            } else if ((c.key.interestOps() & SelectionKey.OP_WRITE) != 0) {
                c.key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void read(Conn c) throws IOException {
            int n = c.channel.read(c.in);
            if (n < 0) {
                fail(c, "closed by server");
                return;
            }
            int len = c.in.position();
            if (len < 2 || c.in.get(len - 1) != '\n' || c.in.get(len - 2) != '\n') {
                if (!c.in.hasRemaining()) {
                    fail(c, "reply too long");
                }
                return;
            }
            long now = System.nanoTime();
            if (!c.outstanding) {
                fail(c, "unexpected reply");
                return;
            }
            c.outstanding = false;
            c.in.flip();
            c.in.get(replyBytes, 0, len);
            c.in.clear();
            String reply = new String(replyBytes, 0, len - 2, StandardCharsets.UTF_8);
            if (!reply.startsWith("action=") || reply.indexOf('\n') >= 0) {
                errors.merge("malformed reply", 1L, Long::sum);
            } else if (shared.measuring && c.sentAt >= shared.measureStart) {
                measured++;
                lastMeasuredReply = now;
                histogram.record(now - c.sentAt);
                actions.merge(actionKey(reply.substring(7)), 1L, Long::sum);
            }
            sendNext(c);
        }
    }

    /**
     * Groups replies by kind: the access(5) action word, with the SMTP codes and the first words of the text for
     * numeric replies ({@code 450 4.7.1 rate limit}, {@code 550 5.7.1 poor reputation}).
     */
    static String actionKey(String action) {
        String[] w = action.split(" ", 6);
        if (w.length > 0 && !w[0].isEmpty() && Character.isDigit(w[0].charAt(0))) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(4, w.length); i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(w[i].replace(":", ""));
            }
            return sb.toString();
        }
        if (w[0].equals("PREPEND") && w.length > 1) {
            return "PREPEND " + w[1];
        }
        return w[0];
    }
}
