package org.postwarden.bench;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.SplittableRandom;

/**
 * The synthetic client population shared by the benchmarks and the load generator: {@code n} distinct IPv4 clients
 * with a Zipf-like popularity (a few clients send most of the mail, most clients send little), and a small share
 * of misbehaving clients.
 *
 * <p>Addressing: client {@code i} lives in /24 number {@code i % subnets} as host {@code 1 + i / subnets}, with
 * {@code subnets = ceil(n / 16)}: every /24 holds 15-16 clients (100,000 clients over 6,250 /24s). See
 * {@link #subnetBase(int)} for where the /24s are. Popularity: rank {@code r} (0 = most active) is drawn with
 * probability proportional to {@code 1 / (r + 1)^s} (default {@code s = 0.99}, as in YCSB), and ranks are mapped to
 * clients through a fixed pseudo-random permutation, so hot clients are scattered over the /24s.
 *
 * <p>Bad clients: every client of each 50th /24 (2% of the clients) is a bot: it HELOs with a generic
 * {@code WIN-XXXXXXXX} name, has no reverse DNS, and sends 30% of its recipients to foreign domains (relay
 * attempts). All other clients HELO with their own FQDN and send to the local domains.
 *
 * <p>Immutable after construction; safe to share between threads.
 */
public final class Workload {
    public static final int DEFAULT_CLIENTS = 100_000;
    public static final double DEFAULT_ZIPF = 0.99;
    /** Recipient domains that are "ours" (configure them as {@code networks.local-domains}). */
    public static final String[] LOCAL_DOMAINS = {"example.com", "example.net", "example.org"};
    /** The configuration overlay every benchmark lays over the embedded default: our local domains. */
    public static final String LOCAL_DOMAINS_YAML =
            "networks:\n  local-domains: [example.com, example.net, example.org]\n";
    static final int HOSTS_PER_SUBNET = 16;

    private final int n;
    private final int subnets;
    private final int[] address;
    private final String[] addressText;
    private final InetAddress[] inet;
    private final String[] name;
    private final String[] helo;
    private final boolean[] bad;
    private final int[] rankToClient;
    private final double[] cdf;

    public Workload(int clients, double zipfExponent, long seed) {
        if (clients < 1 || clients > 16_000_000) {
            throw new IllegalArgumentException("clients: " + clients + " (expected: 1..16000000)");
        }
        this.n = clients;
        this.subnets = (clients + HOSTS_PER_SUBNET - 1) / HOSTS_PER_SUBNET;
        this.address = new int[n];
        this.addressText = new String[n];
        this.inet = new InetAddress[n];
        this.name = new String[n];
        this.helo = new String[n];
        this.bad = new boolean[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            int subnet = i % subnets;
            int a = hostAddress(subnet, 1 + i / subnets, subnets);
            address[i] = a;
            addressText[i] = toText(a);
            inet[i] = toInet(a);
            bad[i] = subnet % 50 == 7;
            if (bad[i]) {
                name[i] = "unknown";
                helo[i] = "WIN-" + alnum(r, 8);
            } else {
                String fqdn = "mx" + (i % 7) + "-" + Integer.toHexString(a) + ".mail.isp" + (subnet % 997) + ".example";
                // 10% of legitimate clients have no (verified) reverse DNS but still HELO with an FQDN.
                name[i] = r.nextInt(10) == 0 ? "unknown" : fqdn;
                helo[i] = fqdn;
            }
        }
        this.rankToClient = new int[n];
        for (int i = 0; i < n; i++) {
            rankToClient[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = rankToClient[i];
            rankToClient[i] = rankToClient[j];
            rankToClient[j] = t;
        }
        this.cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1.0 / Math.pow(k + 1, zipfExponent);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
        cdf[n - 1] = 1.0;
    }

    public Workload() {
        this(DEFAULT_CLIENTS, DEFAULT_ZIPF, 42);
    }

    /**
     * The IPv4 address (as an int) of host {@code host} (1..254) in /24 number {@code subnet} of {@code total}.
     * The /24s are spread over 20.0.0.0/8 .. 99.0.0.0/8 (public unicast space, no private or reserved ranges):
     * consecutive subnet indices go to consecutive first octets, and within a first octet the index is multiplied
     * by an odd constant modulo 2^16 so neighbouring indices land far apart.
     */
    public static int hostAddress(int subnet, int host, int total) {
        if (host < 1 || host > 254) {
            throw new IllegalArgumentException("host: " + host + " (expected: 1..254)");
        }
        return subnetBase(subnet) | host;
    }

    /** The network address of /24 number {@code subnet} (0 .. 5,242,879). */
    public static int subnetBase(int subnet) {
        // 80 first octets (20..99) x 65,536 /24s each = 5,242,880 distinct /24s; 0x9E3779B1 is odd, so the map
        // index -> (index * k) mod 2^16 is a bijection within each first octet.
        if (subnet < 0 || subnet >= 80 * 65_536) {
            throw new IllegalArgumentException("subnet: " + subnet + " (expected: 0..5242879)");
        }
        int hi = 20 + subnet % 80;
        int lo = (subnet / 80) * 0x9E3779B1 & 0xFFFF;
        return hi << 24 | lo << 8;
    }

    public static String toText(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xFF) + "." + (a >>> 8 & 0xFF) + "." + (a & 0xFF);
    }

    public static InetAddress toInet(int a) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8),
                (byte) a});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static String alnum(SplittableRandom r, int len) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append(chars.charAt(r.nextInt(chars.length())));
        }
        return sb.toString();
    }

    /** Draws a client index with the Zipf popularity. */
    public int sampleClient(SplittableRandom r) {
        double u = r.nextDouble();
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return rankToClient[lo];
    }

    public int clients() {
        return n;
    }

    public int subnets() {
        return subnets;
    }

    public int address(int client) {
        return address[client];
    }

    public String addressText(int client) {
        return addressText[client];
    }

    public InetAddress inet(int client) {
        return inet[client];
    }

    /** Verified client name ({@code client_name}), "unknown" when the client has no forward-confirmed rDNS. */
    public String clientName(int client) {
        return name[client];
    }

    public String helo(int client) {
        return helo[client];
    }

    public boolean bad(int client) {
        return bad[client];
    }

    /** Share of the draws that go to bad clients (computed from the popularity table). */
    public double badShare() {
        double share = 0;
        for (int k = 0; k < n; k++) {
            if (bad[rankToClient[k]]) {
                share += cdf[k] - (k == 0 ? 0 : cdf[k - 1]);
            }
        }
        return share;
    }

    /** Share of the draws that go to the {@code top} most popular clients. */
    public double topShare(int top) {
        return cdf[Math.min(top, n) - 1];
    }
}
