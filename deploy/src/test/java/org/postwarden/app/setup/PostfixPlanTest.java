package org.postwarden.app.setup;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PostfixPlanTest {
    static final PostfixPlan.Target TARGET = new PostfixPlan.Target("127.0.0.1:10033", "127.0.0.1:10034", "");
    static final String POLICY = "check_policy_service { inet:127.0.0.1:10033, timeout=10s, default_action=DUNNO }";

    static Map<String, String> debian() {
        Map<String, String> live = new HashMap<>();
        live.put("mail_version", "3.7.11");
        live.put("smtpd_relay_restrictions", "permit_mynetworks permit_sasl_authenticated defer_unauth_destination");
        live.put("smtpd_end_of_data_restrictions", "");
        live.put("smtpd_milters", "");
        live.put("postscreen_access_list", "permit_mynetworks");
        live.put("postscreen_denylist_action", "ignore");
        return live;
    }

    static Map<String, String> changes(List<PostfixPlan.Change> plan) {
        Map<String, String> m = new HashMap<>();
        plan.forEach(c -> m.put(c.name(), c.after()));
        return m;
    }

    @Test
    void policyFirstInRelayRestrictionsAndAtEndOfData() throws Exception {
        Map<String, String> c = changes(PostfixPlan.plan(debian(), Map.of(), TARGET, "/etc/postfix"));
        assertEquals(POLICY + ", permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
                c.get("smtpd_relay_restrictions"));
        assertEquals(POLICY, c.get("smtpd_end_of_data_restrictions"));
        assertEquals("{ inet:127.0.0.1:10034, connect_timeout=5s, command_timeout=10s, content_timeout=30s,"
                + " default_action=accept }", c.get("smtpd_milters"));
        assertTrue(!c.containsKey("postscreen_access_list"), "no ban map configured");
    }

    @Test
    void otherMiltersAndEndOfDataChecksAreKept() throws Exception {
        Map<String, String> live = debian();
        live.put("smtpd_milters", "unix:/run/opendkim/opendkim.sock");
        live.put("smtpd_end_of_data_restrictions", "check_client_access hash:/etc/postfix/eod");
        Map<String, String> c = changes(PostfixPlan.plan(live, Map.of(), TARGET, "/etc/postfix"));
        assertTrue(c.get("smtpd_milters").startsWith("unix:/run/opendkim/opendkim.sock, { inet:127.0.0.1:10034"));
        assertEquals(POLICY + ", check_client_access hash:/etc/postfix/eod", c.get("smtpd_end_of_data_restrictions"));
    }

    @Test
    void postscreenBanMapOnlyWithExport() throws Exception {
        PostfixPlan.Target t = new PostfixPlan.Target("127.0.0.1:10033", null, "/var/lib/postwarden/bans.cidr");
        Map<String, String> c = changes(PostfixPlan.plan(debian(), Map.of(), t, "/etc/postfix"));
        assertEquals("permit_mynetworks, cidr:/var/lib/postwarden/bans.cidr", c.get("postscreen_access_list"));
        assertEquals("drop", c.get("postscreen_denylist_action"));
        assertTrue(!c.containsKey("smtpd_milters"), "milter off");
    }

    @Test
    void alreadyWiredChangesNothing() throws Exception {
        Map<String, String> live = debian();
        live.put("smtpd_relay_restrictions", POLICY + ", permit_mynetworks, reject_unauth_destination");
        live.put("smtpd_end_of_data_restrictions", POLICY);
        live.put("smtpd_milters", "inet:127.0.0.1:10034");
        assertEquals(List.of(), PostfixPlan.plan(live, Map.of(), TARGET, "/etc/postfix"));
    }

    @Test
    void layoutsNotUnderstoodAreRefused() {
        Map<String, String> noRelayCheck = debian();
        noRelayCheck.put("smtpd_relay_restrictions", "");
        Tool.Refused e = assertThrows(Tool.Refused.class,
                () -> PostfixPlan.plan(noRelayCheck, Map.of(), TARGET, "/etc/postfix"));
        assertTrue(e.getMessage().contains("smtpd_relay_restrictions = (empty)"), e.getMessage());

        assertThrows(Tool.Refused.class, () -> PostfixPlan.plan(debian(),
                Map.of("smtpd_relay_restrictions", "$my_relay_checks"), TARGET, "/etc/postfix"));

        Map<String, String> old = debian();
        old.put("mail_version", "2.11.3");
        assertThrows(Tool.Refused.class, () -> PostfixPlan.plan(old, Map.of(), TARGET, "/etc/postfix"));
    }

    @Test
    void wordsKeepBraceGroupsWhole() {
        assertEquals(List.of("check_policy_service", "{ inet:a:1, timeout=1s }", "permit_mynetworks", "reject"),
                PostfixPlan.words("check_policy_service { inet:a:1, timeout=1s }, permit_mynetworks,\n reject"));
    }

    @Test
    void masterCfOverridesOfChangedParametersAreNoted() throws Exception {
        List<PostfixPlan.Change> plan = PostfixPlan.plan(debian(), Map.of(), TARGET, "/etc/postfix");
        List<String> notes = PostfixPlan.overrideNotes("""
                submission/inet/smtpd_relay_restrictions = permit_sasl_authenticated,reject
                submission/inet/syslog_name = postfix/submission
                127.0.0.1:10025/inet/smtpd_milters =
                """, plan);
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.get(0).contains("service submission/inet overrides smtpd_relay_restrictions"
                + " = permit_sasl_authenticated,reject"), notes.get(0));
        assertTrue(notes.get(1).contains("127.0.0.1:10025/inet overrides smtpd_milters = (empty)"), notes.get(1));
    }

    @Test
    void withoutASyslogDaemonPostfixWritesTheLogTheIngesterFollows() throws Exception {
        PostfixPlan.Target t = new PostfixPlan.Target("127.0.0.1:10033", null, "", "/var/log/mail.log");
        Map<String, String> c = changes(PostfixPlan.plan(debian(), Map.of(), t, "/etc/postfix"));
        assertEquals("/var/log/mail.log", c.get("maillog_file"));
        Map<String, String> logging = debian();
        logging.put("maillog_file", "/var/log/postfix.log");
        assertTrue(!changes(PostfixPlan.plan(logging, Map.of(), t, "/etc/postfix")).containsKey("maillog_file"),
                "a maillog_file the admin set is left alone");
        Map<String, String> old = debian();
        old.put("mail_version", "3.3.2");
        assertTrue(!changes(PostfixPlan.plan(old, Map.of(), t, "/etc/postfix")).containsKey("maillog_file"),
                "before 3.4 Postfix cannot write its own log");
        assertTrue(!changes(PostfixPlan.plan(debian(), Map.of(), TARGET, "/etc/postfix")).containsKey("maillog_file"));
    }

    @Test
    void theTargetAsksForMaillogFileOnlyWhenNothingElseWritesTheLog() throws Exception {
        org.postwarden.config.PostwardenConfig files = org.postwarden.config.load.ConfigLoader.load("t",
                "ingest: {files: [/var/log/mail.log]}\n");
        assertEquals("/var/log/mail.log", PostfixSetup.target(files, false).maillog());
        assertEquals("", PostfixSetup.target(files, true).maillog(), "rsyslog writes it");
        org.postwarden.config.PostwardenConfig journal = org.postwarden.config.load.ConfigLoader.load("t",
                "ingest: {files: [/var/log/mail.log], journal: {enabled: true}}\n");
        assertEquals("", PostfixSetup.target(journal, false).maillog(), "the journal source reads the journal");
        org.postwarden.config.PostwardenConfig none = org.postwarden.config.load.ConfigLoader.loadDefault();
        assertTrue(PostfixSetup.logHint(none, false).contains("ingest.journal.enabled: true"));
        assertEquals(null, PostfixSetup.logHint(none, true));
    }
}
