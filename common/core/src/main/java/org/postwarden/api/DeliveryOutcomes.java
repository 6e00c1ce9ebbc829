package org.postwarden.api;

/**
 * Told the result of a delivery attempt from the mail log ({@code postfix/smtp[...]: QUEUEID: to=<...>, ...,
 * status=sent|deferred|bounced}), so a sender's share of downstream rejections and deferrals can be computed.
 * Implementations are thread-safe and never block.
 */
public interface DeliveryOutcomes {

    /** The result of one delivery attempt of queued message {@code queueId} to one recipient. */
    enum Status { SENT, DEFERRED, BOUNCED }

    /** Records one result; {@code timeMillis} is the log line's time (or now). Unknown queue ids are ignored. */
    void delivery(String queueId, Status status, long timeMillis);

    /** Ignores everything. */
    DeliveryOutcomes NONE = (q, s, t) -> { };
}
