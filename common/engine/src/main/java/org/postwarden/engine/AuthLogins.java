package org.postwarden.engine;

import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Addresses;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** What the auth policy knows of one user, for {@code ctl explain USER}: read-only, from its store tables. */
public final class AuthLogins {
    private AuthLogins() {
    }

    /**
     * What the auth policy knows of {@code user}, for {@code ctl explain USER}.
     *
     * @param failures       failed logins (distinct address and password pairs) in the window
     * @param addresses      distinct addresses (IPv6 /64) they came from
     * @param window         the window ({@code auth-policy.refuse.window} or the spraying window, the longer)
     * @param stale          devices that keep retrying one wrong password: "stale password from a device at ..."
     * @param knownDevices   addresses this user logged in from within {@code auth-policy.known-device}
     * @param failedScore    the user's own failed-login score (for {@code bans.user-alert-threshold})
     * @param sprayingUsers  distinct failed users of the whole site in the spraying window
     */
    public record UserLogins(int failures, int addresses, String window, List<String> stale,
            List<String> knownDevices, double failedScore, int sprayingUsers) {
    }

    /** {@link UserLogins} of {@code user} in {@code store}; {@code failedScore} is the user's failed-login score. */
    static UserLogins explain(String user, Rules rules, ReputationStore store, double failedScore) {
        String login = AuthState.normalize(user);
        PostwardenConfig.AuthPolicy c = rules.config().authPolicy();
        long now = store.time().millis();
        Duration window = c.refuse().window().compareTo(c.spraying().window()) >= 0 ? c.refuse().window()
                : c.spraying().window();
        long since = now - window.toMillis();
        int[] failures = {0};
        java.util.Set<String> addresses = new java.util.TreeSet<>();
        List<String> stale = new ArrayList<>();
        AuthRing r = store.table(AuthState.USERS).get(login);
        if (r != null) {
            r.forEach(since, (member, pw, first, last, hits, tag) -> {
                failures[0]++;
                String a = memberText(member, tag == AuthState.V6, rules.widePrefix());
                addresses.add(a);
                if (hits > 1) {
                    stale.add("stale password from a device at " + a + ": the same wrong password " + hits
                            + " times, last " + Durations.format(Duration.ofMillis(Math.max(0, now - last)))
                            + " ago (counted once)");
                }
            });
        }
        List<String> known = new ArrayList<>();
        String prefix = login + " ";
        List<Map.Entry<String, Long>> devices = new ArrayList<>();
        store.table(AuthState.DEVICES).forEach((key, last) -> {
            if (key.startsWith(prefix) && now - last[0] <= c.knownDevice().toMillis()) {
                devices.add(Map.entry(key.substring(prefix.length()), last[0]));
            }
        });
        devices.sort(Comparator.comparingLong(e -> -e.getValue()));
        for (Map.Entry<String, Long> e : devices.subList(0, Math.min(10, devices.size()))) {
            known.add(e.getKey() + " (last login " + Durations.format(Duration.ofMillis(Math.max(0,
                    now - e.getValue()))) + " ago)");
        }
        AuthRing site = store.table(AuthState.SITE).get(AuthState.TOTAL);
        int sprayed = site == null ? 0 : site.distinctA(now - c.spraying().window().toMillis());
        return new UserLogins(failures[0], addresses.size(), Durations.format(window), stale, known,
                failedScore, sprayed);
    }

    private static String memberText(long member, boolean v6, int widePrefix) {
        byte[] b;
        if (v6) {
            b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (member >>> (56 - 8 * i));
            }
        } else {
            b = new byte[] {(byte) (member >>> 24), (byte) (member >>> 16), (byte) (member >>> 8), (byte) member};
        }
        try {
            InetAddress a = InetAddress.getByAddress(b);
            return v6 ? ClientKey.of(a, KeyLevel.SUBNET, widePrefix).cidr() : Addresses.format(a);
        } catch (java.net.UnknownHostException e) {
            return "?";
        }
    }

}
