package org.postwarden.it;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.policy.PolicyListenerFactory;
import org.postwarden.runtime.Listener;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Selective greylisting end to end: a real Postfix asks the daemon through {@code check_policy_service}, placed as
 * the README recommends (first in {@code smtpd_relay_restrictions}); swaks is the client, on distinct 127.x.y.z
 * addresses (each /24 one client network); unbound serves the sender domains' SPF records and the PTR and A
 * records of a sender pool on a loopback port. The daemon runs in this JVM on an injected clock, so "five minutes
 * later" is a clock step, not a wait; Postfix and the DNS are real. Postfix reports {@code client_name=unknown} (its
 * peer name lookup is off), so every client here is doubtful.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GreylistIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static Path dir;
    static UnboundDns dns;
    static ManualTimeSource time;
    static SimpleMeterRegistry registry;
    static Daemon daemon;
    static PostfixInstance postfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        Requirements.require("dovecot", "dovecot-core");
        dir = Files.createTempDirectory("pw-greylist-it");
        dns = UnboundDns.start(dir.resolve("dns"), """
                  local-zone: "pool.test." static
                  local-data: 'pool.test. 300 IN TXT "v=spf1 ip4:127.0.1.0/24 ip4:127.0.2.0/24 -all"'
                  local-zone: "bigmail.test." static
                  local-data: "mail-a.outbound.bigmail.test. 300 IN A 127.0.3.10"
                  local-data: "mail-b.outbound.bigmail.test. 300 IN A 127.0.4.10"
                  local-zone: "127.in-addr.arpa." static
                  local-data-ptr: "127.0.3.10 mail-a.outbound.bigmail.test."
                  local-data-ptr: "127.0.4.10 mail-b.outbound.bigmail.test."
                """);
        time = new ManualTimeSource(System.currentTimeMillis());
        registry = new SimpleMeterRegistry();
        daemon = Daemon.start(ConfigLoader.load("greylist-it", """
                policy: {listen: "127.0.0.1:0", time-budget: 5s}
                milter: {enabled: false}
                http: {enabled: false}
                store: {snapshot: {path: "%s", interval: 1h}}
                admin: {token-file: ""}
                networks:
                  local-domains: [example.test]
                  trusted: [127.0.0.2/32]
                bans: {scanners: {enabled: false}}
                greylist:
                  enabled: true
                  pools: {resolver: "%s", timeout: 4s}
                """.formatted(dir.resolve("state.snapshot"), dns.hostPort())), time,
                new PostwardenMetrics(registry), List.of(new PolicyListenerFactory()));
        String policy = "check_policy_service { inet:127.0.0.1:" + port(daemon.listeners().get(0))
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .saslUser("alice", "alice-secret")
                .mainCf("smtpd_sasl_auth_enable", "yes")
                .mainCf("smtpd_sasl_security_options", "noanonymous")
                .mainCf("smtpd_relay_restrictions", policy + ", permit_mynetworks, permit_sasl_authenticated,"
                        + " reject_unauth_destination")
                .mainCf("smtpd_recipient_restrictions",
                        "check_recipient_access inline:{ { nobody@example.test = 550 5.1.1 no such user } }")
                .start();
    }

    static int port(Listener l) {
        String a = l.address();
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    @AfterAll
    static void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (daemon != null) {
            daemon.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Swaks.Request mail(String client, String from, String rcpt) {
        return Swaks.to(rcpt).port(postfix.smtpdPort()).localInterface(client).ehlo("mail.sender.test").from(from)
                .timeout(WAIT);
    }

    static double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    static void deferred(Swaks.Result r, String wait) {
        assertEquals(List.of(450), r.rcptReplies(), r.toString());
        // Postfix's DEFER_IF_PERMIT reply: $access_map_defer_code 4.7.1, the recipient, and the policy's text
        assertTrue(r.contains("450 4.7.1 <") && r.contains(">: Recipient address rejected: greylisted, try again in "
                + wait + " seconds (after "), "the reply names the retry time:\n" + r);
    }

    /** Sends {@code request}: its RCPT is accepted and the message reaches the sink. */
    static void accepted(Swaks.Request request, String rcpt) {
        int before = postfix.deliveredMessages().size();
        Swaks.Result r = request.send();
        assertEquals(List.of(250), r.rcptReplies(), r.toString());
        assertTrue(r.ok(), r.toString());
        assertTrue(postfix.awaitDelivered(before + 1, WAIT).stream().anyMatch(m -> m.recipients().contains(rcpt)),
                rcpt + " at the sink");
    }

    @Test
    @Order(1)
    void aFirstAttemptIsDeferredARetryBeforeTheDelayTooOneAfterItIsAccepted() {
        deferred(mail("127.0.0.10", "carol@sender.test", "bob@example.test").send(), "300");
        time.advance(Duration.ofMinutes(2));
        deferred(mail("127.0.0.11", "carol@sender.test", "bob@example.test").send(), "180");
        time.advance(Duration.ofMinutes(3));
        accepted(mail("127.0.0.10", "carol@sender.test", "bob@example.test"), "bob@example.test");
        accepted(mail("127.0.0.12", "carol@sender.test", "bob@example.test"), "bob@example.test");
        assertEquals(1, count("postwarden.greylist", "result", "greylisted"));
        assertEquals(1, count("postwarden.greylist", "result", "early"));
        assertEquals(1, count("postwarden.greylist", "result", "passed"));
        assertEquals(1, count("postwarden.greylist", "result", "known"));
    }

    @Test
    @Order(2)
    void deferIfPermitLetsPostfixRejectAnUnknownRecipientAndARelayAttempt() {
        Swaks.Result unknown = mail("127.0.8.10", "dave@sender.test", "nobody@example.test").send();
        assertEquals(List.of(550), unknown.rcptReplies(), "a later reject wins over the greylisting deferral:\n"
                + unknown);
        assertTrue(unknown.contains("no such user"), unknown.toString());
        Swaks.Result relay = mail("127.0.8.11", "dave@sender.test", "someone@elsewhere.test").send();
        assertEquals(List.of(554), relay.rcptReplies(), relay.toString());
        assertTrue(relay.contains("Relay access denied"), relay.toString());
    }

    @Test
    @Order(3)
    void aRetryFromAnotherAddressAuthorizedByTheSendersSpfRecordIsAccepted() {
        deferred(mail("127.0.1.10", "news@pool.test", "erin@example.test").send(), "300");
        time.advance(Duration.ofMinutes(5));
        accepted(mail("127.0.2.10", "news@pool.test", "erin@example.test"), "erin@example.test");
        assertEquals(1, count("postwarden.greylist.pool.matches", "via", "spf"));
        deferred(mail("127.0.9.10", "news@pool.test", "frank@example.test").send(), "300");
        time.advance(Duration.ofMinutes(5));
        deferred(mail("127.0.2.10", "news@pool.test", "frank@example.test").send(), "300");
    }

    @Test
    @Order(4)
    void aRetryFromAnotherAddressOfTheSamePtrDomainIsAccepted() {
        deferred(mail("127.0.3.10", "gina@nospf.test", "hank@example.test").send(), "300");
        time.advance(Duration.ofMinutes(5));
        accepted(mail("127.0.4.10", "gina@nospf.test", "hank@example.test"), "hank@example.test");
        assertEquals(1, count("postwarden.greylist.pool.matches", "via", "ptr"));
        assertTrue(count("postwarden.greylist.lookups", "kind", "ptr", "result", "found") >= 2);
    }

    @Test
    @Order(5)
    void aNetworkIsAutoAllowlistedAfterFivePassedRetries() {
        for (int i = 0; i < 5; i++) {
            String rcpt = "list" + i + "@example.test";
            deferred(mail("127.0.5.10", "ivy@sender.test", rcpt).send(), "300");
            time.advance(Duration.ofMinutes(5));
            accepted(mail("127.0.5.10", "ivy@sender.test", rcpt), rcpt);
        }
        assertEquals(1, count("postwarden.greylist.auto.allowlisted"));
        accepted(mail("127.0.5.20", "jack@another.test", "kim@example.test"), "kim@example.test");
        assertEquals(1, count("postwarden.greylist", "result", "auto-allowlisted"));
    }

    @Test
    @Order(6)
    void anAuthenticatedUserIsNeverGreylisted() {
        accepted(mail("127.0.6.10", "alice@example.test", "lee@example.test").auth("alice", "alice-secret"),
                "lee@example.test");
        Swaks.Result outside = mail("127.0.6.10", "alice@example.test", "mo@elsewhere.test")
                .auth("alice", "alice-secret").send();
        assertEquals(List.of(250), outside.rcptReplies(), "and may relay:\n" + outside);
    }
}
