package org.postwarden.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.model.TimeSource;

import java.net.InetAddress;
import java.time.Duration;

/**
 * Recent log traffic from private-range addresses, per address and in total, as exponentially decaying counts: the
 * data behind the Docker-gateway guard ({@code bans.private-majority}). Keeps the address with the largest share.
 * Bounded (least recently seen addresses are dropped); thread-safe (one monitor; a few arithmetic operations).
 */
final class PrivateTraffic {
    private final Cache<InetAddress, double[]> perAddress;
    private final TimeSource time;
    private double total;
    private long totalMillis;
    private InetAddress top;

    PrivateTraffic(long maxAddresses, TimeSource time) {
        this.time = time;
        this.perAddress = Caffeine.newBuilder().maximumSize(maxAddresses).expireAfterAccess(Duration.ofDays(1))
                .ticker(time::nanos).build();
    }

    /** One event from {@code a} (a private-range address). */
    synchronized void observe(InetAddress a, Duration halfLife) {
        long now = time.millis();
        double hl = Math.max(1, halfLife.toMillis());
        total = decay(total, totalMillis, now, hl) + 1;
        totalMillis = Math.max(totalMillis, now);
        double[] v = perAddress.get(a, k -> new double[2]);
        v[0] = decay(v[0], (long) v[1], now, hl) + 1;
        v[1] = Math.max(v[1], now);
        if (top == null || top.equals(a)) {
            top = a;
        } else {
            double[] t = perAddress.getIfPresent(top);
            if (t == null || decay(t[0], (long) t[1], now, hl) < v[0]) {
                top = a;
            }
        }
    }

    /** The private address with the largest recent share, or null when none was seen. */
    synchronized InetAddress top() {
        return top;
    }

    /** The recent share (0..1) of {@code a} in all private-range traffic. */
    synchronized double share(InetAddress a, Duration halfLife) {
        double[] v = perAddress.getIfPresent(a);
        if (v == null || total <= 0) {
            return 0;
        }
        long now = time.millis();
        double hl = Math.max(1, halfLife.toMillis());
        double t = decay(total, totalMillis, now, hl);
        return t <= 0 ? 0 : Math.min(1, decay(v[0], (long) v[1], now, hl) / t);
    }

    private static double decay(double value, long since, long now, double halfLifeMillis) {
        long dt = now - since;
        return dt <= 0 ? value : value * Math.pow(0.5, dt / halfLifeMillis);
    }
}
