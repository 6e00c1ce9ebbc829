package org.postwarden.it.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Load generator: Postfix's {@code smtp-source -s SESSIONS -m MESSAGES -c ... 127.0.0.1:PORT}.
 *
 * <pre>{@code
 * Exec.Result r = SmtpSource.to(pf.smtpdPort()).sessions(5).messages(200).run();
 * pf.awaitDelivered(200, Duration.ofSeconds(60));
 * }</pre>
 */
public final class SmtpSource {

    private final int port;
    private String host = "127.0.0.1";
    private int sessions = 1;
    private int messages = 1;
    private String from = "load@client.test";
    private String to = "load@" + PostfixInstance.RELAY_DOMAIN;
    private int recipients = 1;
    private int messageSize = -1;
    private String helo;
    private String subject;
    private boolean reuseSession;
    private Duration timeout = Duration.ofSeconds(120);
    private final List<String> extraArgs = new ArrayList<>();

    private SmtpSource(int port) {
        this.port = port;
    }

    /** A run against {@code 127.0.0.1:port}. */
    public static SmtpSource to(int port) {
        return new SmtpSource(port);
    }

    /** Server address; default 127.0.0.1. */
    public SmtpSource host(String address) {
        this.host = address;
        return this;
    }

    /** Parallel sessions ({@code -s}); default 1. */
    public SmtpSource sessions(int n) {
        this.sessions = n;
        return this;
    }

    /** Total messages ({@code -m}); default 1. */
    public SmtpSource messages(int n) {
        this.messages = n;
        return this;
    }

    /** Envelope sender ({@code -f}). */
    public SmtpSource from(String address) {
        this.from = address;
        return this;
    }

    /** Recipient ({@code -t}); default {@code load@example.test}. */
    public SmtpSource recipient(String address) {
        this.to = address;
        return this;
    }

    /** Recipients per message ({@code -r}, numbered by smtp-source); default 1. */
    public SmtpSource recipientsPerMessage(int n) {
        this.recipients = n;
        return this;
    }

    /** Message body length in bytes ({@code -l}). */
    public SmtpSource messageSize(int bytes) {
        this.messageSize = bytes;
        return this;
    }

    /** HELO/EHLO name ({@code -M}). */
    public SmtpSource helo(String name) {
        this.helo = name;
        return this;
    }

    /** Subject header ({@code -S}). */
    public SmtpSource subject(String text) {
        this.subject = text;
        return this;
    }

    /** Several messages per connection ({@code -d}) instead of one connection per message. */
    public SmtpSource reuseSession(boolean reuse) {
        this.reuseSession = reuse;
        return this;
    }

    /** Hard limit for the whole run; default 120 s. */
    public SmtpSource timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    /** Any other smtp-source options, placed before the server address. */
    public SmtpSource args(String... args) {
        extraArgs.addAll(List.of(args));
        return this;
    }

    /** Runs smtp-source (killed after the timeout); exit code 0 means every message was accepted. */
    public Exec.Result run() {
        Requirements.require("smtp-source", "postfix");
        List<String> c = new ArrayList<>(List.of(Requirements.exe("smtp-source"), "-c",
                "-s", Integer.toString(sessions), "-m", Integer.toString(messages),
                "-f", from, "-t", to, "-r", Integer.toString(recipients)));
        if (messageSize >= 0) {
            c.addAll(List.of("-l", Integer.toString(messageSize)));
        }
        if (helo != null) {
            c.addAll(List.of("-M", helo));
        }
        if (subject != null) {
            c.addAll(List.of("-S", subject));
        }
        if (reuseSession) {
            c.add("-d");
        }
        c.addAll(extraArgs);
        c.add(host + ":" + port);
        return Exec.run(timeout, c);
    }
}
