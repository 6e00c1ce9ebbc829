/**
 * Milter wire format: a bounded length-prefix framer ({@link org.postwarden.milter.codec.MilterFrameDecoder}) in
 * front of jmilter's packet codec, and strict payload parsers and reply builders
 * ({@link org.postwarden.milter.codec.MilterWire}) on jmilter's {@code MilterPacket} and command/response codes.
 *
 * <p>Thread-safety: the framer holds per-connection state (one instance per channel); {@code MilterWire} is
 * stateless. Limits: a packet is at most {@code milter.max-packet-bytes}, checked on its length prefix before any of
 * it is buffered; a macro packet keeps at most {@value org.postwarden.milter.codec.MilterWire#MAX_MACROS} macros;
 * reply and header texts are cut to {@value org.postwarden.milter.codec.MilterWire#MAX_TEXT} characters of
 * printable ASCII. Parsers never resolve names: addresses stay strings until the mapper parses IP literals.
 */
package org.postwarden.milter.codec;
