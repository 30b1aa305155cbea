import v8 from 'node:v8';

/**
 * V8 lets the old generation grow to several times its live size between full collections when
 * collecting is cheap. rstdiag's live set is small and flat (some 40 MB however long the capture:
 * the flow table holds only concurrent connections), so that slack is most of the peak RSS. A
 * growing factor of 1.5 keeps the heap near the live set for a few percent more GC time
 * (bench/: 1x and 5x captures). The flag is read at each collection, so setting it at startup works.
 */
v8.setFlagsFromString('--heap-growing-percent=50');
