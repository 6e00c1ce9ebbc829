package org.postwarden.outbound;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Decay;

import java.util.Arrays;

/**
 * What one sender normally does, and what it does right now.
 *
 * <p>Counts are kept per clock hour: the current hour and the one before. "Right now" is a sliding hour, estimated
 * as {@code previous x (1 - elapsed share of the current hour) + current}. When an hour with activity is over, its
 * counts are folded into the <b>baseline</b>, an exponentially decaying average of the sender's active hours:
 * {@code baseline = w x baseline + (1 - w) x count} with {@code w = 2^(-hours since the last active hour /
 * half-life)}. Idle hours are not averaged in (a user who sends in office hours is compared with office hours), but
 * time still decays the old baseline, so after a long silence the next active hour weighs more. The first active
 * hour sets the baseline. An hour with an anomaly, and any hour that ends while the sender is suspended, is
 * never folded: a burst must not become the sender's normal.
 *
 * <p>The threshold of each count is {@code min(ceiling, max(floor, factor x baseline))}, times
 * {@code new-network.factor} for a while after a login from a network the sender never used.
 *
 * <p>Not thread-safe: {@link OutboundGuard} synchronizes on the profile, and so does its codec
 * ({@link OutboundState}: profiles are store state, persisted by the store snapshot). Bounded: at most
 * {@link #MAX_DOMAINS} domains and {@link #MAX_FINGERPRINTS} fingerprints per hour, {@code known-recipients}
 * recipients, and {@link #MAX_NETWORKS} networks are remembered (further ones are counted as new, which errs
 * towards caution).
 */
final class SenderProfile {
    static final int MESSAGES = 0;
    static final int RECIPIENTS = 1;
    static final int DOMAINS = 2;
    static final int NEW_RECIPIENTS = 3;
    static final int DIMENSIONS = 4;
    static final String[] DIMENSION_NAMES = {"messages", "recipients", "domains", "new-recipients"};
    static final long HOUR = 3_600_000L;
    static final int MAX_DOMAINS = 4096;
    static final int MAX_FINGERPRINTS = 16;
    static final int MAX_NETWORKS = 16;
    static final long NO_HOUR = Long.MIN_VALUE;

    long hour = NO_HOUR;
    final long[] current = new long[DIMENSIONS];
    final long[] previous = new long[DIMENSIONS];
    final double[] baseline = new double[DIMENSIONS];
    long lastActiveHour = NO_HOUR;
    long activeHours;
    long lastSeenMillis;
    /** The current hour had an anomaly (also in dry-run): it is not folded into the baseline either. */
    boolean anomalous;

    // distinct recipient domains of the current hour (hashes; open addressing grows up to MAX_DOMAINS)
    private int[] domains = new int[16];
    private int domainCount;

    // recipients this sender wrote to before (hashes, a ring: the oldest is forgotten first)
    int[] known;
    int knownSize;
    int knownNext;

    // client networks used (SASL users only)
    String[] networks = new String[0];
    long newNetworkUntil;

    // delivery results: [sent, failed] of the current and previous hour
    final long[] outcomes = new long[2];
    final long[] previousOutcomes = new long[2];

    // recipients per content fingerprint, current and previous hour
    long[] fingerprints = new long[0];
    long[] fingerprintRecipients = new long[0];
    long[] previousFingerprints = new long[0];
    long[] previousFingerprintRecipients = new long[0];

    SenderProfile(int knownCapacity) {
        this.known = new int[knownCapacity];
    }

    /**
     * Moves the hour buckets forward to {@code now}, folding a finished active hour into the baseline unless the
     * sender is {@code suspended} (a burst must never become its normal).
     */
    void roll(long now, PostwardenConfig.Baseline settings, boolean suspended) {
        long h = Math.floorDiv(now, HOUR);
        if (hour == NO_HOUR) {
            hour = h;
            return;
        }
        if (h <= hour) {
            return;
        }
        if (!suspended) {
            fold(settings);
        }
        if (h == hour + 1) {
            System.arraycopy(current, 0, previous, 0, DIMENSIONS);
            System.arraycopy(outcomes, 0, previousOutcomes, 0, 2);
            previousFingerprints = fingerprints;
            previousFingerprintRecipients = fingerprintRecipients;
        } else {
            Arrays.fill(previous, 0);
            Arrays.fill(previousOutcomes, 0);
            previousFingerprints = new long[0];
            previousFingerprintRecipients = new long[0];
        }
        Arrays.fill(current, 0);
        Arrays.fill(outcomes, 0);
        anomalous = false;
        fingerprints = new long[0];
        fingerprintRecipients = new long[0];
        if (domains.length > 16) {
            domains = new int[16];
        } else {
            Arrays.fill(domains, 0);
        }
        domainCount = 0;
        hour = h;
    }

    private void fold(PostwardenConfig.Baseline settings) {
        if (anomalous || current[MESSAGES] == 0 && current[RECIPIENTS] == 0) {
            return;
        }
        double w = 0;
        if (lastActiveHour != NO_HOUR) {
            double halfLifeHours = settings.halfLife().toMillis() / (double) HOUR;
            w = Decay.decayed(1, hour - lastActiveHour, halfLifeHours);
        }
        for (int i = 0; i < DIMENSIONS; i++) {
            baseline[i] = w * baseline[i] + (1 - w) * current[i];
        }
        lastActiveHour = hour;
        activeHours++;
    }

    /** Share of the current hour that has passed at {@code now} (0..1). */
    private double elapsed(long now) {
        return Math.min(1, Math.max(0, (now - hour * HOUR) / (double) HOUR));
    }

    /** The sliding-hour estimate of dimension {@code d} at {@code now}. */
    double recent(int d, long now) {
        return previous[d] * (1 - elapsed(now)) + current[d];
    }

    /** The threshold of dimension {@code d}: the baseline times the factor, within floor and ceiling. */
    double threshold(int d, PostwardenConfig.Outbound o, long now) {
        double t = Math.min(dim(o.ceilings(), d), Math.max(dim(o.floors(), d), o.baseline().factor() * baseline[d]));
        return newNetwork(now) ? t * o.newNetwork().factor() : t;
    }

    static long dim(PostwardenConfig.Dimensions x, int d) {
        return switch (d) {
            case MESSAGES -> x.messages();
            case RECIPIENTS -> x.recipients();
            case DOMAINS -> x.domains();
            default -> x.newRecipients();
        };
    }

    boolean newNetwork(long now) {
        return now < newNetworkUntil;
    }

    void message() {
        current[MESSAGES]++;
    }

    /** Counts recipients known only by number (END-OF-MESSAGE without RCPT events): no domain, no novelty. */
    void recipients(int n) {
        current[RECIPIENTS] += n;
    }

    /** Counts one recipient: its domain towards the distinct domains, and whether the sender wrote to it before. */
    void recipient(String address, String domain) {
        current[RECIPIENTS]++;
        if (!domain.isEmpty() && addDomain(mix(domain.hashCode()))) {
            current[DOMAINS]++;
        }
        int h = mix(address.toLowerCase(java.util.Locale.ROOT).hashCode());
        if (!knows(h)) {
            current[NEW_RECIPIENTS]++;
            known[knownNext] = h;
            knownNext = (knownNext + 1) % known.length;
            knownSize = Math.min(knownSize + 1, known.length);
        }
    }

    private boolean knows(int h) {
        for (int i = 0; i < knownSize; i++) {
            if (known[i] == h) {
                return true;
            }
        }
        return false;
    }

    /** Adds a domain hash to this hour's set; true when it was not there (or the set is full). */
    private boolean addDomain(int h) {
        int key = h == 0 ? 1 : h;
        if (domainCount >= MAX_DOMAINS) {
            return true;
        }
        if ((domainCount + 1) * 2 > domains.length) {
            int[] old = domains;
            domains = new int[old.length * 2];
            domainCount = 0;
            for (int k : old) {
                if (k != 0) {
                    insert(k);
                }
            }
        }
        return insert(key);
    }

    private boolean insert(int key) {
        int mask = domains.length - 1;
        int i = key & mask;
        while (domains[i] != 0) {
            if (domains[i] == key) {
                return false;
            }
            i = (i + 1) & mask;
        }
        domains[i] = key;
        domainCount++;
        return true;
    }

    /** Records the client network; true when it is one this sender (with a history) never used before. */
    boolean network(String net, long now, java.time.Duration window) {
        for (String n : networks) {
            if (n.equals(net)) {
                return false;
            }
        }
        boolean fresh = networks.length > 0 && activeHours > 0;
        if (networks.length < MAX_NETWORKS) {
            networks = Arrays.copyOf(networks, networks.length + 1);
        } else {
            System.arraycopy(networks, 1, networks, 0, networks.length - 1);
        }
        networks[networks.length - 1] = net;
        if (fresh) {
            newNetworkUntil = now + window.toMillis();
        }
        return fresh;
    }

    /** Adds {@code recipients} to content fingerprint {@code fp}; returns its sliding-hour estimate. */
    double fingerprint(long fp, long recipients, long now) {
        int i = indexOf(fingerprints, fp);
        if (i < 0) {
            if (fingerprints.length < MAX_FINGERPRINTS) {
                fingerprints = Arrays.copyOf(fingerprints, fingerprints.length + 1);
                fingerprintRecipients = Arrays.copyOf(fingerprintRecipients, fingerprintRecipients.length + 1);
                i = fingerprints.length - 1;
            } else {
                i = smallest(fingerprintRecipients);
                fingerprintRecipients[i] = 0;
            }
            fingerprints[i] = fp;
        }
        fingerprintRecipients[i] += recipients;
        int p = indexOf(previousFingerprints, fp);
        double before = p < 0 ? 0 : previousFingerprintRecipients[p] * (1 - elapsed(now));
        return before + fingerprintRecipients[i];
    }

    private static int indexOf(long[] a, long v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static int smallest(long[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] < a[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Forgets the counts of the current and previous hour (an admin released the sender after a burst). */
    void forgetRecent() {
        Arrays.fill(current, 0);
        Arrays.fill(previous, 0);
        Arrays.fill(domains, 0);
        domainCount = 0;
        fingerprints = new long[0];
        fingerprintRecipients = new long[0];
        previousFingerprints = new long[0];
        previousFingerprintRecipients = new long[0];
    }

    /** Records one delivery result. */
    void outcome(boolean failed) {
        outcomes[failed ? 1 : 0]++;
    }

    /** Sliding-hour delivery results: {sent + failed, failed}. */
    double[] recentOutcomes(long now) {
        double keep = 1 - elapsed(now);
        double failed = previousOutcomes[1] * keep + outcomes[1];
        double all = (previousOutcomes[0] + previousOutcomes[1]) * keep + outcomes[0] + outcomes[1];
        return new double[] {all, failed};
    }

    /** A cheap avalanche of a 32-bit hash (String.hashCode alone clusters similar strings). */
    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    // ---- persistence (OutboundState's codec) -------------------------------------------------------------------

    int[] domainTable() {
        return domains;
    }

    int domainCount() {
        return domainCount;
    }

    void restoreDomains(int[] table, int count) {
        if (table.length >= 16 && Integer.bitCount(table.length) == 1) {
            this.domains = table;
            this.domainCount = count;
        }
    }
}
