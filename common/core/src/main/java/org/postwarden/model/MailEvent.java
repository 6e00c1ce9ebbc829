package org.postwarden.model;

import java.net.InetAddress;

/**
 * One thing that happened in an SMTP session, as seen by a listener. Fields a listener does not know are empty
 * strings (never null), except {@code client} which is null when the client address is unknown.
 *
 * @param source         which listener saw it (bounded: "policy", "milter", "log", "test")
 * @param stage          SMTP stage
 * @param client         client IP address, or null when unknown (e.g. local submission via sendmail)
 * @param clientPort     client TCP port, or -1
 * @param clientName     verified client hostname or "unknown"
 * @param heloName       HELO/EHLO argument
 * @param sender         envelope sender (empty for the null sender)
 * @param recipient      envelope recipient of this RCPT (empty elsewhere)
 * @param saslUsername   SASL login name, empty when not authenticated
 * @param instance       Postfix's per-message instance id (joins requests of one message)
 * @param queueId        Postfix queue id, empty until the first accepted RCPT
 * @param recipientCount recipient count (only meaningful at END-OF-MESSAGE)
 * @param sizeBytes      message size estimate, or 0
 * @param fingerprint    content fingerprint at END-OF-MESSAGE (hex), empty when the listener cannot see content
 * @param serverPort     the Postfix server's own TCP port the client connected to (policy {@code server_port},
 *                       milter {@code {daemon_port}}), or -1 when unknown
 * @param daemonName     the Postfix service's milter daemon name (macro {@code {daemon_name}}, set per service with
 *                       {@code milter_macro_daemon_name}, e.g. {@code ORIGINATING} on submission), empty when unknown
 */
public record MailEvent(
        String source,
        SmtpStage stage,
        InetAddress client,
        int clientPort,
        String clientName,
        String heloName,
        String sender,
        String recipient,
        String saslUsername,
        String instance,
        String queueId,
        int recipientCount,
        long sizeBytes,
        String fingerprint,
        int serverPort,
        String daemonName) {

    public MailEvent {
        clientName = nz(clientName);
        heloName = nz(heloName);
        sender = nz(sender);
        recipient = nz(recipient);
        saslUsername = nz(saslUsername);
        instance = nz(instance);
        queueId = nz(queueId);
        fingerprint = nz(fingerprint);
        daemonName = nz(daemonName);
    }

    /** An event without the server side's port and daemon name (listeners that do not know them). */
    public MailEvent(String source, SmtpStage stage, InetAddress client, int clientPort, String clientName,
            String heloName, String sender, String recipient, String saslUsername, String instance, String queueId,
            int recipientCount, long sizeBytes, String fingerprint) {
        this(source, stage, client, clientPort, clientName, heloName, sender, recipient, saslUsername, instance,
                queueId, recipientCount, sizeBytes, fingerprint, -1, "");
    }

    /** An event without a content fingerprint (listeners that cannot see the message). */
    public MailEvent(String source, SmtpStage stage, InetAddress client, int clientPort, String clientName,
            String heloName, String sender, String recipient, String saslUsername, String instance, String queueId,
            int recipientCount, long sizeBytes) {
        this(source, stage, client, clientPort, clientName, heloName, sender, recipient, saslUsername, instance,
                queueId, recipientCount, sizeBytes, "");
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    public boolean authenticated() {
        return !saslUsername.isEmpty();
    }

    /** Identity of the SMTP connection this event belongs to (address and port), or empty when unknown. */
    public String connectionId() {
        if (client == null || clientPort < 0) {
            return "";
        }
        return Addresses.format(client) + "#" + clientPort;
    }

    /** Domain part of the recipient, lower-cased, or empty. */
    public String recipientDomain() {
        return domainOf(recipient);
    }

    /** Domain part of the sender, lower-cased, or empty. */
    public String senderDomain() {
        return domainOf(sender);
    }

    static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            return "";
        }
        return address.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
    }

    /** A builder, mostly for tests and mappers. */
    public static Builder builder(SmtpStage stage) {
        return new Builder(stage);
    }

    /** Mutable builder for {@link MailEvent}. */
    public static final class Builder {
        private String source = "test";
        private final SmtpStage stage;
        private InetAddress client;
        private int clientPort = -1;
        private String clientName = "";
        private String heloName = "";
        private String sender = "";
        private String recipient = "";
        private String saslUsername = "";
        private String instance = "";
        private String queueId = "";
        private int recipientCount;
        private long sizeBytes;
        private String fingerprint = "";
        private int serverPort = -1;
        private String daemonName = "";

        Builder(SmtpStage stage) {
            this.stage = stage;
        }

        public Builder source(String v) { this.source = v; return this; }
        public Builder client(InetAddress v) { this.client = v; return this; }
        public Builder client(String v) {
            this.client = Cidr.parseAddress(v);
            return this;
        }
        public Builder clientPort(int v) { this.clientPort = v; return this; }
        public Builder clientName(String v) { this.clientName = v; return this; }
        public Builder helo(String v) { this.heloName = v; return this; }
        public Builder sender(String v) { this.sender = v; return this; }
        public Builder recipient(String v) { this.recipient = v; return this; }
        public Builder sasl(String v) { this.saslUsername = v; return this; }
        public Builder instance(String v) { this.instance = v; return this; }
        public Builder queueId(String v) { this.queueId = v; return this; }
        public Builder recipientCount(int v) { this.recipientCount = v; return this; }
        public Builder size(long v) { this.sizeBytes = v; return this; }
        public Builder fingerprint(String v) { this.fingerprint = v; return this; }
        public Builder serverPort(int v) { this.serverPort = v; return this; }
        public Builder daemonName(String v) { this.daemonName = v; return this; }

        public MailEvent build() {
            return new MailEvent(source, stage, client, clientPort, clientName, heloName, sender, recipient,
                    saslUsername, instance, queueId, recipientCount, sizeBytes, fingerprint, serverPort, daemonName);
        }
    }
}
