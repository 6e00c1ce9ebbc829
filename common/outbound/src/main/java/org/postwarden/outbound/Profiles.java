package org.postwarden.outbound;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.outbound.OutboundState.Suspended;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;
import org.postwarden.rules.Rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outbound guard's sender profiles in a store: the table of a configuration's bounds, rolling a profile to now
 * (not learning while its sender is suspended), and what the admin side does with them (explain, forget a burst,
 * drop the silent ones). Thread-safe: a profile is read and changed under its own monitor.
 */
final class Profiles {
    private volatile Kind kind;

    /** The profile kind of one {@code outbound} section (built once per configuration, not per event). */
    private record Kind(PostwardenConfig.Outbound outbound, StateKind<SenderProfile> kind) {
    }

    Profiles(PostwardenConfig.Outbound o) {
        this.kind = new Kind(o, OutboundState.profiles(o));
    }

    /** The profile table of {@code r}'s bounds in {@code store}. */
    StateTable<SenderProfile> table(Rules r, ReputationStore store) {
        PostwardenConfig.Outbound o = r.config().outbound();
        Kind k = kind;
        if (k.outbound() != o) {
            k = new Kind(o, OutboundState.profiles(o));
            kind = k;
        }
        return store.table(k.kind());
    }

    /** Rolls profile {@code key} to {@code now}; its hours are not learned while its subject is suspended. */
    static void roll(SenderProfile p, String key, PostwardenConfig.Outbound o, long now,
            StateTable<Suspended> suspensions) {
        int from = key.indexOf(" from ");
        p.roll(now, o.baseline(), suspensions.get(from < 0 ? key : key.substring(0, from)) != null);
    }

    /**
     * Drops the current and previous hour's counts of {@code subject}'s profiles, so a released sender starts
     * afresh instead of tripping again at its next message, and the burst never becomes part of its baseline.
     */
    void forgetBurst(String subject, Rules r, ReputationStore store) {
        List<SenderProfile> of = new ArrayList<>();
        table(r, store).forEach((k, p) -> {
            if (k.equals(subject) || k.startsWith(subject + " from ")) {
                of.add(p);
            }
        });
        for (SenderProfile p : of) {
            synchronized (p) {
                p.forgetRecent();
            }
        }
    }

    /** Forgets the profiles without a message for longer than {@code outbound.profile-expiry}; returns how many. */
    int dropSilent(Rules r, ReputationStore store, long now) {
        long expiry = r.config().outbound().profileExpiry().toMillis();
        StateTable<SenderProfile> profiles = table(r, store);
        List<String> silent = new ArrayList<>();
        profiles.forEach((k, p) -> {
            synchronized (p) {
                if (now - p.lastSeenMillis > expiry) {
                    silent.add(k);
                }
            }
        });
        silent.forEach(profiles::remove);
        return silent.size();
    }

    /** Per dimension of profile {@code key}: {recent, threshold, baseline}; empty when there is no such profile. */
    Optional<Map<String, double[]>> explain(String key, Rules r, ReputationStore store, long now) {
        SenderProfile p = table(r, store).get(key);
        if (p == null) {
            return Optional.empty();
        }
        PostwardenConfig.Outbound o = r.config().outbound();
        Map<String, double[]> out = new LinkedHashMap<>();
        synchronized (p) {
            roll(p, key, o, now, store.table(OutboundState.SUSPENSIONS));
            for (int d = 0; d < SenderProfile.DIMENSIONS; d++) {
                out.put(SenderProfile.DIMENSION_NAMES[d],
                        new double[] {p.recent(d, now), p.threshold(d, o, now), p.baseline[d]});
            }
        }
        return Optional.of(out);
    }
}
