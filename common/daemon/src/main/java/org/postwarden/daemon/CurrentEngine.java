package org.postwarden.daemon;

import org.postwarden.api.ForwardingEngine;
import org.postwarden.engine.DecisionEngine;

/**
 * The daemon's one engine: every listener holds this object for the daemon's lifetime, and each call goes to the
 * engine generation current at that moment. A reload puts a new generation in place ({@link #swap}); a call that
 * has started finishes on the generation it started on. Thread-safe.
 */
public final class CurrentEngine extends ForwardingEngine {
    private volatile DecisionEngine current;

    CurrentEngine(DecisionEngine first) {
        this.current = first;
    }

    /** The generation in use now (the daemon's admin queries and gauges read through it). */
    public DecisionEngine current() {
        return current;
    }

    void swap(DecisionEngine next) {
        current = next;
    }

    @Override
    protected DecisionEngine delegate() {
        return current;
    }
}
