package org.postwarden.it.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One mail transaction that Postfix relayed to the smtp-sink, as dumped by {@code smtp-sink -d}: smtp-sink's own
 * {@code X-Client-Addr}, {@code X-Mail-Args}, {@code X-Rcpt-Args} and {@code Received} records, then the message.
 *
 * @param file where smtp-sink wrote it
 * @param text the whole dump
 */
public record SinkMessage(Path file, String text) {

    /** Envelope sender as Postfix sent it in MAIL FROM (without angle brackets; empty for the null sender). */
    public String sender() {
        return records("X-Mail-Args").stream().findFirst().map(SinkMessage::address).orElse("");
    }

    /** Envelope recipients as Postfix sent them in RCPT TO, without angle brackets and ESMTP parameters. */
    public List<String> recipients() {
        return records("X-Rcpt-Args").stream().map(SinkMessage::address).toList();
    }

    /** First message header with this name (case-insensitive), unfolded, after smtp-sink's own records. */
    public Optional<String> header(String name) {
        String[] lines = text.split("\n", -1);
        String prefix = name.toLowerCase(Locale.ROOT) + ":";
        for (int i = 0; i < lines.length && !lines[i].isEmpty(); i++) {
            if (lines[i].toLowerCase(Locale.ROOT).startsWith(prefix)) {
                StringBuilder v = new StringBuilder(lines[i].substring(prefix.length()).strip());
                for (int j = i + 1; j < lines.length && (lines[j].startsWith(" ") || lines[j].startsWith("\t")); j++) {
                    v.append(' ').append(lines[j].strip());
                }
                return Optional.of(v.toString());
            }
        }
        return Optional.empty();
    }

    private List<String> records(String name) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                break;
            }
            if (line.startsWith(name + ": ")) {
                out.add(line.substring(name.length() + 2));
            }
        }
        return out;
    }

    private static String address(String args) {
        String a = args.strip();
        if (a.startsWith("<")) {
            int end = a.indexOf('>');
            return end > 0 ? a.substring(1, end) : a.substring(1);
        }
        int sp = a.indexOf(' ');
        return sp > 0 ? a.substring(0, sp) : a;
    }
}
