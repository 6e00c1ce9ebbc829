package org.postwarden.dnsbl;

import org.postwarden.model.Cidr;

import java.net.InetAddress;
import java.util.List;

/**
 * A sender domain's SPF record walked to the networks it names ({@code ip4}, {@code ip6}, and the addresses of
 * {@code a} and {@code mx}), with its {@code include}d and {@code redirect=} records, so that whether an address
 * passes is answered without DNS: the first mechanism that matches gives the result, as in RFC 7208's
 * {@code check_host()}. Mechanisms this walk does not evaluate ({@code exists}, {@code ptr}, anything with a macro)
 * are opaque: an address that reaches one before a match does not pass. Immutable.
 *
 * @param domain   the domain whose record this is
 * @param status   whether there is a usable record
 * @param terms    the mechanisms, in order (empty unless {@link Status#OK})
 * @param redirect the policy of the {@code redirect=} domain, applied when no mechanism matches (null: none)
 * @param detail   why the status is not {@link Status#OK}, for explanations ("" when it is)
 */
public record SpfPolicy(String domain, Status status, List<Term> terms, SpfPolicy redirect, String detail) {

    /** Whether the domain has a usable record. */
    public enum Status {
        /** A record, walked within the limits. */
        OK,
        /** No SPF record. */
        NONE,
        /** A broken record, or over RFC 7208's limits (10 DNS-querying terms, 2 void lookups). */
        PERMERROR,
        /** A DNS failure (timeout, SERVFAIL) on the way. */
        TEMPERROR;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One mechanism, evaluated: its qualifier and what it matches. */
    public sealed interface Term {
        char qualifier();
    }

    /** {@code ip4}, {@code ip6}, {@code a}, {@code mx}: matches an address in one of {@code networks}. */
    public record Networks(char qualifier, List<Cidr> networks) implements Term {
        public Networks {
            networks = List.copyOf(networks);
        }
    }

    /** {@code include:}: matches when the included policy passes the address. */
    public record Include(char qualifier, SpfPolicy policy) implements Term {
    }

    /** {@code all}: matches every address. */
    public record All(char qualifier) implements Term {
    }

    /** A mechanism not evaluated ({@code exists}, {@code ptr}, macros): an address reaching it cannot be judged. */
    public record Opaque(char qualifier, String what) implements Term {
    }

    public SpfPolicy {
        terms = List.copyOf(terms);
    }

    /** A policy without a usable record. */
    static SpfPolicy failed(String domain, Status status, String detail) {
        return new SpfPolicy(domain, status, List.of(), null, detail);
    }

    /** Results of {@link #check}. */
    enum Result { PASS, FAIL, SOFTFAIL, NEUTRAL, UNKNOWN }

    /** Whether {@code address} passes this domain's record. */
    public boolean passes(InetAddress address) {
        return status == Status.OK && check(address) == Result.PASS;
    }

    Result check(InetAddress a) {
        for (Term t : terms) {
            boolean match;
            switch (t) {
                case Networks n -> {
                    match = false;
                    for (Cidr c : n.networks()) {
                        if (c.contains(a)) {
                            match = true;
                            break;
                        }
                    }
                }
                case Include i -> {
                    Result r = i.policy().check(a);
                    if (r == Result.UNKNOWN) {
                        return r;
                    }
                    match = r == Result.PASS;
                }
                case All x -> match = true;
                case Opaque o -> {
                    return Result.UNKNOWN;
                }
            }
            if (match) {
                return switch (t.qualifier()) {
                    case '-' -> Result.FAIL;
                    case '~' -> Result.SOFTFAIL;
                    case '?' -> Result.NEUTRAL;
                    default -> Result.PASS;
                };
            }
        }
        return redirect != null ? redirect.check(a) : Result.NEUTRAL;
    }
}
