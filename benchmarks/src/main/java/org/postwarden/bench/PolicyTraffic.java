package org.postwarden.bench;

import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;

import java.util.SplittableRandom;

/**
 * Generates the RCPT-stage policy requests of a stream of SMTP sessions, the way one Postfix {@code smtpd} process
 * sends them over its policy connection: a session (client address and port, HELO, TLS or not, sometimes SASL)
 * carries 1-2 messages, each with 1-5 recipients, and every RCPT is one request. Not thread-safe: one per
 * connection or benchmark thread.
 *
 * <p>Attribute set and order are those of Postfix 3.7+ ({@code SMTPD_POLICY_README}, plus {@code
 * compatibility_level} and {@code mail_version} of 3.8): about 750 bytes per request.
 */
public final class PolicyTraffic {
    /** The values of one RCPT request. */
    public record Rcpt(int client, String clientAddress, int clientPort, String clientName, String helo,
            String sender, String recipient, String instance, String queueId, long size, String saslMethod,
            String saslUsername, boolean tls, int serverPort, String policyContext) {
    }

    private static final String HEX = "0123456789ABCDEF";
    private final Workload workload;
    private final SplittableRandom random;
    private final int pid;
    private int instanceCounter;
    // session state
    private int client = -1;
    private int port;
    private boolean tls;
    private String saslUser = "";
    private int messagesLeft;
    // message state
    private String instance;
    private String sender;
    private String queueId;
    private long size;
    private int recipientsLeft;

    public PolicyTraffic(Workload workload, long seed) {
        this.workload = workload;
        this.random = new SplittableRandom(seed);
        this.pid = 1000 + random.nextInt(60_000);
    }

    /** The next RCPT request. */
    public Rcpt next() {
        if (client < 0 || recipientsLeft == 0 && messagesLeft == 0) {
            newSession();
        }
        if (recipientsLeft == 0) {
            newMessage();
        }
        recipientsLeft--;
        Rcpt r = new Rcpt(client, workload.addressText(client), port, workload.clientName(client),
                workload.helo(client), sender, recipient(), instance, queueId, size,
                saslUser.isEmpty() ? "" : "PLAIN", saslUser, tls, saslUser.isEmpty() ? 25 : 587,
                saslUser.isEmpty() ? "" : "submission");
        if (queueId.isEmpty()) {
            // Postfix opens the queue file at the first accepted recipient: later RCPTs carry the queue id.
            queueId = hex(10);
        }
        return r;
    }

    private void newSession() {
        client = workload.sampleClient(random);
        port = 1024 + random.nextInt(64_000);
        boolean bad = workload.bad(client);
        saslUser = !bad && random.nextInt(20) == 0 ? "user" + random.nextInt(2_000) + "@example.com" : "";
        tls = !saslUser.isEmpty() || !bad && random.nextInt(10) < 7;
        messagesLeft = random.nextInt(4) == 0 ? 2 : 1;
    }

    private void newMessage() {
        messagesLeft--;
        instance = Integer.toHexString(pid) + "." + Long.toHexString(1_700_000_000L + instanceCounter / 1000) + "."
                + Integer.toHexString(random.nextInt(1_000_000)) + "." + (instanceCounter++ & 0xFF);
        if (workload.bad(client)) {
            sender = "x" + random.nextInt(100_000) + "@spam" + random.nextInt(500) + ".test";
        } else if (random.nextInt(50) == 0) {
            sender = "";
        } else if (!saslUser.isEmpty()) {
            sender = saslUser;
        } else {
            sender = "news" + random.nextInt(1_000) + "@sender" + (client % 5_000) + ".example";
        }
        queueId = "";
        size = random.nextBoolean() ? 2_000 + random.nextInt(200_000) : 0;
        int p = random.nextInt(10);
        recipientsLeft = p < 6 ? 1 : p < 8 ? 2 : 3 + random.nextInt(3);
    }

    private String recipient() {
        if (workload.bad(client) && random.nextInt(10) < 3) {
            return "u" + random.nextInt(100_000) + "@victim" + random.nextInt(500) + ".test";
        }
        return "user" + random.nextInt(50_000) + "@" + Workload.LOCAL_DOMAINS[random.nextInt(
                Workload.LOCAL_DOMAINS.length)];
    }

    private String hex(int len) {
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            c[i] = HEX.charAt(random.nextInt(16));
        }
        return new String(c);
    }

    /** Appends the full policy request (attribute lines and the empty line that ends it) to {@code sb}. */
    public static void appendRequest(Rcpt r, StringBuilder sb) {
        attr(sb, "request", "smtpd_access_policy");
        attr(sb, "protocol_state", "RCPT");
        attr(sb, "protocol_name", "ESMTP");
        attr(sb, "helo_name", r.helo());
        attr(sb, "queue_id", r.queueId());
        attr(sb, "sender", r.sender());
        attr(sb, "recipient", r.recipient());
        attr(sb, "recipient_count", "0");
        attr(sb, "client_address", r.clientAddress());
        attr(sb, "client_name", r.clientName());
        attr(sb, "reverse_client_name", r.clientName());
        attr(sb, "instance", r.instance());
        attr(sb, "sasl_method", r.saslMethod());
        attr(sb, "sasl_username", r.saslUsername());
        attr(sb, "sasl_sender", "");
        attr(sb, "size", Long.toString(r.size()));
        attr(sb, "ccert_subject", "");
        attr(sb, "ccert_issuer", "");
        attr(sb, "ccert_fingerprint", "");
        attr(sb, "ccert_pubkey_fingerprint", "");
        attr(sb, "encryption_protocol", r.tls() ? "TLSv1.3" : "");
        attr(sb, "encryption_cipher", r.tls() ? "TLS_AES_256_GCM_SHA384" : "");
        attr(sb, "encryption_keysize", r.tls() ? "256" : "0");
        attr(sb, "etrn_domain", "");
        attr(sb, "stress", "");
        attr(sb, "client_port", Integer.toString(r.clientPort()));
        attr(sb, "policy_context", r.policyContext());
        attr(sb, "server_address", "192.0.2.25");
        attr(sb, "server_port", Integer.toString(r.serverPort()));
        attr(sb, "compatibility_level", "3.6");
        attr(sb, "mail_version", "3.7.11");
        sb.append('\n');
    }

    private static void attr(StringBuilder sb, String name, String value) {
        sb.append(name).append('=').append(value).append('\n');
    }

    /** The same request as the event the policy listener makes of it (what {@code PolicyEventMapper} produces). */
    public MailEvent toEvent(Rcpt r) {
        return new MailEvent("policy", SmtpStage.RCPT, workload.inet(r.client()), r.clientPort(), r.clientName(),
                r.helo(), r.sender(), r.recipient(), r.saslUsername(), r.instance(), r.queueId(), 0, r.size());
    }
}
