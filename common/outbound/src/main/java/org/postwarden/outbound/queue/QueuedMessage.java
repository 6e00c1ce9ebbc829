package org.postwarden.outbound.queue;

import java.util.List;

/**
 * One message as {@code postqueue -j} lists it.
 *
 * @param queueName          {@code maildrop}, {@code incoming}, {@code active}, {@code deferred} or {@code hold}
 * @param queueId            Postfix queue id
 * @param arrivalTimeSeconds arrival time, epoch seconds
 * @param sizeBytes          message size
 * @param sender             envelope sender ("" for the null sender)
 * @param recipients         envelope recipients still to be delivered
 */
public record QueuedMessage(String queueName, String queueId, long arrivalTimeSeconds, long sizeBytes, String sender,
        List<String> recipients) {
    public QueuedMessage {
        recipients = List.copyOf(recipients);
    }
}
