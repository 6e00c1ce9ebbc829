package org.postwarden.milter.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.nightcode.milter.codec.MilterPacket;
import org.nightcode.milter.codec.MilterPacketDecoder;
import org.postwarden.milter.mapping.MilterEventMapper;
import org.postwarden.milter.session.Negotiation;
import org.postwarden.transport.ProtocolException;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the milter framer and codec with Jazzer (regression mode over {@code MilterCodecFuzzTestInputs/<method>/} in
 * {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes, see docs/fuzzing.md): any bytes, in chunks of varying size,
 * come out of the bounded framer and jmilter's packet decoder as packets no larger than the bound, or are refused
 * with a {@link DecoderException}; every packet's payload read by the codec ({@link MilterWire}) as the session
 * handler reads it gives its value or a {@link ProtocolException}, never anything else.
 */
class MilterCodecFuzzTest {
    static final int MAX = 4096;
    private static final int[] CHUNKS = {1, 5, 4, 64, 3, 1024, 17};

    @FuzzTest(maxDuration = "5m")
    void framedPacketsAreBoundedAndEveryPayloadReadsOrIsRefused(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new MilterFrameDecoder(MAX), new MilterPacketDecoder());
        try {
            int at = 0;
            for (int i = 0; at < input.length; i++) {
                int n = Math.min(CHUNKS[i % CHUNKS.length], input.length - at);
                try {
                    ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, at, at + n)));
                } catch (DecoderException e) {
                    // refused: the connection closes; the framer discards the rest
                }
                at += n;
                Object o;
                while ((o = ch.readInbound()) != null) {
                    MilterPacket p = (MilterPacket) o;
                    assertTrue(p.payload().length < MAX, "a packet beyond the bound: " + p.payload().length);
                    payload(p.payload());
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** Every payload reader on the same bytes (the first byte picks nothing: each reader must cope with any). */
    @FuzzTest(maxDuration = "5m")
    void everyPayloadReaderGivesAValueOrAProtocolError(byte[] payload) {
        payload(payload);
    }

    private static void payload(byte[] p) {
        try {
            MilterWire.Optneg o = MilterWire.optneg(p);
            Negotiation.agree(o.version(), o.actions(), o.steps(), true);
            Negotiation.agree(o.version(), o.actions(), o.steps(), false);
        } catch (ProtocolException expected) {
            // refused
        }
        try {
            MilterWire.Connect c = MilterWire.connect(p);
            assertTrue(c.port() >= -1 && c.port() <= 65535, c.toString());
        } catch (ProtocolException expected) {
            // refused
        }
        try {
            assertTrue(MilterWire.macros(p).values().size() <= MilterWire.MAX_MACROS);
        } catch (ProtocolException expected) {
            // refused
        }
        try {
            MilterWire.header(p);
        } catch (ProtocolException expected) {
            // refused
        }
        try {
            MilterEventMapper.envelopeAddress(MilterWire.firstString(p));
        } catch (ProtocolException expected) {
            // refused
        }
    }
}
