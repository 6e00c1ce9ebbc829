package org.postwarden.daemon;

import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.api.Engine;
import org.postwarden.api.LogSignal;
import org.postwarden.api.SignalOutcome;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.reputation.Ban;
import org.postwarden.verdict.Decision;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The daemon's one engine: every listener holds this object for the daemon's lifetime, and each call goes to the
 * engine generation current at that moment. A reload puts a new generation in place ({@link #swap}); a call that
 * has started finishes on the generation it started on. Thread-safe.
 */
public final class CurrentEngine implements Engine {
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
    public CompletionStage<Decision> decide(MailEvent event) {
        return current.decide(event);
    }

    @Override
    public SignalOutcome observe(LogSignal signal) {
        return current.observe(signal);
    }

    @Override
    public void delivered(String queueId, DeliveryOutcomes.Status status, long timeMillis) {
        current.delivered(queueId, status, timeMillis);
    }

    @Override
    public OpenSession connectionOpened(InetAddress client) {
        return current.connectionOpened(client);
    }

    @Override
    public Ban ban(Cidr target, Duration duration, String reason, String detail) {
        return current.ban(target, duration, reason, detail);
    }

    @Override
    public boolean unban(Cidr target) {
        return current.unban(target);
    }

    @Override
    public BanList bans() {
        return current.bans();
    }

    @Override
    public PostwardenConfig config() {
        return current.config();
    }
}
