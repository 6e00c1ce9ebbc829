/**
 * The engine decides: it turns a {@link org.postwarden.model.MailEvent} into a
 * {@link org.postwarden.verdict.Decision}. It records the event in the store (once per connection, message and
 * recipient), runs one {@link org.postwarden.engine.Check} per concern, applies signal weights to scores, combines
 * the findings by severity and honours global and per-check dry-run. Log signals (what only logs show: PREGREET,
 * failed logins, TLS failures) take another way in: {@link org.postwarden.engine.SignalRecorder} scores them into
 * the same store and issues escalating bans under {@link org.postwarden.rules.BanRules}, which
 * {@link org.postwarden.engine.BanCheck} then enforces at every stage. {@link org.postwarden.engine.GreylistCheck},
 * last, greylists the first attempts of doubtful clients at RCPT; its triplets, and the hosts' history that tells a
 * clean host ({@code ClientHistory}), are store tables. Dovecot's logins take a third way in:
 * {@link org.postwarden.engine.AuthPolicy} judges them before the password check on the same store (bans, scores,
 * distinct wrong passwords, spraying) and scores their failures through the signal recorder, as the log would.
 *
 * <p>Who is judged by what ({@link org.postwarden.engine.NetworkScores}): a host by its own score, bans and limits;
 * a network (IPv4 /24; IPv6 each tier of {@code networks.ipv6-tiers}, whose members are child prefixes) by its
 * members' capped shares, only with a crowd ({@code scoring.subnet-min-hosts}, a tier's {@code min-children}), never
 * for a host with a clean history, and at most with a defer unless it
 * is banned; an authenticated session by the user's own sending; a submission service before AUTH only by a ban
 * of that very host; {@code networks.trusted} never by scores or bans (never banned from logs either).
 *
 * <p>Thread-safety: {@link org.postwarden.engine.DecisionEngine} is immutable and safe for concurrent use; it never
 * blocks (store operations are short, in-memory). A check that needs I/O starts it in {@code Check#prepare} (the
 * DNSBL check's lookups, the greylist check's sender-pool lookups, bounded by {@code greylist.pools.timeout}); the evaluation runs when every prepared stage is done — at once, on the calling thread,
 * when they already are (cached answers), else on the thread that completes the last one (never a Netty event
 * loop for DNS). DNSBL/DNSWL weights count for the current decision only ({@code EvaluationContext#weigh}), never
 * in the stored scores. What {@code SignalRecorder} and {@code NetworkScores} learn besides scores (shares per
 * network, addresses per user, histories, private-range traffic shares) is bounded store state, persisted by the
 * snapshot; the recorder serialises ban issuing; its scanner lookups are asynchronous.
 */
package org.postwarden.engine;
