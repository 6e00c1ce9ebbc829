package org.postwarden.milter;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.Check;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A daemon context on a manual clock, and an MTA side that speaks the milter protocol to an embedded pipeline. */
public final class MilterTestSupport {
    public static final long T0 = 1_800_000_000_000L - (1_800_000_000_000L % 86_400_000L);
    public final ManualTimeSource time = new ManualTimeSource(T0);
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    public final DaemonContext context;
    /** The engine behind {@link #context} (tests read its store to check what was counted). */
    public final DecisionEngine engine;
    public final MilterPipeline pipeline;

    public MilterTestSupport(String yaml) throws Exception {
        this(yaml, null);
    }

    public MilterTestSupport(String yaml, List<Check> checks) throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", yaml));
        ReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        this.engine = checks == null ? new DecisionEngine(rules, store, metrics)
                : new DecisionEngine(rules, store, metrics, checks);
        this.context = new DaemonContext(engine, metrics, time);
        this.pipeline = new MilterPipeline(context);
    }

    public Mta mta() {
        EmbeddedChannel ch = new EmbeddedChannel();
        pipeline.init(ch.pipeline());
        ch.pipeline().fireChannelActive();
        return new Mta(ch);
    }

    public double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** One reply packet: command and payload. */
    public record Reply(char command, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return command + ":" + text().replace('\0', '|');
        }
    }

    /** The MTA side of one milter connection. */
    public static final class Mta {
        /** What Postfix 3.x offers: protocol 6, all actions, all steps. */
        public static final int ALL_ACTIONS = 0x1FF;
        public static final int ALL_STEPS = 0x1FFFFF;
        public final EmbeddedChannel channel;

        Mta(EmbeddedChannel channel) {
            this.channel = channel;
        }

        public Mta send(char cmd, byte[] payload) {
            ByteBuf b = Unpooled.buffer(5 + payload.length);
            b.writeInt(payload.length + 1).writeByte(cmd).writeBytes(payload);
            channel.writeInbound(b);
            return this;
        }

        public Mta sendRaw(byte[] bytes) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            return this;
        }

        /** Every reply written since the last call. */
        public List<Reply> replies() {
            List<Reply> out = new ArrayList<>();
            ByteBuf b;
            while ((b = channel.readOutbound()) != null) {
                try {
                    while (b.isReadable()) {
                        int len = b.readInt();
                        char cmd = (char) b.readByte();
                        byte[] p = new byte[len - 1];
                        b.readBytes(p);
                        out.add(new Reply(cmd, p));
                    }
                } finally {
                    b.release();
                }
            }
            return out;
        }

        /** The single reply written since the last call. */
        public Reply reply() {
            List<Reply> r = replies();
            if (r.size() != 1) {
                throw new AssertionError("expected one reply, got " + r);
            }
            return r.get(0);
        }

        public Reply optneg(int version, int actions, int steps) {
            ByteBuf b = Unpooled.buffer(12).writeInt(version).writeInt(actions).writeInt(steps);
            return send('O', b.array()).reply();
        }

        public Reply optneg() {
            return optneg(6, ALL_ACTIONS, ALL_STEPS);
        }

        public Mta macros(char forCommand, Map<String, String> macros) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(forCommand);
            macros.forEach((k, v) -> {
                out.writeBytes(z(k));
                out.writeBytes(z(v));
            });
            return send('D', out.toByteArray());
        }

        /** Macros for connect, then the connect command (IPv4 or IPv6 by the address's form). */
        public Reply connect(String address, int port) {
            macros('C', Map.of("{client_addr}", address, "{client_port}", String.valueOf(port),
                    "{client_name}", "unknown", "{daemon_name}", "smtpd"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(z("[" + address + "]"));
            out.write(address.indexOf(':') >= 0 ? '6' : '4');
            out.write(port >> 8);
            out.write(port & 0xFF);
            out.writeBytes(z(address));
            return send('C', out.toByteArray()).reply();
        }

        public Reply helo(String name) {
            return send('H', z(name)).reply();
        }

        public Reply mail(String sender, String authUser) {
            macros('M', Map.of("i", "", "{auth_authen}", authUser));
            return send('M', z("<" + sender + ">")).reply();
        }

        public Reply rcpt(String rcpt, String queueId) {
            macros('R', Map.of("i", queueId));
            return send('R', z("<" + rcpt + ">")).reply();
        }

        public Reply data(String queueId) {
            macros('T', Map.of("i", queueId));
            return send('T', new byte[0]).reply();
        }

        public Mta header(String name, String value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(z(name));
            out.writeBytes(z(value));
            return send('L', out.toByteArray());
        }

        public Reply body(String text) {
            return send('B', text.getBytes(StandardCharsets.ISO_8859_1)).reply();
        }

        public List<Reply> eom(String queueId) {
            macros('E', Map.of("i", queueId));
            return send('E', new byte[0]).replies();
        }

        public static byte[] z(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[b.length + 1];
            System.arraycopy(b, 0, out, 0, b.length);
            return out;
        }
    }
}
