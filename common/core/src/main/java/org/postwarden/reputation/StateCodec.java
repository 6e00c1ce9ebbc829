package org.postwarden.reputation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Persists one value of a {@link StateKind}. Implementations bound every length they read and throw
 * {@link IOException} on data they cannot trust (a snapshot with such an entry is set aside, never half-applied).
 *
 * @param <V> the value type
 */
public interface StateCodec<V> {

    /** Writes {@code value} (synchronizing on it if it is mutable). */
    void write(DataOutput out, V value) throws IOException;

    /** Reads a value written with encoding {@code version} of its kind. */
    V read(DataInput in, int version) throws IOException;
}
