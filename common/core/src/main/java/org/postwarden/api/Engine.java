package org.postwarden.api;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.reputation.Ban;
import org.postwarden.verdict.Decision;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The only way into the core. Protocol adapters turn bytes into calls of this interface and its answers into
 * replies; none of them reads or writes the reputation store, or the rules, by itself.
 *
 * <ul>
 * <li>{@link #decide}: an SMTP event from the policy server or the milter; the {@link Decision} carries everything a
 * reply needs (verdict, findings, the host's score for a report header).</li>
 * <li>{@link #observe}: a signal read from a log line (PREGREET, failed login, relay denial...): scores, bans.</li>
 * <li>{@link #delivered}: a delivery result from the mail log (the outbound guard's downstream-failure share).</li>
 * <li>{@link #connectionOpened}: a session a listener sees from open to close (the concurrency limit).</li>
 * <li>{@link #authPolicy}: a Dovecot authentication-policy question or report (IMAP/POP3 logins).</li>
 * <li>{@link #ban}, {@link #unban}, {@link #bans}: the operator's and the exporters' view of bans.</li>
 * </ul>
 *
 * <p>Thread-safety: every method may be called from any thread, event loops included; none blocks (I/O checks run
 * asynchronously in {@link #decide}, scanner lookups in {@link #observe}).
 */
public interface Engine {

    /**
     * Decides asynchronously: starts every enabled check's I/O (DNSBL), then evaluates. The stage completes at once
     * when no check has I/O to do. It fails only on an internal error; the adapter then answers its fallback.
     */
    CompletionStage<Decision> decide(MailEvent event);

    /** Records one log signal: scores the client's keys (and the user's), and bans by the ban rules. */
    SignalOutcome observe(LogSignal signal);

    /**
     * The result of one delivery attempt of queued message {@code queueId} to one recipient, at {@code timeMillis}
     * (the log line's time). Unknown queue ids are ignored.
     */
    void delivered(String queueId, DeliveryOutcomes.Status status, long timeMillis);

    /**
     * Judges a Dovecot login before its password check ({@link AuthAttempt.Command#ALLOW}) or records its outcome
     * ({@link AuthAttempt.Command#REPORT}), on the same store as SMTP. Never blocks; throws only on an internal
     * error, which the listener answers with status 0 (Dovecot's own fail-open).
     */
    AuthVerdict authPolicy(AuthAttempt attempt);

    /**
     * A session of {@code client} has opened. The handle closes it exactly once (later calls do nothing), on the same
     * state it was opened in, also across a reload.
     */
    OpenSession connectionOpened(InetAddress client);

    /** The {@code duration} of {@link #ban} that makes a ban permanent. */
    Duration PERMANENT = java.time.temporal.ChronoUnit.FOREVER.getDuration();

    /**
     * Bans {@code target} (an IPv4 /32 or /24, an IPv6 /128, /64 or the wide prefix). With a null {@code duration}
     * the ban lasts the escalation step of {@code bans.durations} for the target's earlier offenses, as log-driven
     * bans do; an explicit duration ({@link #PERMANENT} included) is an admin's override.
     *
     * @param reason bounded reason label ("admin", ...)
     * @param detail human-readable detail
     * @throws IllegalArgumentException when {@code target} is not a prefix length bans apply to (the message says
     *                                  which are)
     */
    Ban ban(Cidr target, Duration duration, String reason, String detail);

    /** Lifts the ban on exactly {@code target}; returns whether there was one. */
    boolean unban(Cidr target);

    /** Active bans, newest first, with the configured permanent ones. */
    BanList bans();

    /** The configuration this engine runs on. */
    PostwardenConfig config();

    /** A session opened with {@link #connectionOpened}. */
    interface OpenSession extends AutoCloseable {
        /** A session that counts nothing (no client address). */
        OpenSession NONE = () -> { };

        /** Closes the session (idempotent). */
        @Override
        void close();
    }

    /**
     * Bans as exporters and the admin API see them.
     *
     * @param active    active bans, newest first
     * @param permanent the configured permanent ban networks ({@code bans.permanent})
     */
    record BanList(List<Ban> active, List<Cidr> permanent) {
        public BanList {
            active = List.copyOf(active);
            permanent = List.copyOf(permanent);
        }
    }
}
