package org.postwarden.reputation.memory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.SessionMarks;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;
import org.postwarden.reputation.StoreSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts events per client key and per user, keeps decaying scores and bans. Never decides.
 *
 * <p>Client keys are counted with the {@link CounterLayout} of their level; users with the user layout; message
 * contents (an authenticated user and a content fingerprint) with the content layout. Open connections per client
 * key are a live gauge (opened and closed by a listener that sees both ends of a session), not a window, and are
 * neither expired nor snapshotted. The layouts
 * are fixed for the lifetime of a store: a configuration change builds a new store and moves the state over with a
 * snapshot, which maps counters by (type, window) and drops the rest.
 */
public final class MemoryReputationStore implements ReputationStore {
    private final StoreSettings settings;
    private final TimeSource time;
    private final double halfLifeMillis;
    private final Cache<ClientKey, KeyState> clients;
    private final Cache<String, KeyState> users;
    private final Cache<String, KeyState> contents;
    private final Map<ClientKey, Integer> open;
    private final Map<ClientKey, Ban> bans;
    private final Cache<ClientKey, Integer> offenses;
    private final MemorySessionMarks marks;
    private final StateTables tables;
    private final Durability durability;
    /** The successor this store's counters moved to ({@link #absorbCounters}): late writes go there. */
    private volatile MemoryReputationStore movedTo;

    public MemoryReputationStore(StoreSettings settings, TimeSource time) {
        this(settings, time, null);
    }

    /**
     * A store with {@code settings} that shares the bans, offense history, session marks, state tables and journal of
     * {@code predecessor} (the same objects: a ban made or lifted through either store is one change, seen by both at
     * once) and starts with empty counters; {@link #absorbCounters} then adds the predecessor's. A reload that
     * changes the counter layout moves to such a store, so no ban is ever missing, not even for a moment.
     */
    public static MemoryReputationStore successor(MemoryReputationStore predecessor, StoreSettings settings) {
        return new MemoryReputationStore(settings, predecessor.time, predecessor);
    }

    private MemoryReputationStore(StoreSettings settings, TimeSource time, MemoryReputationStore predecessor) {
        this.settings = settings;
        this.time = time;
        this.halfLifeMillis = settings.halfLife().toMillis();
        this.clients = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline: cheaper than waking a pool thread per write
                .maximumSize(settings.maxClients())
                .expireAfterAccess(settings.idleExpiry())
                .ticker(time::nanos)
                .build();
        this.users = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline: cheaper than waking a pool thread per write
                .maximumSize(settings.maxUsers())
                .expireAfterAccess(settings.idleExpiry())
                .ticker(time::nanos)
                .build();
        this.contents = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline: cheaper than waking a pool thread per write
                .maximumSize(Math.max(1000, settings.maxUsers() * 4))
                .expireAfterAccess(settings.idleExpiry())
                .ticker(time::nanos)
                .build();
        if (predecessor != null) {
            this.open = predecessor.open;
            this.bans = predecessor.bans;
            this.offenses = predecessor.offenses;
            this.durability = predecessor.durability;
            this.tables = predecessor.tables.successor();
            this.marks = predecessor.marks;
            return;
        }
        this.open = new ConcurrentHashMap<>();
        this.bans = new ConcurrentHashMap<>();
        this.offenses = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline: cheaper than waking a pool thread per write
                .maximumSize(Math.max(1000, settings.maxClients() / 10))
                .expireAfterWrite(Duration.ofDays(90))
                .ticker(time::nanos)
                .build();
        this.durability = new Durability();
        this.tables = new StateTables(time, durability);
        this.marks = new MemorySessionMarks(Math.max(10_000, settings.maxClients() / 4), Duration.ofHours(2), time);
    }

    /** Where durable changes go (the journal). */
    Durability durability() {
        return durability;
    }

    /**
     * Adds the counters and scores of {@code from} (a predecessor with another counter layout) to this store's:
     * counters are mapped by (type, window), those of a window this store does not keep are dropped. Bans and tables
     * are shared with the predecessor and need no move.
     */
    public void absorbCounters(MemoryReputationStore from) {
        // from now on, a late write to the predecessor (a call that took it before the swap) counts here
        from.movedTo = this;
        long now = time.millis();
        for (Map.Entry<ClientKey, KeyState> e : from.clients.asMap().entrySet()) {
            CounterLayout to = settings.layout(e.getKey().level());
            KeyState moved = convert(e.getValue(), from.settings.layout(e.getKey().level()), to, now);
            clients.asMap().merge(e.getKey(), moved, (existing, in) -> {
                existing.absorb(in, to, now, halfLifeMillis);
                return existing;
            });
        }
        absorbAll(from.users.asMap(), users.asMap(), from.settings.userLayout(), settings.userLayout(), now);
        absorbAll(from.contents.asMap(), contents.asMap(), from.settings.contentLayout(), settings.contentLayout(),
                now);
    }

    private <K> void absorbAll(Map<K, KeyState> from, Map<K, KeyState> to, CounterLayout fromLayout,
            CounterLayout toLayout, long now) {
        for (Map.Entry<K, KeyState> e : from.entrySet()) {
            KeyState moved = convert(e.getValue(), fromLayout, toLayout, now);
            to.merge(e.getKey(), moved, (existing, in) -> {
                existing.absorb(in, toLayout, now, halfLifeMillis);
                return existing;
            });
        }
    }

    /**
     * The estimates {@code theirs} (a successor's, for the windows of {@code type} in its layout) in the order of
     * {@code mine}; a window the successor does not keep reads 0.
     */
    private static long[] mapped(long[] theirs, CounterLayout mine, CounterLayout their, CounterType type) {
        int[] my = mine.indicesOf(type);
        int[] th = their.indicesOf(type);
        long[] out = new long[my.length];
        for (int k = 0; k < my.length; k++) {
            CounterLayout.Slot slot = mine.slots().get(my[k]);
            int j = their.indexOf(slot.type(), slot.windowSeconds());
            for (int p = 0; p < th.length && p < theirs.length; p++) {
                if (th[p] == j) {
                    out[k] = theirs[p];
                }
            }
        }
        return out;
    }

    /** A copy of {@code s} (kept in {@code from}'s layout) in layout {@code to}, rolled to {@code now}. */
    private static KeyState convert(KeyState s, CounterLayout from, CounterLayout to, long now) {
        KeyState out = new KeyState(to.size(), now);
        synchronized (s) {
            Counters.roll(s.counts, from, s.lastMillis, now);
            s.lastMillis = Math.max(s.lastMillis, now);
            for (int i = 0; i < from.size() && 2 * i + 1 < s.counts.length; i++) {
                CounterLayout.Slot slot = from.slots().get(i);
                int j = to.indexOf(slot.type(), slot.windowSeconds());
                if (j >= 0) {
                    out.counts[2 * j] = s.counts[2 * i];
                    out.counts[2 * j + 1] = s.counts[2 * i + 1];
                }
            }
            out.lastMillis = s.lastMillis;
            out.score = s.score;
            out.scoreMillis = s.scoreMillis;
        }
        return out;
    }

    public StoreSettings settings() {
        return settings;
    }

    public TimeSource time() {
        return time;
    }

    public SessionMarks marks() {
        return marks;
    }

    MemorySessionMarks memoryMarks() {
        return marks;
    }

    @Override
    public <V> StateTable<V> table(StateKind<V> kind) {
        return tables.table(kind);
    }

    /** The state tables, for snapshots. */
    StateTables stateTables() {
        return tables;
    }

    private KeyState client(ClientKey key) {
        CounterLayout layout = settings.layout(key.level());
        return clients.get(key, k -> new KeyState(layout.size(), time.millis()));
    }

    private KeyState user(String user) {
        return users.get(user, u -> new KeyState(settings.userLayout().size(), time.millis()));
    }

    /**
     * Adds {@code n} events of {@code type} for {@code key} ({@code n} may be 0 to only read) and returns the
     * sliding estimates of that type's windows, in the order of {@link CounterLayout#indicesOf}.
     */
    public long[] count(ClientKey key, CounterType type, int n) {
        CounterLayout layout = settings.layout(key.level());
        MemoryReputationStore to = movedTo;
        if (to != null) {
            return mapped(to.count(key, type, n), layout, to.settings.layout(key.level()), type);
        }
        if (layout.indicesOf(type).length == 0) {
            return new long[0];
        }
        KeyState s = n == 0 ? clients.getIfPresent(key) : client(key);
        if (s == null) {
            return new long[layout.indicesOf(type).length];
        }
        return s.add(layout, type, n, time.millis());
    }

    /** Same as {@link #count(ClientKey, CounterType, int)} for a user key ({@code sasl_username}). */
    public long[] countUser(String user, CounterType type, int n) {
        CounterLayout layout = settings.userLayout();
        MemoryReputationStore to = movedTo;
        if (to != null) {
            return mapped(to.countUser(user, type, n), layout, to.settings.userLayout(), type);
        }
        if (layout.indicesOf(type).length == 0) {
            return new long[0];
        }
        KeyState s = n == 0 ? users.getIfPresent(user) : user(user);
        if (s == null) {
            return new long[layout.indicesOf(type).length];
        }
        return s.add(layout, type, n, time.millis());
    }

    /**
     * Counts {@code n} messages (0 to only read) with content {@code fingerprint} sent by {@code user} and returns
     * the sliding estimates of the content layout's windows, in layout order (empty when no window is configured).
     */
    public long[] countContent(String user, String fingerprint, int n) {
        CounterLayout layout = settings.contentLayout();
        MemoryReputationStore to = movedTo;
        if (to != null) {
            return mapped(to.countContent(user, fingerprint, n), layout, to.settings.contentLayout(),
                    CounterType.MESSAGES);
        }
        if (layout.size() == 0) {
            return new long[0];
        }
        String key = user + '\u0000' + fingerprint;
        KeyState s = n == 0 ? contents.getIfPresent(key)
                : contents.get(key, k -> new KeyState(layout.size(), time.millis()));
        if (s == null) {
            return new long[layout.size()];
        }
        return s.add(layout, CounterType.MESSAGES, n, time.millis());
    }

    // ---- open connections (a live gauge) ------------------------------------------------------------------

    /** A session of {@code key} has opened; returns how many are open now, this one included. */
    public int connectionOpened(ClientKey key) {
        return open.merge(key, 1, Integer::sum);
    }

    /** A session of {@code key} has closed (a close without a matching open is ignored). */
    public void connectionClosed(ClientKey key) {
        open.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Sessions of {@code key} open now. */
    public int openConnections(ClientKey key) {
        return open.getOrDefault(key, 0);
    }

    /** All counter estimates of a client key in layout order (zeros when unknown). */
    public long[] estimates(ClientKey key) {
        CounterLayout layout = settings.layout(key.level());
        KeyState s = clients.getIfPresent(key);
        return s == null ? new long[layout.size()] : s.estimates(layout, time.millis());
    }

    /** All counter estimates of a user in layout order (zeros when unknown). */
    public long[] userEstimates(String user) {
        KeyState s = users.getIfPresent(user);
        return s == null ? new long[settings.userLayout().size()] : s.estimates(settings.userLayout(), time.millis());
    }

    /** Adds {@code weight} to the key's decayed score and returns the new score. */
    public double addScore(ClientKey key, double weight) {
        MemoryReputationStore to = movedTo;
        if (to != null) {
            return to.addScore(key, weight);
        }
        return client(key).addScore(weight, time.millis(), halfLifeMillis);
    }

    /** The key's decayed score (0 when unknown). */
    public double score(ClientKey key) {
        MemoryReputationStore to = movedTo;
        if (to != null) {
            return to.score(key);
        }
        KeyState s = clients.getIfPresent(key);
        return s == null ? 0 : s.score(time.millis(), halfLifeMillis);
    }

    // ---- bans -----------------------------------------------------------------------------------------------

    /**
     * Bans {@code key} for {@code duration} ({@code null} = permanent). The offense number counts earlier bans of
     * the same key (remembered for 90 days), so callers can escalate.
     */
    public Ban ban(ClientKey key, Duration duration, String reason, String detail) {
        long now = time.millis();
        int offense = offenses.asMap().merge(key, 1, Integer::sum);
        long until = duration == null ? Long.MAX_VALUE : saturatedAdd(now, duration.toMillis());
        Ban b = new Ban(key, now, until, reason, detail, offense);
        bans.put(key, b);
        StoreJournal j = durability.journal;
        if (j != null) {
            j.ban(b);
        }
        return b;
    }

    /** Number of earlier bans of {@code key} within the offense memory. */
    public int offenses(ClientKey key) {
        Integer n = offenses.getIfPresent(key);
        return n == null ? 0 : n;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Lifts a ban; returns whether there was one. */
    public boolean unban(ClientKey key) {
        boolean had = bans.remove(key) != null;
        StoreJournal j = durability.journal;
        if (had && j != null) {
            j.unban(key);
        }
        return had;
    }

    /** The active ban on {@code key}, if any (expired bans are dropped on the way). */
    public Optional<Ban> activeBan(ClientKey key) {
        Ban b = bans.get(key);
        if (b == null) {
            return Optional.empty();
        }
        if (!b.activeAt(time.millis())) {
            bans.remove(key, b);
            return Optional.empty();
        }
        return Optional.of(b);
    }

    /** Active bans, newest first. */
    public List<Ban> activeBans() {
        long now = time.millis();
        bans.values().removeIf(b -> !b.activeAt(now));
        List<Ban> out = new ArrayList<>(bans.values());
        out.sort(Comparator.comparingLong(Ban::sinceMillis).reversed());
        return out;
    }

    // ---- sizes and maintenance ------------------------------------------------------------------------------

    public long clientCount() {
        return clients.estimatedSize();
    }

    public long userCount() {
        return users.estimatedSize();
    }

    public long banCount() {
        return bans.size();
    }

    /** Runs pending evictions and drops expired bans. */
    public void cleanUp() {
        clients.cleanUp();
        users.cleanUp();
        contents.cleanUp();
        offenses.cleanUp();
        tables.cleanUp();
        long now = time.millis();
        bans.values().removeIf(b -> !b.activeAt(now));
    }

    // ---- admin queries (read-only scans: O(keys) for the admin API and reports, never on the hot path) ---------

    /**
     * The {@code n} client keys of {@code level} with the highest decayed scores above {@code minScore}, highest
     * first. Scans every key (does not touch their access order).
     */
    public List<ScoredKey> topScores(KeyLevel level, int n, double minScore) {
        long now = time.millis();
        java.util.PriorityQueue<ScoredKey> top = new java.util.PriorityQueue<>(Comparator.comparingDouble(ScoredKey::score));
        for (Map.Entry<ClientKey, KeyState> e : clients.asMap().entrySet()) {
            if (e.getKey().level() != level) {
                continue;
            }
            double s = e.getValue().score(now, halfLifeMillis);
            if (s > minScore && n > 0 && (top.size() < n || s > top.peek().score())) {
                top.add(new ScoredKey(e.getKey(), s));
                if (top.size() > n) {
                    top.poll();
                }
            }
        }
        List<ScoredKey> out = new ArrayList<>(top);
        out.sort(Comparator.comparingDouble(ScoredKey::score).reversed());
        return out;
    }

    /**
     * The {@code n} users with the highest estimate in user-layout slot {@code slot} (above 0), highest first.
     * Scans every user key (does not touch their access order).
     */
    public List<UserCount> topUsers(int slot, int n) {
        CounterLayout layout = settings.userLayout();
        if (slot < 0 || slot >= layout.size() || n <= 0) {
            return List.of();
        }
        long now = time.millis();
        java.util.PriorityQueue<UserCount> top = new java.util.PriorityQueue<>(Comparator.comparingLong(UserCount::count));
        for (Map.Entry<String, KeyState> e : users.asMap().entrySet()) {
            long c = e.getValue().estimates(layout, now)[slot];
            if (c > 0 && (top.size() < n || c > top.peek().count())) {
                top.add(new UserCount(e.getKey(), c));
                if (top.size() > n) {
                    top.poll();
                }
            }
        }
        List<UserCount> out = new ArrayList<>(top);
        out.sort(Comparator.comparingLong(UserCount::count).reversed());
        return out;
    }

    /** Whether the store holds state for {@code key} (without creating or touching it). */
    public boolean known(ClientKey key) {
        return clients.asMap().containsKey(key);
    }

    /** Whether the store holds state for SASL user {@code user} (without creating or touching it). */
    public boolean knownUser(String user) {
        return users.asMap().containsKey(user);
    }

    // ---- snapshot access (package-private for StoreSnapshot) -----------------------------------------------

    Map<ClientKey, KeyState> clientMap() {
        return clients.asMap();
    }

    Map<String, KeyState> userMap() {
        return users.asMap();
    }

    Map<ClientKey, Ban> banMap() {
        return bans;
    }

    Map<ClientKey, Integer> offenseMap() {
        return offenses.asMap();
    }

    double halfLifeMillis() {
        return halfLifeMillis;
    }
}
