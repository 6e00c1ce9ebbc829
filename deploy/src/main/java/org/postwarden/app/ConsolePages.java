package org.postwarden.app;

/**
 * The console's HTML: one frame (head, navigation, the CSRF token in a meta element) around each page's static
 * markup. Nothing here comes from a client except the explain query, which is escaped by the caller
 * ({@link Console#esc}); data is fetched and shown by {@code app.js} with {@code textContent}. No inline script or
 * style (the Content-Security-Policy forbids them). Every control has a label.
 */
final class ConsolePages {
    private ConsolePages() {
    }

    private static final String[][] NAV = {{"overview", "/ui/", "Overview"}, {"bans", "/ui/bans", "Bans"},
            {"outbound", "/ui/outbound", "Outbound"}, {"explain", "/ui/explain", "Explain"},
            {"live", "/ui/live", "Live"}, {"config", "/ui/config", "Configuration"}};

    /** A whole page; {@code title} and {@code csrf} are escaped already. */
    static String frame(String title, String id, String csrf, boolean loggedIn, String main) {
        StringBuilder b = new StringBuilder(4096);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>Postwarden · ").append(title).append("</title>");
        if (loggedIn) {
            b.append("<meta name=\"csrf-token\" content=\"").append(csrf).append("\">");
        }
        b.append("<link rel=\"stylesheet\" href=\"/ui/static/app.css\">"
                + "<script src=\"/ui/static/app.js\" defer></script></head>\n<body data-page=\"").append(id)
                .append("\"><a class=\"skip\" href=\"#main\">Skip to content</a><header><span class=\"brand\">"
                        + "Postwarden</span>");
        if (loggedIn) {
            b.append("<nav aria-label=\"Console pages\"><ul>");
            for (String[] n : NAV) {
                b.append("<li><a href=\"").append(n[1]).append('"')
                        .append(n[0].equals(id) ? " aria-current=\"page\"" : "").append('>').append(n[2])
                        .append("</a></li>");
            }
            b.append("</ul></nav><button type=\"button\" id=\"logout\">Log out</button>");
        }
        b.append("</header>\n<main id=\"main\" tabindex=\"-1\"><h1>").append(title).append("</h1>\n").append(main)
                .append("\n<p id=\"status\" role=\"status\" aria-live=\"polite\"></p></main></body></html>\n");
        return b.toString();
    }

    static String login(String error) {
        return error + "<form method=\"post\" action=\"/ui/login\" id=\"login-form\">"
                + "<p><label for=\"token\">Admin token</label> <input type=\"password\" id=\"token\" name=\"token\""
                + " autocomplete=\"current-password\" required autofocus size=\"70\"></p>"
                + "<p class=\"hint\">The first line of the daemon's <code>admin.token-file</code>; it is sent once,"
                + " then a session cookie is used.</p><p><button type=\"submit\">Log in</button></p></form>";
    }

    static final String OVERVIEW_HEAD = "<section aria-labelledby=\"h-rate\"><h2 id=\"h-rate\">Decisions per minute, "
            + "last hour</h2>";
    static final String OVERVIEW_TAIL = "</section>"
            + section("listeners", "Listeners", "status", "listeners")
            + section("bans-summary", "Store and active bans", "status", "store")
            + section("queue", "Postfix queue depth", "queue", "messages")
            + section("offenders", "Top offenders", "report", "")
            + section("dnsbl", "DNSBL zones", "status", "dnsbl")
            + section("reload", "Last reload", "status", "lastReload")
            + section("decisions", "Decisions since start", "status", "decisionsSinceStart");

    private static String section(String id, String title, String src, String pick) {
        return "<section aria-labelledby=\"h-" + id + "\"><h2 id=\"h-" + id + "\">" + title + "</h2><div id=\"" + id
                + "\" class=\"data\" data-src=\"" + src + "\" data-pick=\"" + pick + "\">loading…</div></section>";
    }

    static final String BANS = "<section aria-labelledby=\"h-add\"><h2 id=\"h-add\">Add a ban</h2>"
            + "<form id=\"ban-form\"><p><label for=\"ban-cidr\">Address or network</label> "
            + "<input id=\"ban-cidr\" name=\"cidr\" required placeholder=\"192.0.2.0/24\"></p>"
            + "<p><label for=\"ban-duration\">Duration</label> <input id=\"ban-duration\" name=\"duration\""
            + " placeholder=\"1d, 2h or permanent; empty: next escalation step\"></p>"
            + "<p><label for=\"ban-reason\">Reason</label> <input id=\"ban-reason\" name=\"reason\" maxlength=\"200\"></p>"
            + "<p><button type=\"submit\">Ban</button></p></form></section>"
            + "<section aria-labelledby=\"h-list\"><h2 id=\"h-list\">Active bans</h2>"
            + "<p><label for=\"ban-search\">Search</label> <input id=\"ban-search\" type=\"search\""
            + " placeholder=\"address, network or reason\"></p><div id=\"bans-list\">loading…</div></section>";

    static final String OUTBOUND = "<section aria-labelledby=\"h-susp\"><h2 id=\"h-susp\">Suspended senders</h2>"
            + "<p class=\"hint\">Release lifts the suspension and releases the sender's held messages from Postfix's "
            + "hold queue (<code>postsuper -H</code>); purge deletes them (<code>postsuper -d</code>).</p>"
            + "<div id=\"suspensions\">loading…</div></section>";

    /** The explain page; {@code q} is the raw query, escaped here. */
    static String explain(String q) {
        return "<form id=\"explain-form\" method=\"get\" action=\"/ui/explain\"><p><label for=\"q\">Address or SASL user"
                + "</label> <input id=\"q\" name=\"q\" required value=\"" + Console.esc(q) + "\" size=\"40\"> "
                + "<button type=\"submit\">Explain</button></p></form><div id=\"explain\"></div>";
    }

    static final String LIVE = "<form id=\"live-form\"><p><label for=\"live-action\">Action</label> "
            + "<select id=\"live-action\" name=\"action\"><option value=\"\">any</option><option>reject</option>"
            + "<option>defer</option><option>hold</option><option>warn</option><option>tag</option>"
            + "<option>pass</option><option>accept</option></select> "
            + "<label for=\"live-client\">Client starts with</label> <input id=\"live-client\" name=\"client\""
            + " maxlength=\"64\"> <button type=\"submit\">Follow</button> <button type=\"button\" id=\"live-stop\">"
            + "Stop</button></p></form><p class=\"hint\">Decisions that were not a plain pass, as they happen (at "
            + "most 40 a second; the newest 200 are shown).</p><table id=\"live\"><caption>Live decisions</caption>"
            + "<thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Source</th><th scope=\"col\">Client</th>"
            + "<th scope=\"col\">HELO</th><th scope=\"col\">Sender</th><th scope=\"col\">Recipient</th>"
            + "<th scope=\"col\">User</th><th scope=\"col\">Action</th><th scope=\"col\">Reason</th></tr></thead>"
            + "<tbody></tbody></table>";

    static final String CONFIG = "<section aria-labelledby=\"h-last\"><h2 id=\"h-last\">Reload</h2>"
            + "<p><button type=\"button\" id=\"reload\">Reload the configuration</button></p>"
            + "<div id=\"reload-result\" role=\"alert\"></div><div id=\"config-meta\">loading…</div></section>"
            + "<section aria-labelledby=\"h-eff\"><h2 id=\"h-eff\">Effective configuration</h2>"
            + "<pre id=\"config-effective\" tabindex=\"0\"></pre></section>";
}
