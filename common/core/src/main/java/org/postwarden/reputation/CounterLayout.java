package org.postwarden.reputation;

import java.util.ArrayList;
import java.util.List;

/**
 * Which sliding windows a kind of key keeps, in slot order: for each {@link CounterType}, the window lengths
 * (seconds) and their maxima. Immutable; built from configuration.
 */
public final class CounterLayout {
    /** One counter slot: type, window length and the configured maximum. */
    public record Slot(CounterType type, long windowSeconds, long max) {
    }

    private final List<Slot> slots;
    private final int[][] byType;

    public CounterLayout(List<Slot> slots) {
        this.slots = List.copyOf(slots);
        this.byType = new int[CounterType.values().length][];
        for (CounterType t : CounterType.values()) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < this.slots.size(); i++) {
                if (this.slots.get(i).type() == t) {
                    idx.add(i);
                }
            }
            byType[t.ordinal()] = idx.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    public static CounterLayout empty() {
        return new CounterLayout(List.of());
    }

    public List<Slot> slots() {
        return slots;
    }

    public int size() {
        return slots.size();
    }

    /** Index of the slot with this type and window, or -1. */
    public int indexOf(CounterType type, long windowSeconds) {
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            if (s.type() == type && s.windowSeconds() == windowSeconds) {
                return i;
            }
        }
        return -1;
    }

    /** Slot indices for a type (precomputed; callers must not modify the array). */
    public int[] indicesOf(CounterType type) {
        return byType[type.ordinal()];
    }

    /** Layouts are equal when their slots are (so a reload that keeps the limits keeps the store). */
    @Override
    public boolean equals(Object o) {
        return o instanceof CounterLayout other && slots.equals(other.slots);
    }

    @Override
    public int hashCode() {
        return slots.hashCode();
    }
}
