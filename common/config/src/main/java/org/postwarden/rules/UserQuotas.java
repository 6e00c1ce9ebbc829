package org.postwarden.rules;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The layered outbound quotas of SASL users, compiled: for a user, its own quota layer -- {@code limits.users}
 * (layer {@code user}), else its domain's {@code mailbox} ({@code domain}), else {@code limits.sasl-user}
 * ({@code sasl-user}) -- and, when its domain has one, the domain's shared {@code pool} ({@code pool}), counted under
 * the user key {@link #poolKey}. All layers share one counter layout (every window any layer uses, those of
 * {@code limits.sasl-user} first, so that a configuration without layers keeps the store's layout); each layer
 * compares some of its slots with its own maxima.
 *
 * <p>Immutable and thread-safe.
 */
public final class UserQuotas {
    /** One limit of a layer: the counter slot it reads and the maximum. */
    public record Limit(int slot, CounterType type, long windowSeconds, long max) {
    }

    /**
     * One layer that applies to a user.
     *
     * @param name   {@code user}, {@code domain}, {@code sasl-user} or {@code pool}
     * @param key    the store's user key its counts are under (the user, or {@link #poolKey} of the domain)
     * @param rule   the configuration key of the rule, for explanations
     * @param limits its limits (may be empty: no limit)
     */
    public record Layer(String name, String key, String rule, List<Limit> limits) {
    }

    private final CounterLayout layout;
    private final List<Limit> saslDefault;
    private final Map<String, List<Limit>> users = new HashMap<>();
    private final Map<String, List<Limit>> mailboxes = new HashMap<>();
    private final Map<String, List<Limit>> pools = new HashMap<>();
    private final Map<String, String> ruleKeys = new HashMap<>();

    public UserQuotas(PostwardenConfig.Limits l) {
        List<CounterLayout.Slot> slots = new ArrayList<>();
        saslDefault = limits(slots, l.saslUser().messages(), l.saslUser().recipients(), true);
        List<PostwardenConfig.DomainQuota> domains = l.domains() == null ? List.of() : l.domains();
        for (int i = 0; i < domains.size(); i++) {
            PostwardenConfig.DomainQuota d = domains.get(i);
            String domain = d.domain().toLowerCase(Locale.ROOT);
            if (d.mailbox() != null) {
                mailboxes.put(domain, limits(slots, d.mailbox().messages(), d.mailbox().recipients(), false));
                ruleKeys.put("domain:" + domain, "limits.domains[" + i + "].mailbox");
            }
            if (d.pool() != null && !(empty(d.pool().messages()) && empty(d.pool().recipients()))) {
                pools.put(domain, limits(slots, d.pool().messages(), d.pool().recipients(), false));
                ruleKeys.put("pool:" + domain, "limits.domains[" + i + "].pool");
            }
        }
        List<PostwardenConfig.UserQuota> us = l.users() == null ? List.of() : l.users();
        for (int i = 0; i < us.size(); i++) {
            PostwardenConfig.UserQuota u = us.get(i);
            users.put(u.user(), limits(slots, u.messages(), u.recipients(), false));
            ruleKeys.put("user:" + u.user(), "limits.users[" + i + "]");
        }
        this.layout = new CounterLayout(slots);
    }

    /** The store's user counter layout: every window of every layer. */
    public CounterLayout layout() {
        return layout;
    }

    /** Whether any domain has a shared pool (then a pool key is counted besides the user). */
    public boolean hasPools() {
        return !pools.isEmpty();
    }

    /** The layers that apply to {@code user}: its own quota layer first, then its domain's pool if any. */
    public List<Layer> of(String user) {
        String domain = domainOf(user);
        List<Layer> out = new ArrayList<>(2);
        if (users.containsKey(user)) {
            out.add(new Layer("user", user, ruleKeys.get("user:" + user), users.get(user)));
        } else if (domain != null && mailboxes.containsKey(domain)) {
            out.add(new Layer("domain", user, ruleKeys.get("domain:" + domain), mailboxes.get(domain)));
        } else {
            out.add(new Layer("sasl-user", user, "limits.sasl-user", saslDefault));
        }
        if (domain != null && pools.containsKey(domain)) {
            out.add(new Layer("pool", poolKey(domain), ruleKeys.get("pool:" + domain), pools.get(domain)));
        }
        return out;
    }

    /** The pool key of {@code user}'s domain, or null when it has none. */
    public String poolKeyOf(String user) {
        String domain = domainOf(user);
        return domain != null && pools.containsKey(domain) ? poolKey(domain) : null;
    }

    /** The domain of a SASL user name (after its last {@code @}, lower case), or null. */
    public static String domainOf(String user) {
        int at = user.lastIndexOf('@');
        return at < 0 || at == user.length() - 1 ? null : user.substring(at + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * The store's user key of a domain's pool: {@code @domain}. A SASL user name with nothing before its {@code @}
     * would share it; Postfix and Dovecot authenticate the name, so no client picks it.
     */
    public static String poolKey(String domain) {
        return "@" + domain;
    }

    private static boolean empty(List<PostwardenConfig.Window> ws) {
        return ws == null || ws.isEmpty();
    }

    /** The limits of one layer, adding the slots the layout does not have yet. */
    private static List<Limit> limits(List<CounterLayout.Slot> slots, List<PostwardenConfig.Window> messages,
            List<PostwardenConfig.Window> recipients, boolean defaults) {
        List<Limit> out = new ArrayList<>();
        add(slots, out, CounterType.MESSAGES, messages, defaults);
        add(slots, out, CounterType.RECIPIENTS, recipients, defaults);
        return List.copyOf(out);
    }

    private static void add(List<CounterLayout.Slot> slots, List<Limit> out, CounterType type,
            List<PostwardenConfig.Window> ws, boolean defaults) {
        if (ws == null) {
            return;
        }
        for (PostwardenConfig.Window w : ws) {
            long seconds = w.window().toSeconds();
            int slot = -1;
            for (int i = 0; i < slots.size(); i++) {
                if (slots.get(i).type() == type && slots.get(i).windowSeconds() == seconds) {
                    slot = i;
                }
            }
            if (slot < 0 || defaults) {
                // limits.sasl-user keeps its own slots and maxima (the layout of a configuration without layers);
                // a window another layer adds is a slot whose own maximum nothing reads
                slots.add(new CounterLayout.Slot(type, seconds, defaults ? w.max() : Long.MAX_VALUE));
                slot = slots.size() - 1;
            }
            out.add(new Limit(slot, type, seconds, w.max()));
        }
    }
}
