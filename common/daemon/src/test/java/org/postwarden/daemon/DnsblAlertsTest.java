package org.postwarden.daemon;

import org.junit.jupiter.api.Test;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.outbound.Alert;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DNSBL monitor's reports as alerts: one per report, bounded kinds, the subject and the details named. */
class DnsblAlertsTest {

    @Test
    void eachReportIsOneAlertOfItsKind() {
        List<Alert> raised = new ArrayList<>();
        DnsblAlerts a = new DnsblAlerts(raised::add, new ManualTimeSource(1_800_000_000_000L));
        a.ownAddressListed(Cidr.parseAddress("192.0.2.25"), "bl.example.org", "127.0.0.2");
        a.ownAddressDelisted(Cidr.parseAddress("192.0.2.25"), "bl.example.org");
        a.zoneSwitchedOff("all.example.org", "it lists 127.0.0.1 (127.0.0.2)");
        a.zoneSwitchedOn("all.example.org");
        assertEquals(List.of("dnsbl-own-listed", "dnsbl-own-delisted", "dnsbl-zone-off", "dnsbl-zone-on"),
                raised.stream().map(Alert::kind).toList());
        Alert listed = raised.get(0);
        assertEquals("address:192.0.2.25", listed.subject());
        assertEquals("our address 192.0.2.25 is listed in DNSBL zone bl.example.org (127.0.0.2): mail we send from "
                + "it may be refused", listed.summary());
        assertEquals("127.0.0.2", listed.details().get("codes"));
        assertEquals(1_800_000_000_000L, listed.atMillis());
        assertEquals("zone:all.example.org", raised.get(2).subject());
        assertTrue(raised.get(2).summary().contains("switched off and scores nothing: it lists 127.0.0.1"),
                raised.get(2).summary());
    }
}
