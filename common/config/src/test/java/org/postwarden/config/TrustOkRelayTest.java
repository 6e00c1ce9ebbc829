package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * {@code allowlist.trust-ok} answers OK, skipping reject_unauth_destination: a network wider than a LAN or one that
 * holds a container bridge's gateway is an open relay, refused unless {@code allowlist.i-know-this-opens-a-relay}.
 */
class TrustOkRelayTest {
    private static final String WHY = " (allowlist.trust-ok answers OK, which skips the rest of Postfix's "
            + "restriction list, reject_unauth_destination included, so every client in it may relay mail to "
            + "anywhere: an open relay; set allowlist.i-know-this-opens-a-relay: true to accept it anyway)";

    @Test
    void everythingWiderThanALanAndEveryContainerGatewayIsRefusedWithTheReason() {
        assertExactly("""
                allowlist:
                  trust-ok: [0.0.0.0/0, "::/0", 172.16.0.0/12, 172.17.0.0/16, 172.17.0.1, 192.168.0.0/16,
                    10.88.0.0/24, 10.0.2.2/32, "2001:db8::/48", "64:ff9b::/96"]
                """,
                "allowlist.trust-ok[0] = \"0.0.0.0/0\" (line 2): a network of at most 256 addresses (/24)" + WHY,
                "allowlist.trust-ok[1] = \"::/0\" (line 2): a network of at most one /64" + WHY,
                "allowlist.trust-ok[2] = \"172.16.0.0/12\" (line 2): a network of at most 256 addresses (/24)" + WHY,
                "allowlist.trust-ok[3] = \"172.17.0.0/16\" (line 2): a network of at most 256 addresses (/24)" + WHY,
                "allowlist.trust-ok[4] = \"172.17.0.1\" (line 2): a network without the container bridge gateway "
                        + "172.17.0.1, the address every connection forwarded by Docker or Podman comes from" + WHY,
                "allowlist.trust-ok[5] = \"192.168.0.0/16\" (line 2): a network of at most 256 addresses (/24)" + WHY,
                "allowlist.trust-ok[6] = \"10.88.0.0/24\" (line 3): a network without the container bridge gateway "
                        + "10.88.0.1, the address every connection forwarded by Docker or Podman comes from" + WHY,
                "allowlist.trust-ok[7] = \"10.0.2.2/32\" (line 3): a network without the container bridge gateway "
                        + "10.0.2.2, the address every connection forwarded by Docker or Podman comes from" + WHY,
                "allowlist.trust-ok[8] = \"2001:db8::/48\" (line 3): a network of at most one /64" + WHY,
                "allowlist.trust-ok[9] = \"64:ff9b::/96\" (line 3): a network of at most 256 NAT64 addresses (/120)"
                        + WHY);
    }

    @Test
    void aLanOrAHostIsAccepted() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", """
                allowlist: {trust-ok: [192.0.2.0/24, 198.51.100.7, "2001:db8:1:2::/64", "2001:db8::25", 172.17.0.5]}
                """);
        assertEquals(5, c.allowlist().trustOk().size());
    }

    @Test
    void theSwitchAcceptsAWideNetworkKnowingly() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", """
                allowlist:
                  trust-ok: [10.0.0.0/8, 172.17.0.0/16]
                  i-know-this-opens-a-relay: true
                """);
        assertEquals(List.of("10.0.0.0/8", "172.17.0.0/16"), c.allowlist().trustOk());
        assertTrue(c.allowlist().iKnowThisOpensARelay());
        // ... and without it, the same file does not load
        assertThrows(ConfigException.class, () -> ConfigLoader.load("test", "allowlist: {trust-ok: [10.0.0.0/8]}\n"));
    }
}
