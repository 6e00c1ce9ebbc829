package org.postwarden.milter.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A message's content fingerprint: SHA-256 over the normalized Subject and the normalized first
 * {@code prefixBytes} bytes of the body, cut to 64 bits (16 hex digits). Normalizing makes trivially varied copies
 * of one message (case, whitespace, line breaks, "Re:"/"Fwd:" prefixes) share a fingerprint; anything else (other
 * words, other numbers) does not. MIME encodings are not decoded: the same message sent with different encodings
 * has different fingerprints.
 *
 * <p>Bounded: keeps at most 256 characters of Subject and {@code prefixBytes} bytes of body (allocated on the first
 * body bytes, so sessions that are never fingerprinted cost nothing). Not thread-safe: one per session, used on the
 * session's event loop.
 */
public final class ContentFingerprint {
    private static final int MAX_SUBJECT = 256;
    private static final Pattern REPLY_PREFIX = Pattern.compile("^((re|fw|fwd|aw|wg)\\s*:\\s*)+");
    private static final Pattern SPACE = Pattern.compile("\\s+");
    private final int prefixBytes;
    private byte[] body;
    private int bodyLen;
    private int seen;
    private boolean lastSpace = true;
    private String subject = "";

    public ContentFingerprint(int prefixBytes) {
        if (prefixBytes < 1) {
            throw new IllegalArgumentException("prefixBytes: " + prefixBytes + " (expected: >= 1)");
        }
        this.prefixBytes = prefixBytes;
    }

    /** Starts a new message. */
    public void reset() {
        bodyLen = 0;
        seen = 0;
        lastSpace = true;
        subject = "";
    }

    /** Sets the Subject (the first one counts). */
    public void subject(String raw) {
        if (!subject.isEmpty()) {
            return;
        }
        String s = raw.length() > 4 * MAX_SUBJECT ? raw.substring(0, 4 * MAX_SUBJECT) : raw;
        s = SPACE.matcher(s.toLowerCase(Locale.ROOT)).replaceAll(" ").trim();
        s = REPLY_PREFIX.matcher(s).replaceFirst("");
        subject = s.length() > MAX_SUBJECT ? s.substring(0, MAX_SUBJECT) : s;
    }

    /** Feeds body bytes; returns true once the prefix is complete (further bytes are ignored). */
    public boolean body(byte[] chunk) {
        if (body == null) {
            body = new byte[prefixBytes];
        }
        for (int i = 0; i < chunk.length && seen < prefixBytes; i++, seen++) {
            int b = chunk[i] & 0xFF;
            boolean space = b == ' ' || b == '\t' || b == '\r' || b == '\n';
            if (space) {
                if (!lastSpace) {
                    body[bodyLen++] = ' ';
                }
                lastSpace = true;
            } else {
                body[bodyLen++] = (byte) (b >= 'A' && b <= 'Z' ? b + 32 : b);
                lastSpace = false;
            }
        }
        return complete();
    }

    public boolean complete() {
        return seen >= prefixBytes;
    }

    /** The fingerprint (16 lower-case hex digits). */
    public String value() {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        d.update(subject.getBytes(StandardCharsets.UTF_8));
        d.update((byte) '\n');
        int len = bodyLen > 0 && body[bodyLen - 1] == ' ' ? bodyLen - 1 : bodyLen;
        if (len > 0) {
            d.update(body, 0, len);
        }
        return HexFormat.of().formatHex(d.digest(), 0, 8);
    }
}
