package org.postwarden.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrAndKeyTest {

    @Test
    void cidrContains() {
        Cidr net = Cidr.parse("192.0.2.77/24");
        assertEquals("192.0.2.0/24", net.toString());
        assertTrue(net.contains(Cidr.parseAddress("192.0.2.1")));
        assertFalse(net.contains(Cidr.parseAddress("192.0.3.1")));
        assertFalse(net.contains(Cidr.parseAddress("2001:db8::1")));
        Cidr v6 = Cidr.parse("2001:db8:abcd::/48");
        assertTrue(v6.contains(Cidr.parseAddress("2001:db8:abcd:ffff::1")));
        assertFalse(v6.contains(Cidr.parseAddress("2001:db8:abce::1")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(Cidr.parseAddress("8.8.8.8")));
        assertTrue(Cidr.parse("10.1.2.3").contains(Cidr.parseAddress("10.1.2.3")));
    }

    @Test
    void addressParsingNeverResolvesNames() {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parseAddress("localhost"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parseAddress("256.1.1.1"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/x"));
        assertEquals(Cidr.parseAddress("192.0.2.1"), Cidr.parseAddress("::ffff:192.0.2.1"), "v4-mapped is v4");
        assertEquals(Cidr.parseAddress("2001:db8::1"), Cidr.parseAddress("IPv6:2001:db8::1"));
        assertEquals(Cidr.parseAddress("2001:db8::1"), Cidr.parseAddress("[2001:db8::1]"));
    }

    @Test
    void clientKeysAggregate() {
        var a = Cidr.parseAddress("198.51.100.7");
        var b = Cidr.parseAddress("198.51.100.200");
        assertNotEquals(ClientKey.of(a, KeyLevel.HOST, 48), ClientKey.of(b, KeyLevel.HOST, 48));
        assertEquals(ClientKey.of(a, KeyLevel.SUBNET, 48), ClientKey.of(b, KeyLevel.SUBNET, 48));
        assertEquals("198.51.100.0/24", ClientKey.of(a, KeyLevel.SUBNET, 48).cidr());

        var x = Cidr.parseAddress("2001:db8:1:2:3:4:5:6");
        var y = Cidr.parseAddress("2001:db8:1:2:ffff::1");
        var z = Cidr.parseAddress("2001:db8:1:3::1");
        assertEquals(ClientKey.of(x, KeyLevel.SUBNET, 48), ClientKey.of(y, KeyLevel.SUBNET, 48));
        assertNotEquals(ClientKey.of(x, KeyLevel.SUBNET, 48), ClientKey.of(z, KeyLevel.SUBNET, 48));
        assertEquals(ClientKey.of(x, KeyLevel.WIDE, 48), ClientKey.of(z, KeyLevel.WIDE, 48));
        assertEquals("2001:db8:1::/48", ClientKey.of(z, KeyLevel.WIDE, 48).cidr());
        assertEquals("2001:db8:1:2:3:4:5:6/128", ClientKey.of(x, KeyLevel.HOST, 48).cidr());
        assertEquals(ClientKey.of(x, KeyLevel.WIDE, 40).prefix(), 40);
    }
}
