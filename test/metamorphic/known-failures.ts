/**
 * The metamorphic cells that fail today, one line per sample × variant, with what happens and
 * why (the rule, the packet). metamorphic.test.ts runs each as `test.fails`: a fix makes the
 * cell pass, the `test.fails` then fails, and the line is to be deleted here — so this list is the
 * progress report. Frame numbers are the original sample's (`tshark -r samples/<sample>`).
 *
 * Keys: `<sample> × <variant label>`; `… × ipv6 messages` is the IPv6 check that the report says
 * the same thing (messageId) as for the IPv4 original.
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};
