package org.postwarden.ingest.replay;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a realistic multi-day mail log (Postfix {@code maillog_file} format, UTC) of a given number of lines, with
 * known attacks mixed into ordinary traffic, and remembers exactly what it wrote so a replay can be checked:
 * <ul>
 * <li>ordinary mail: connect, client=, qmgr, smtp, removed, disconnect lines from 5,000 legitimate addresses;</li>
 * <li>a PREGREET botnet of 20 addresses in 20 networks (198.18.1.7 .. 198.18.20.7) that comes back in bursts;</li>
 * <li>SASL brute force from 5 addresses (192.0.2.101 .. .105) against "admin" (Postfix 3.9+ form with the user),
 * and a distributed attack on "ceo" on the second day from 10:00 to 16:00: one failure each from up to 600
 * different addresses;</li>
 * <li>a TLS handshake flood from 203.0.113.0/24 (60 addresses, each under the ban threshold);</li>
 * <li>relay probes with generic HELO names from 10 addresses (233.252.0.1 .. .10);</li>
 * <li>Dovecot IMAP failures against "bob".</li>
 * </ul>
 * Run as a program to write a file: {@code LogGenerator FILE LINES [DAYS] [plain|gz]}.
 */
public final class LogGenerator {
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** What was written. */
    public static final class Written {
        public long lines;
        public long pregreet;
        public long saslAdmin;
        public long saslCeo;
        public long tls;
        public long relay;
        public long dovecotAttempts;
        public final Map<String, Long> pregreetBy = new HashMap<>();
        public Instant first;
        public Instant last;
    }

    private final Random r;
    private final long lines;
    private final Instant start;
    private final Duration span;
    private int pid = 1000;
    private int queue = 0x10000;

    public LogGenerator(long seed, long lines, Instant start, Duration span) {
        this.r = new Random(seed);
        this.lines = lines;
        this.start = start;
        this.span = span;
    }

    public static void main(String[] args) throws IOException {
        long n = Long.parseLong(args[1]);
        int days = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        String mode = args.length > 3 ? args[3] : "plain";
        Written w = new LogGenerator(1, n, Instant.parse("2025-03-01T00:00:00Z"), Duration.ofDays(days))
                .write(Path.of(args[0]), mode);
        System.out.println("wrote " + w.lines + " lines: " + w.pregreet + " PREGREET, " + (w.saslAdmin + w.saslCeo)
                + " SASL, " + w.tls + " TLS, " + w.relay + " relay");
    }

    /** Writes the log; {@code mode}: plain or gz. */
    public Written write(Path file, String mode) throws IOException {
        Written w = new Written();
        OutputStream os = Files.newOutputStream(file);
        if (mode.equals("gz")) {
            os = new GZIPOutputStream(os, 1 << 16);
        }
        try (Writer out = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16)) {
            long stepMillis = Math.max(1, span.toMillis() / Math.max(1, lines));
            int ceo = 0;
            double picksPerHour = 3_600_000.0 / stepMillis / 6.5;
            double ceoChance = Math.min(1.0, 600 / (picksPerHour * 5.5));
            for (long i = 0; i < lines; ) {
                int pick = r.nextInt(1000);
                java.util.List<String> ls = new java.util.ArrayList<>();
                if (pick < 2) {
                    // a PREGREET bot: a burst of 3 to 6 connections that talk first
                    String ip = "198.18." + (1 + r.nextInt(20)) + ".7";
                    int n = 3 + r.nextInt(4);
                    for (int k = 0; k < n; k++) {
                        ls.add("postfix/postscreen[900]: CONNECT from [" + ip + "]:" + port() + " to [192.0.2.25]:25");
                        ls.add("postfix/postscreen[900]: PREGREET 11 after 0." + r.nextInt(99) + " from [" + ip + "]:"
                                + port() + ": EHLO ylmf-pc\\r\\n");
                        ls.add("postfix/postscreen[900]: DISCONNECT [" + ip + "]:" + port());
                    }
                } else if (pick < 4) {
                    // password guessing against admin: 5 to 15 attempts, one per connection
                    String ip = "192.0.2." + (101 + r.nextInt(5));
                    int n = 5 + r.nextInt(11);
                    for (int k = 0; k < n; k++) {
                        int p = pid++;
                        ls.add("postfix/submission/smtpd[" + p + "]: connect from unknown[" + ip + "]");
                        ls.add("postfix/submission/smtpd[" + p + "]: warning: unknown[" + ip
                                + "]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin");
                        ls.add("postfix/submission/smtpd[" + p + "]: disconnect from unknown[" + ip
                                + "] ehlo=1 auth=0/1 commands=1/2");
                    }
                } else if (ceo < 600 && inCeoWindow(i, stepMillis) && r.nextDouble() < ceoChance) {
                    // the distributed attack on ceo, on day 2 from 10:00 to 16:00: one failure from each of 600
                    // addresses, so no address ever gets near a ban
                    String ip = "45." + (70 + ceo / 250) + "." + (ceo % 250) + ".9";
                    ceo++;
                    ls.add("postfix/submission/smtpd[" + pid++ + "]: warning: unknown[" + ip
                            + "]: SASL PLAIN authentication failed: , sasl_username=ceo");
                } else if (pick < 7) {
                    // a TLS handshake flood from a whole /24: 40 addresses, 1 or 2 failures each
                    for (int k = 0; k < 40; k++) {
                        String ip = "203.0.113." + (1 + r.nextInt(60));
                        int n = 1 + r.nextInt(2);
                        for (int j = 0; j < n; j++) {
                            ls.add("postfix/smtpd[" + pid++ + "]: SSL_accept error from unknown[" + ip + "]: -1");
                        }
                    }
                } else if (pick < 9) {
                    // relay probes with generic HELO names
                    String ip = "233.252.0." + (1 + r.nextInt(10));
                    int n = 1 + r.nextInt(5);
                    for (int k = 0; k < n; k++) {
                        ls.add("postfix/smtpd[" + pid++ + "]: NOQUEUE: reject: RCPT from unknown[" + ip
                                + "]: 554 5.7.1 <v" + r.nextInt(1000) + "@elsewhere.test>: Relay access denied; "
                                + "from=<x@spam.test> to=<v@elsewhere.test> proto=ESMTP helo=<WIN-"
                                + Integer.toHexString(r.nextInt()).toUpperCase(Locale.ROOT) + ">");
                    }
                } else if (pick < 11) {
                    int n = 1 + r.nextInt(3);
                    ls.add("dovecot: imap-login: Disconnected (auth failed, " + n + " attempts in " + (2 * n)
                            + " secs): user=<bob>, method=PLAIN, rip=192.0.2." + (150 + r.nextInt(3))
                            + ", lip=192.0.2.25, TLS, session=<abc" + i + ">");
                } else {
                    ls.addAll(java.util.List.of(normal()));
                }
                for (String l : ls) {
                    if (i >= lines) {
                        break;
                    }
                    Instant t = start.plusMillis(i * stepMillis);
                    if (w.first == null) {
                        w.first = t;
                    }
                    w.last = t;
                    out.write(STAMP.format(t));
                    out.write(" mx ");
                    out.write(l);
                    out.write('\n');
                    count(w, l);
                    i++;
                    w.lines++;
                }
            }
        }
        return w;
    }

    private boolean inCeoWindow(long i, long stepMillis) {
        long t = i * stepMillis;
        return t >= Duration.ofHours(34).toMillis() && t < Duration.ofHours(40).toMillis();
    }

    /** Counts what a written line is, so a test knows the exact totals. */
    private static void count(Written w, String l) {
        if (l.contains(": PREGREET ")) {
            w.pregreet++;
            String ip = l.substring(l.indexOf("from [") + 6, l.indexOf("]:", l.indexOf("from [")));
            w.pregreetBy.merge(ip, 1L, Long::sum);
        } else if (l.contains("sasl_username=admin")) {
            w.saslAdmin++;
        } else if (l.contains("sasl_username=ceo")) {
            w.saslCeo++;
        } else if (l.contains("SSL_accept error")) {
            w.tls++;
        } else if (l.contains("Relay access denied")) {
            w.relay++;
        } else if (l.contains("(auth failed, ")) {
            w.dovecotAttempts += Integer.parseInt(l.substring(l.indexOf("(auth failed, ") + 14,
                    l.indexOf(" attempts")));
        }
    }

    private int port() {
        return 1024 + r.nextInt(60000);
    }

    private String[] normal() {
        String ip = "10." + r.nextInt(20) + "." + r.nextInt(250) + "." + (1 + r.nextInt(250));
        if (r.nextBoolean()) {
            ip = "198.51.100." + (1 + r.nextInt(250));
        }
        int p = pid++;
        String q = Integer.toHexString(queue++).toUpperCase(Locale.ROOT) + "4F2A";
        return new String[] {
            "postfix/smtpd[" + p + "]: connect from mail.sender.test[" + ip + "]",
            "postfix/smtpd[" + p + "]: " + q + ": client=mail.sender.test[" + ip + "]",
            "postfix/cleanup[77]: " + q + ": message-id=<" + q + "@sender.test>",
            "postfix/qmgr[88]: " + q + ": from=<a@sender.test>, size=" + (1000 + r.nextInt(90000))
                    + ", nrcpt=1 (queue active)",
            "postfix/smtpd[" + p + "]: disconnect from mail.sender.test[" + ip
                    + "] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
            "postfix/lmtp[99]: " + q + ": to=<u@example.test>, relay=127.0.0.1[127.0.0.1]:24, delay=0.2, "
                    + "delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
            "postfix/qmgr[88]: " + q + ": removed"};
    }
}
