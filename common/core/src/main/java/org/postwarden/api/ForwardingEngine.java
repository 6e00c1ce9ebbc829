package org.postwarden.api;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.reputation.Ban;
import org.postwarden.verdict.Decision;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * An {@link Engine} that hands every call to another engine, {@link #delegate()}, asked afresh on each call.
 * Subclasses choose the delegate (a reload's current generation, say) and override only the calls they treat
 * differently. As thread-safe as the delegate and the subclass's choice of it.
 */
public abstract class ForwardingEngine implements Engine {

    /** The engine this call goes to. */
    protected abstract Engine delegate();

    @Override
    public CompletionStage<Decision> decide(MailEvent event) {
        return delegate().decide(event);
    }

    @Override
    public SignalOutcome observe(LogSignal signal) {
        return delegate().observe(signal);
    }

    @Override
    public void delivered(String queueId, DeliveryOutcomes.Status status, long timeMillis) {
        delegate().delivered(queueId, status, timeMillis);
    }

    @Override
    public AuthVerdict authPolicy(AuthAttempt attempt) {
        return delegate().authPolicy(attempt);
    }

    @Override
    public OpenSession connectionOpened(InetAddress client) {
        return delegate().connectionOpened(client);
    }

    @Override
    public Ban ban(Cidr target, Duration duration, String reason, String detail) {
        return delegate().ban(target, duration, reason, detail);
    }

    @Override
    public boolean unban(Cidr target) {
        return delegate().unban(target);
    }

    @Override
    public BanList bans() {
        return delegate().bans();
    }

    @Override
    public PostwardenConfig config() {
        return delegate().config();
    }
}
