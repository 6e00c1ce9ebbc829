package org.postwarden.milter.session;

import org.postwarden.api.Engine;
import org.postwarden.milter.codec.MilterWire;
import org.postwarden.verdict.Verdict;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Per-connection milter state: negotiation, the connection's facts and macros, the current transaction (sender,
 * recipients, queue id, content fingerprint) and what must wait for the end of the message (a tag header, a HOLD).
 * Not thread-safe: confined to the connection's event loop.
 */
public final class MilterSession {
    /** Most macros kept for one connection (macros of all stages together). */
    public static final int MAX_MACROS = 2 * MilterWire.MAX_MACROS;
    /** Most reasons kept for the report header. */
    public static final int MAX_REASONS = 16;

    private Negotiation negotiation;
    private final Map<String, String> macros = new HashMap<>();
    private MilterWire.Connect connect;
    private String helo = "";
    private boolean refused;

    private Engine.OpenSession open = Engine.OpenSession.NONE;

    private boolean inMessage;
    private String sender = "";
    private int recipients;
    private Verdict.Tag pendingTag;
    private Verdict.Hold pendingHold;
    private final Set<String> connectionReasons = new LinkedHashSet<>();
    private final Set<String> reasons = new LinkedHashSet<>();
    private final ContentFingerprint fingerprint;
    private boolean bodySkipped;

    /** @param fingerprintPrefix body bytes for the fingerprint, or 0 when fingerprints are off */
    public MilterSession(int fingerprintPrefix) {
        this.fingerprint = fingerprintPrefix > 0 ? new ContentFingerprint(fingerprintPrefix) : null;
    }

    // ---- negotiation -----------------------------------------------------------------------------------------

    public Negotiation negotiation() {
        return negotiation;
    }

    public boolean negotiated() {
        return negotiation != null;
    }

    public void negotiated(Negotiation n) {
        this.negotiation = n;
    }

    // ---- connection ------------------------------------------------------------------------------------------

    /** Adds macros (later values replace earlier ones); beyond {@link #MAX_MACROS} names, new names are dropped. */
    public void macros(Map<String, String> values) {
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (macros.size() < MAX_MACROS || macros.containsKey(e.getKey())) {
                macros.put(e.getKey(), e.getValue());
            }
        }
    }

    /** A macro's value, or the empty string. */
    public String macro(String name) {
        return macros.getOrDefault(name, "");
    }

    public boolean connected() {
        return connect != null;
    }

    public MilterWire.Connect connect() {
        return connect;
    }

    public void connect(MilterWire.Connect c) {
        this.connect = c;
    }

    public String helo() {
        return helo;
    }

    public void helo(String h) {
        this.helo = h;
    }

    /** True once the connection was refused at connect: Postfix sends nothing more but the quit. */
    public boolean refused() {
        return refused;
    }

    public void refused(boolean r) {
        this.refused = r;
    }

    /** Remembers the open session this connection counted, so that the close ends the same one. */
    public void opened(Engine.OpenSession session) {
        this.open = session;
    }

    /** Ends the counted open session once (idempotent). */
    public void release() {
        open.close();
        open = Engine.OpenSession.NONE;
    }

    /** Ends the SMTP session on this milter connection (quit, or quit with a new connection to follow). */
    public void endConnection() {
        release();
        macros.clear();
        connect = null;
        helo = "";
        refused = false;
        connectionReasons.clear();
        endMessage();
    }

    // ---- transaction -----------------------------------------------------------------------------------------

    public boolean inMessage() {
        return inMessage;
    }

    /** MAIL FROM: a new transaction. */
    public void startMessage(String envelopeSender) {
        endMessage();
        inMessage = true;
        sender = envelopeSender;
    }

    /** End of message or abort: the transaction is over. */
    public void endMessage() {
        inMessage = false;
        sender = "";
        recipients = 0;
        pendingTag = null;
        pendingHold = null;
        reasons.clear();
        bodySkipped = false;
        if (fingerprint != null) {
            fingerprint.reset();
        }
    }

    public String sender() {
        return sender;
    }

    public void recipient() {
        recipients++;
    }

    public int recipients() {
        return recipients;
    }

    /**
     * Keeps a tag or hold for the end of the message: the latest tag (its value has the newest score) and the first
     * hold of the transaction.
     */
    public void defer(Verdict v) {
        if (v instanceof Verdict.Tag t) {
            pendingTag = t;
        } else if (v instanceof Verdict.Hold h && pendingHold == null) {
            pendingHold = h;
        }
    }

    public Verdict.Tag pendingTag() {
        return pendingTag;
    }

    public Verdict.Hold pendingHold() {
        return pendingHold;
    }

    /**
     * Adds a finding's reason label (bounded) for the report header: to the connection's reasons before the first
     * transaction starts (connect, HELO), to the transaction's reasons inside one.
     */
    public void reason(String r) {
        Set<String> target = inMessage ? reasons : connectionReasons;
        if (connectionReasons.size() + reasons.size() < MAX_REASONS) {
            target.add(r);
        }
    }

    /** The connection's reasons, then the transaction's, each once. */
    public Set<String> reasons() {
        Set<String> all = new LinkedHashSet<>(connectionReasons);
        all.addAll(reasons);
        return all;
    }

    /** The fingerprint being built, or null when fingerprints are off. */
    public ContentFingerprint fingerprint() {
        return fingerprint;
    }

    public boolean bodySkipped() {
        return bodySkipped;
    }

    public void bodySkipped(boolean b) {
        this.bodySkipped = b;
    }
}
