package org.postwarden.milter.codec;

import org.nightcode.milter.Actions;
import org.nightcode.milter.MilterMacros;
import org.nightcode.milter.ProtocolSteps;
import org.nightcode.milter.ResponseCode;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.transport.ProtocolException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Payload formats of the milter commands Postwarden reads, and the replies it writes, on top of jmilter's
 * {@link MilterPacket} and codes. Parsers are strict and bounded: anything malformed throws a
 * {@link ProtocolException} with reason {@code malformed-packet} (never an index or argument exception), and never resolves a host name.
 */
public final class MilterWire {
    /** Most macros kept from one macro packet; the rest are ignored (Postfix sends the few we ask for). */
    public static final int MAX_MACROS = 64;
    /** Longest reply or header text written (jmilter's and sendmail's reply limit is 980). */
    public static final int MAX_TEXT = 900;
    /** Most characters of a payload sample in a log line. */
    static final int SAMPLE = 64;

    private MilterWire() {
    }

    /** SMFIC_OPTNEG from the MTA: protocol version, offered actions, offered protocol steps. */
    public record Optneg(int version, int actions, int steps) {
    }

    /**
     * SMFIC_CONNECT: host name, address family ({@code 4}, {@code 6}, {@code L}, {@code U}), port and address as
     * the MTA wrote them (port -1 and address empty when the family carries none).
     */
    public record Connect(String hostname, char family, int port, String address) {
    }

    /** SMFIC_MACRO: the command the macros belong to, and name/value pairs. */
    public record Macros(int command, Map<String, String> values) {
    }

    /** SMFIC_HEADER: one header. */
    public record Header(String name, String value) {
    }

    public static Optneg optneg(byte[] p) {
        if (p.length < 12) {
            throw malformed("option negotiation shorter than 12 bytes", p);
        }
        return new Optneg(intAt(p, 0), intAt(p, 4), intAt(p, 8));
    }

    public static Connect connect(byte[] p) {
        int nul = indexOfNul(p, 0);
        if (nul < 0 || nul + 1 >= p.length) {
            throw malformed("connect without host name and family", p);
        }
        String host = text(p, 0, nul);
        char family = (char) (p[nul + 1] & 0xFF);
        int i = nul + 2;
        return switch (family) {
            case '4', '6', 'L' -> {
                int end = p.length > i + 2 ? indexOfNul(p, i + 2) : -1;
                if (end < 0) {
                    throw malformed("connect without port and address", p);
                }
                int port = ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
                yield new Connect(host, family, port, text(p, i + 2, end));
            }
            case 'U' -> new Connect(host, family, -1, "");
            default -> throw malformed("connect with unknown address family 0x" + Integer.toHexString(family), p);
        };
    }

    public static Macros macros(byte[] p) {
        if (p.length < 1) {
            throw malformed("macro packet without command", p);
        }
        List<String> s = strings(p, 1, 2 * MAX_MACROS + 2);
        if (s.size() % 2 != 0) {
            throw malformed("macro names and values do not pair up", p);
        }
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < s.size() && m.size() < MAX_MACROS; i += 2) {
            m.put(s.get(i), s.get(i + 1));
        }
        return new Macros(p[0] & 0xFF, m);
    }

    public static Header header(byte[] p) {
        List<String> s = strings(p, 0, 2);
        if (s.size() != 2) {
            throw malformed("header is not name and value", p);
        }
        return new Header(s.get(0), s.get(1));
    }

    /** The first NUL-terminated string (HELO name, MAIL and RCPT address; the ESMTP arguments after it ignored). */
    public static String firstString(byte[] p) {
        int nul = indexOfNul(p, 0);
        if (nul < 0) {
            throw malformed("string without terminating NUL", p);
        }
        return text(p, 0, nul);
    }

    /** NUL-terminated strings from {@code from} to the end; at most {@code max} (more is malformed). */
    static List<String> strings(byte[] p, int from, int max) {
        List<String> out = new ArrayList<>();
        int i = from;
        while (i < p.length) {
            int nul = indexOfNul(p, i);
            if (nul < 0) {
                throw malformed("string without terminating NUL", p);
            }
            if (out.size() == max) {
                throw malformed("more than " + max + " strings", p);
            }
            out.add(text(p, i, nul));
            i = nul + 1;
        }
        return out;
    }

    private static int intAt(byte[] p, int i) {
        return ((p[i] & 0xFF) << 24) | ((p[i + 1] & 0xFF) << 16) | ((p[i + 2] & 0xFF) << 8) | (p[i + 3] & 0xFF);
    }

    private static int indexOfNul(byte[] p, int from) {
        for (int i = from; i < p.length; i++) {
            if (p[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static String text(byte[] p, int from, int to) {
        return new String(p, from, to - from, StandardCharsets.UTF_8);
    }

    private static ProtocolException malformed(String message, byte[] p) {
        return error("malformed-packet", message, p);
    }

    /**
     * A protocol error with an escaped sample of the payload. Reasons (bounded, for metrics): packet-too-large,
     * empty-packet, unknown-command, out-of-order, pipelined, malformed-packet.
     */
    public static ProtocolException error(String reason, String message, byte[] payload) {
        return new ProtocolException(reason, message, payload, SAMPLE);
    }

    // ---- replies --------------------------------------------------------------------------------------------

    /** A reply without payload: continue, accept, tempfail, skip... */
    public static MilterPacket reply(ResponseCode code) {
        return new MilterPacket(code, new byte[0]);
    }

    /** SMFIR_REPLYCODE {@code "450 4.7.1 text"}; the text is made safe for an SMTP reply line. */
    public static MilterPacket replyCode(String code, String enhanced, String text) {
        return new MilterPacket(ResponseCode.SMFIR_REPLYCODE, nulTerminated(code + " " + enhanced + " "
                + replyText(text)));
    }

    /** SMFIR_ADDHEADER; name and value are made safe (no line breaks, ASCII). */
    public static MilterPacket addHeader(String name, String value) {
        byte[] n = safe(name, 64, false).getBytes(StandardCharsets.US_ASCII);
        byte[] v = safe(value, MAX_TEXT, false).getBytes(StandardCharsets.US_ASCII);
        byte[] p = new byte[n.length + v.length + 2];
        System.arraycopy(n, 0, p, 0, n.length);
        System.arraycopy(v, 0, p, n.length + 1, v.length);
        return new MilterPacket(ResponseCode.SMFIR_ADDHEADER, p);
    }

    /** SMFIR_QUARANTINE: Postfix puts the message in the hold queue (the reason is not kept by Postfix). */
    public static MilterPacket quarantine(String reason) {
        return new MilterPacket(ResponseCode.SMFIR_QUARANTINE, nulTerminated(safe(reason, MAX_TEXT, false)));
    }

    /** The milter's SMFIC_OPTNEG answer: version, actions it will use, steps it wants, macros it asks for. */
    public static MilterPacket optnegReply(int version, Actions actions, ProtocolSteps steps, MilterMacros macros) {
        byte[] m = macros.array();
        byte[] p = new byte[12 + m.length];
        p[0] = (byte) (version >>> 24);
        p[1] = (byte) (version >>> 16);
        p[2] = (byte) (version >>> 8);
        p[3] = (byte) version;
        actions.writeTo(p, 4);
        steps.writeTo(p, 8);
        System.arraycopy(m, 0, p, 12, m.length);
        return new MilterPacket(org.nightcode.milter.CommandCode.SMFIC_OPTNEG, p);
    }

    /** Reply text for Postfix: printable ASCII, '%' doubled (Postfix turns "%%" back into '%'), bounded. */
    static String replyText(String text) {
        return safe(text, MAX_TEXT, true);
    }

    private static String safe(String s, int max, boolean doublePercent) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F) {
                sb.append(c < 0x20 ? ' ' : '?');
            } else if (c == '%' && doublePercent) {
                sb.append("%%");
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static byte[] nulTerminated(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        byte[] p = new byte[b.length + 1];
        System.arraycopy(b, 0, p, 0, b.length);
        return p;
    }
}
