package org.postwarden.reputation;

import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.TimeSource;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The one store of reputation state: it <em>counts</em> (sliding-window counters per client key and per user,
 * message contents), keeps decaying scores, bans with their offense history and short-lived session marks. It
 * never decides; the engine does, and nothing but the engine (and the daemon's wiring and admin queries in
 * {@code common}) touches it.
 *
 * <p>Implementations are thread-safe and never block on I/O in these calls (a networked implementation answers
 * from a bounded local cache or its local fallback). {@code postwarden-store-memory} is the default one.
 */
public interface ReputationStore {

    /** A client key with its decayed score. */
    record ScoredKey(ClientKey key, double score) {
    }

    /** A user with a counter estimate. */
    record UserCount(String user, long count) {
    }

    StoreSettings settings();

    TimeSource time();

    SessionMarks marks();

    /**
     * The table of {@code kind}, created on first use; the same table for every call with a kind of that name. State
     * of that kind restored from a snapshot before the first call is decoded then.
     *
     * @throws IllegalArgumentException when a different kind with the same name was registered before
     */
    <V> StateTable<V> table(StateKind<V> kind);

    /**
     * Adds {@code n} events of {@code type} for {@code key} ({@code n} may be 0 to only read) and returns the
     * sliding estimates of that type's windows, in the order of {@link CounterLayout#indicesOf}.
     */
    long[] count(ClientKey key, CounterType type, int n);

    /** Same as {@link #count(ClientKey, CounterType, int)} for a user key ({@code sasl_username}). */
    long[] countUser(String user, CounterType type, int n);

    /**
     * Counts {@code n} messages (0 to only read) with content {@code fingerprint} sent by {@code user} and returns
     * the sliding estimates of the content layout's windows, in layout order (empty when no window is configured).
     */
    long[] countContent(String user, String fingerprint, int n);

    /** A session of {@code key} has opened; returns how many are open now, this one included. */
    int connectionOpened(ClientKey key);

    /** A session of {@code key} has closed (a close without a matching open is ignored). */
    void connectionClosed(ClientKey key);

    /** Sessions of {@code key} open now. */
    int openConnections(ClientKey key);

    /** All counter estimates of a client key in layout order (zeros when unknown). */
    long[] estimates(ClientKey key);

    /** All counter estimates of a user in layout order (zeros when unknown). */
    long[] userEstimates(String user);

    /** Adds {@code weight} to the key's decayed score and returns the new score. */
    double addScore(ClientKey key, double weight);

    /** The key's decayed score (0 when unknown). */
    double score(ClientKey key);

    /**
     * Bans {@code key} for {@code duration} ({@code null} = permanent). The offense number counts earlier bans of
     * the same key (remembered for 90 days), so callers can escalate.
     */
    Ban ban(ClientKey key, Duration duration, String reason, String detail);

    /** Number of earlier bans of {@code key} within the offense memory. */
    int offenses(ClientKey key);

    /** Lifts a ban; returns whether there was one. */
    boolean unban(ClientKey key);

    /** The active ban on {@code key}, if any (expired bans are dropped on the way). */
    Optional<Ban> activeBan(ClientKey key);

    /** Active bans, newest first. */
    List<Ban> activeBans();

    long clientCount();

    long userCount();

    long banCount();

    /** Runs pending evictions and drops expired bans. */
    void cleanUp();

    /**
     * The {@code n} client keys of {@code level} with the highest decayed scores above {@code minScore}, highest
     * first. Scans every key (does not touch their access order).
     */
    List<ScoredKey> topScores(KeyLevel level, int n, double minScore);

    /**
     * The {@code n} users with the highest estimate in user-layout slot {@code slot} (above 0), highest first.
     * Scans every user key (does not touch their access order).
     */
    List<UserCount> topUsers(int slot, int n);

    /** Whether the store holds state for {@code key} (without creating or touching it). */
    boolean known(ClientKey key);

    /** Whether the store holds state for SASL user {@code user} (without creating or touching it). */
    boolean knownUser(String user);
}
