package org.postwarden.engine;

import org.postwarden.model.Decay;
import org.postwarden.reputation.StateCodec;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recent log traffic from private-range addresses, per address and in total, as exponentially decaying counts: the
 * data behind the Docker-gateway guard ({@code bans.private-majority}). Keeps the address with the largest share.
 * Bounded (the least recently seen addresses are dropped beyond {@link #MAX_ADDRESSES}); thread-safe (one monitor; a
 * few arithmetic operations). Kept in the store as {@link SignalState#PRIVATE_TRAFFIC}.
 */
final class PrivateTraffic {
    static final int MAX_ADDRESSES = 10_000;
    private final Map<InetAddress, double[]> perAddress = new LinkedHashMap<>(16, 0.75f, true);
    private double total;
    private long totalMillis;
    private InetAddress top;

    /** One event from {@code a} (a private-range address) at {@code now}. */
    synchronized void observe(InetAddress a, Duration halfLife, long now) {
        double hl = Math.max(1, halfLife.toMillis());
        total = Decay.decayed(total, now - totalMillis, hl) + 1;
        totalMillis = Math.max(totalMillis, now);
        double[] v = perAddress.computeIfAbsent(a, k -> new double[2]);
        v[0] = Decay.decayed(v[0], now - (long) v[1], hl) + 1;
        v[1] = Math.max(v[1], now);
        if (perAddress.size() > MAX_ADDRESSES) {
            Iterator<InetAddress> eldest = perAddress.keySet().iterator();
            InetAddress drop = eldest.next();
            eldest.remove();
            if (drop.equals(top)) {
                top = null;
            }
        }
        if (top == null || top.equals(a)) {
            top = a;
        } else {
            double[] t = perAddress.get(top);
            if (t == null || Decay.decayed(t[0], now - (long) t[1], hl) < v[0]) {
                top = a;
            }
        }
    }

    /** The private address with the largest recent share, or null when none was seen. */
    synchronized InetAddress top() {
        return top;
    }

    /** The recent share (0..1) of {@code a} in all private-range traffic, at {@code now}. */
    synchronized double share(InetAddress a, Duration halfLife, long now) {
        double[] v = perAddress.get(a);
        if (v == null || total <= 0) {
            return 0;
        }
        double hl = Math.max(1, halfLife.toMillis());
        double t = Decay.decayed(total, now - totalMillis, hl);
        return t <= 0 ? 0 : Math.min(1, Decay.decayed(v[0], now - (long) v[1], hl) / t);
    }

    /** Persists the counts, the total and the top address. */
    static final class Codec implements StateCodec<PrivateTraffic> {
        @Override
        public void write(DataOutput out, PrivateTraffic p) throws IOException {
            synchronized (p) {
                out.writeDouble(p.total);
                out.writeLong(p.totalMillis);
                out.writeBoolean(p.top != null);
                if (p.top != null) {
                    SignalState.writeAddress(out, p.top);
                }
                out.writeInt(p.perAddress.size());
                for (Map.Entry<InetAddress, double[]> e : p.perAddress.entrySet()) {
                    SignalState.writeAddress(out, e.getKey());
                    out.writeDouble(e.getValue()[0]);
                    out.writeDouble(e.getValue()[1]);
                }
            }
        }

        @Override
        public PrivateTraffic read(DataInput in, int version) throws IOException {
            PrivateTraffic p = new PrivateTraffic();
            p.total = in.readDouble();
            p.totalMillis = in.readLong();
            if (in.readBoolean()) {
                p.top = SignalState.readAddress(in);
            }
            int n = in.readInt();
            if (n < 0 || n > MAX_ADDRESSES) {
                throw new IOException(n + " private addresses (max " + MAX_ADDRESSES + ")");
            }
            for (int i = 0; i < n; i++) {
                p.perAddress.put(SignalState.readAddress(in), new double[] {in.readDouble(), in.readDouble()});
            }
            return p;
        }
    }
}
