package org.postwarden.app.setup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code setup postfix} changes in main.cf, computed from the live values ({@code postconf -x -h}) alone: no
 * I/O, so every layout rule is unit-tested. Each rule either leaves a parameter alone (already wired), computes its
 * new value, or refuses the whole plan: nothing is ever applied in part.
 */
final class PostfixPlan {
    static final String RELAY = "smtpd_relay_restrictions";
    static final String END_OF_DATA = "smtpd_end_of_data_restrictions";
    static final String MILTERS = "smtpd_milters";
    static final String POSTSCREEN_ACCESS = "postscreen_access_list";
    static final String DENYLIST_ACTION = "postscreen_denylist_action";
    static final String BLACKLIST_ACTION = "postscreen_blacklist_action";
    static final String VERSION = "mail_version";
    static final String MAILLOG = "maillog_file";
    /** Every parameter the plan reads. */
    static final List<String> READ = List.of(VERSION, RELAY, END_OF_DATA, MILTERS, POSTSCREEN_ACCESS, MAILLOG);

    private PostfixPlan() {
    }

    /** One parameter's change. */
    record Change(String name, String before, String after) {
    }

    /**
     * The Postwarden side: policy and milter listeners (host:port, or null when off), the ban map (or ""), and the
     * file Postfix should log to itself ({@code maillog_file}) because nothing else writes the mail log the ingester
     * follows (or "": leave Postfix's logging alone).
     */
    record Target(String policy, String milter, String cidrMap, String maillog) {
        Target(String policy, String milter, String cidrMap) {
            this(policy, milter, cidrMap, "");
        }
    }

    static String policyElement(String listen) {
        return "check_policy_service { inet:" + listen + ", timeout=10s, default_action=DUNNO }";
    }

    static String milterElement(String listen) {
        return "{ inet:" + listen + ", connect_timeout=5s, command_timeout=10s, content_timeout=30s,"
                + " default_action=accept }";
    }

    /**
     * The changes for {@code live} (parameter name to value, {@code $name} already expanded), where
     * {@code explicitRaw} holds the unexpanded values of parameters set in main.cf.
     */
    static List<Change> plan(Map<String, String> live, Map<String, String> explicitRaw, Target t,
            String configDir) throws Tool.Refused {
        int[] version = version(live.getOrDefault(VERSION, ""));
        if (version[0] < 3) {
            throw new Tool.Refused("Postfix " + live.get(VERSION) + " in " + configDir + " is older than 3.0: the"
                    + " { ... } forms of policy and milter options need 3.0 or newer; wire it by hand"
                    + " (deploy/postfix/main.cf.snippet)");
        }
        for (String name : READ) {
            String raw = explicitRaw.get(name);
            if (raw != null && raw.contains("$") && !name.equals(VERSION)) {
                throw new Tool.Refused(name + " = " + raw + " in " + configDir + "/main.cf refers to another"
                        + " parameter; setup does not edit indirect lists: inline it, or wire Postwarden by hand"
                        + " (deploy/postfix/main.cf.snippet)");
            }
        }
        List<Change> changes = new ArrayList<>();
        if (t.policy() != null) {
            String relay = live.getOrDefault(RELAY, "").strip();
            String element = policyElement(t.policy());
            if (!relay.contains("inet:" + t.policy())) {
                List<String> words = words(relay);
                if (!words.contains("reject_unauth_destination") && !words.contains("defer_unauth_destination")) {
                    throw new Tool.Refused(RELAY + " = " + (relay.isEmpty() ? "(empty)" : relay) + " in " + configDir
                            + " has neither reject_unauth_destination nor defer_unauth_destination: setup does not"
                            + " know where this Postfix refuses relaying (an old layout with the relay check in"
                            + " smtpd_recipient_restrictions?). Nothing was changed; wire it by hand"
                            + " (deploy/postfix/main.cf.snippet)");
                }
                changes.add(new Change(RELAY, relay, element + ", " + relay));
            }
            String eod = live.getOrDefault(END_OF_DATA, "").strip();
            if (!eod.contains("inet:" + t.policy())) {
                changes.add(new Change(END_OF_DATA, eod, eod.isEmpty() ? element : element + ", " + eod));
            }
        }
        if (t.milter() != null) {
            String milters = live.getOrDefault(MILTERS, "").strip();
            if (!milters.contains("inet:" + t.milter())) {
                String element = milterElement(t.milter());
                changes.add(new Change(MILTERS, milters, milters.isEmpty() ? element : milters + ", " + element));
            }
        }
        if (!t.cidrMap().isBlank()) {
            String access = live.getOrDefault(POSTSCREEN_ACCESS, "").strip();
            String map = "cidr:" + t.cidrMap();
            if (!access.contains(map)) {
                changes.add(new Change(POSTSCREEN_ACCESS, access, access.isEmpty() ? map : access + ", " + map));
            }
            String actionName = version[0] > 3 || version[1] >= 6 ? DENYLIST_ACTION : BLACKLIST_ACTION;
            String action = live.getOrDefault(actionName, "ignore").strip();
            if (action.equals("ignore")) {
                changes.add(new Change(actionName, action, "drop"));
            }
        }
        String maillog = live.getOrDefault(MAILLOG, "").strip();
        if (!t.maillog().isBlank() && maillog.isEmpty() && (version[0] > 3 || version[1] >= 4)) {
            // Postfix 3.4+ writes its own log through postlogd (master.cf's postlog service, in Debian's default)
            changes.add(new Change(MAILLOG, maillog, t.maillog()));
        }
        return changes;
    }

    /** Parameters the plan needs besides {@link #READ}: the postscreen action's name depends on the version. */
    static Set<String> readAlso() {
        return Set.of(DENYLIST_ACTION, BLACKLIST_ACTION);
    }

    /**
     * Notes about master.cf services that override a parameter the plan changes ({@code postconf -P} lines such as
     * {@code submission/inet/smtpd_relay_restrictions = permit_sasl_authenticated,reject}): setup leaves them alone.
     */
    static List<String> overrideNotes(String postconfP, List<Change> changes) {
        List<String> notes = new ArrayList<>();
        for (String line : postconfP.split("\n")) {
            String l = line.strip();
            int eq = l.endsWith(" =") ? l.length() - 2 : l.indexOf(" = ");
            int slash = eq < 0 ? -1 : l.lastIndexOf('/', eq);
            if (slash < 0) {
                continue;
            }
            String param = l.substring(slash + 1, eq).strip();
            String service = l.substring(0, slash);
            String value = l.substring(Math.min(l.length(), eq + 3)).strip();
            if (changes.stream().anyMatch(c -> c.name().equals(param))) {
                notes.add("note: master.cf service " + service + " overrides " + param + " = "
                        + (value.isEmpty() ? "(empty)" : value)
                        + "; left alone (edit it there if that service should be judged too)");
            }
        }
        return notes;
    }

    /** The list's words: separated by commas and white space, a { ... } group is one word. */
    static List<String> words(String list) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        for (char c : list.toCharArray()) {
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth = Math.max(0, depth - 1);
            }
            if (depth == 0 && (c == ',' || Character.isWhitespace(c))) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (!cur.isEmpty()) {
            words.add(cur.toString());
        }
        return words;
    }

    /** {major, minor} of a mail_version such as 3.7.11; {0, 0} when unreadable. */
    static int[] version(String v) {
        String[] parts = v.strip().split("\\.");
        try {
            return new int[] {Integer.parseInt(parts[0]), parts.length > 1 ? Integer.parseInt(parts[1]) : 0};
        } catch (NumberFormatException e) {
            return new int[] {0, 0};
        }
    }
}
