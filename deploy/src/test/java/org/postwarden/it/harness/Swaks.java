package org.postwarden.it.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends one SMTP transaction with {@code swaks} and returns its transcript.
 *
 * <pre>{@code
 * Swaks.Result r = Swaks.to("user@example.test").port(pf.smtpdPort()).localInterface("127.0.0.7").send();
 * assertEquals(List.of(250), r.rcptReplies());
 * }</pre>
 */
public final class Swaks {

    private static final Pattern REPLY = Pattern.compile("^<[-*~]+ +(\\d{3})[ -]");
    private static final Pattern COMMAND = Pattern.compile("^ -> (.*)$");
    private static final Pattern QUEUED = Pattern.compile("queued as ([0-9A-Za-z]+)");

    private Swaks() {
    }

    /** A new request to the given recipients (one RCPT TO each). */
    public static Request to(String... recipients) {
        return new Request(List.of(recipients));
    }

    /** Runs {@code request}; the process is killed if it outlives its SMTP timeout by 10 s. */
    public static Result send(Request request) {
        Requirements.require("swaks", "swaks");
        List<String> cmd = request.command();
        Exec.Result r = Exec.run(request.timeout.plusSeconds(10), cmd);
        return new Result(cmd, r.exitCode(), r.output(), r.timedOut());
    }

    /** What to send; every setter returns this request. Defaults: 127.0.0.1, port 25 (set it!), 10 s timeout. */
    public static final class Request {
        private final List<String> recipients;
        private String from = "sender@client.test";
        private String server = "127.0.0.1";
        private int port = -1;
        private String localInterface;
        private String ehlo;
        private String xclientAddr;
        private String authType = "PLAIN";
        private String authUser;
        private String authPassword;
        private final List<String> headers = new ArrayList<>();
        private String body;
        private Duration timeout = Duration.ofSeconds(10);
        private final List<String> extraArgs = new ArrayList<>();

        private Request(List<String> recipients) {
            if (recipients.isEmpty()) {
                throw new IllegalArgumentException("at least one recipient");
            }
            this.recipients = recipients;
        }

        /** Envelope sender and From header ({@code --from}); default {@code sender@client.test}. */
        public Request from(String address) {
            this.from = address;
            return this;
        }

        /** Server address; default 127.0.0.1. */
        public Request server(String address) {
            this.server = address;
            return this;
        }

        /** Server port (required). */
        public Request port(int port) {
            this.port = port;
            return this;
        }

        /** Source address ({@code --local-interface}), any 127.x.y.z, so tests can act as distinct clients. */
        public Request localInterface(String address) {
            this.localInterface = address;
            return this;
        }

        /**
         * Presents {@code address} as the client with Postfix's XCLIENT ({@code --xclient-addr}; the server must list
         * the real client in {@code smtpd_authorized_xclient_hosts}, see {@link PostfixInstance.Builder#xclientHosts}).
         * An IPv6 address is sent as {@code IPv6:address}, as XCLIENT wants it.
         */
        public Request xclientAddr(String address) {
            this.xclientAddr = address.indexOf(':') >= 0 && !address.regionMatches(true, 0, "IPv6:", 0, 5)
                    ? "IPv6:" + address : address;
            return this;
        }

        /** EHLO argument ({@code --ehlo}). */
        public Request ehlo(String name) {
            this.ehlo = name;
            return this;
        }

        /** AUTH with {@code --auth PLAIN} (see {@link #authType}). */
        public Request auth(String user, String password) {
            this.authUser = user;
            this.authPassword = password;
            return this;
        }

        /** SASL mechanism for {@link #auth}: PLAIN (default) or LOGIN. */
        public Request authType(String mechanism) {
            this.authType = mechanism;
            return this;
        }

        /** Adds or replaces a message header, as {@code "Name: value"} ({@code --header}); repeatable. */
        public Request header(String header) {
            headers.add(header);
            return this;
        }

        /** Message body ({@code --body}). */
        public Request body(String text) {
            this.body = text;
            return this;
        }

        /** SMTP timeout ({@code --timeout}); the process gets 10 s more before it is killed. Default 10 s. */
        public Request timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Any other swaks arguments, appended as they are. */
        public Request args(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /** Runs it; see {@link Swaks#send(Request)}. */
        public Result send() {
            return Swaks.send(this);
        }

        List<String> command() {
            if (port <= 0) {
                throw new IllegalStateException("set the server port");
            }
            List<String> c = new ArrayList<>(List.of(Requirements.exe("swaks"),
                    "--server", server, "--port", Integer.toString(port),
                    "--from", from, "--to", String.join(",", recipients),
                    "--timeout", Math.max(1, timeout.toSeconds()) + "s"));
            if (localInterface != null) {
                c.addAll(List.of("--local-interface", localInterface));
            }
            if (ehlo != null) {
                c.addAll(List.of("--ehlo", ehlo));
            }
            if (xclientAddr != null) {
                c.addAll(List.of("--xclient-addr", xclientAddr));
            }
            if (authUser != null) {
                c.addAll(List.of("--auth", authType, "--auth-user", authUser, "--auth-password", authPassword));
            }
            for (String h : headers) {
                c.addAll(List.of("--header", h));
            }
            if (body != null) {
                c.addAll(List.of("--body", body));
            }
            c.addAll(extraArgs);
            return c;
        }
    }

    /**
     * The outcome of one swaks run.
     *
     * @param command    the argv that ran
     * @param exitCode   swaks' exit code (0 ok, 2 connect failed, 23 MAIL, 24 no RCPT accepted, 25 DATA,
     *                   26 end of data, 28 AUTH), -1 if killed
     * @param transcript the full SMTP transcript ({@code " -> "} client lines, {@code "<- "} / {@code "<** "} replies)
     * @param timedOut   whether swaks had to be killed
     */
    public record Result(List<String> command, int exitCode, String transcript, boolean timedOut) {

        /** Reply codes to each RCPT TO, in order. */
        public List<Integer> rcptReplies() {
            return repliesTo("RCPT");
        }

        /**
         * Reply code of the first reply line after each client line starting with {@code verb} (case-insensitive),
         * e.g. {@code "MAIL"}, {@code "AUTH"}, {@code "DATA"} (354), {@code "."} (end of data).
         */
        public List<Integer> repliesTo(String verb) {
            String v = verb.toUpperCase(Locale.ROOT);
            List<Integer> codes = new ArrayList<>();
            boolean waiting = false;
            for (String line : transcript.lines().toList()) {
                Matcher cm = COMMAND.matcher(line);
                if (cm.matches()) {
                    waiting = cm.group(1).toUpperCase(Locale.ROOT).startsWith(v);
                    continue;
                }
                Matcher rm = REPLY.matcher(line);
                if (waiting && rm.find()) {
                    codes.add(Integer.parseInt(rm.group(1)));
                    waiting = false;
                }
            }
            return codes;
        }

        /** Reply text lines (without the arrow) that the server sent, in order. */
        public List<String> replies() {
            return transcript.lines().filter(l -> REPLY.matcher(l).find())
                    .map(l -> l.replaceFirst("^<[-*~]+ +", "")).toList();
        }

        /** Queue ID from {@code 250 2.0.0 Ok: queued as ...}, if the message was accepted. */
        public Optional<String> queueId() {
            Matcher m = QUEUED.matcher(transcript);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        }

        /** Whether the transcript contains {@code text} (e.g. {@code "450 4.7.1"}). */
        public boolean contains(String text) {
            return transcript.contains(text);
        }

        /** Exit code 0: the message was accepted. */
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** Command, exit code and transcript, for assertion messages. */
        @Override
        public String toString() {
            return "swaks exited " + exitCode + (timedOut ? " (killed)" : "") + ":\n" + transcript;
        }
    }
}
