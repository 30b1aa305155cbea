/**
 * The two parsers derived from the command schema agree: every line the quick parser reads, it
 * reads as yargs does; every line it is unsure of, it leaves to yargs.
 */
import { describe, expect, test } from 'vitest';
import { fastParse } from '../../src/cli/fast-parse.js';
import { yargsParse } from '../../src/cli/yargs-parse.js';

const READ_ALIKE: string[][] = [
  ['analyze', 'a.pcap'],
  ['analyze', 'a.pcap', 'b.pcapng', '-', 'c.pcap.gz'],
  ['analyze', '-'],
  ['analyze', 'a.pcap', '--format', 'json', '--output', 'r.json', '--fail-on', 'none', '--connections'],
  ['analyze', '--format=markdown', 'a.pcap', '--output=-'],
  ['analyze', 'a.pcap', '--service-cidr', '10.96.0.0/12'],
  ['analyze', 'a.pcap', '--service-cidr', '10.96.0.0/12', '--service-cidr', 'fd00::/108', '--pod-cidr', '10.244.0.0/16'],
  ['analyze', 'a.pcap', '--rule', 'unreversed-dnat,syn-timeout', '--rule', 'connection-refused', '--host', '10.0.0.1', '--port', '80', '--top', '3'],
  ['analyze', 'a.pcap', '--output', ''],
  ['flows', 'a.pcap', '--format', 'csv', '--port', '443'],
  ['explain'],
  ['explain', 'unreversed-dnat'],
  ['check', 'samples/', 'x.pcap', '--update'],
  ['annotate', 'a.pcap', '-o', 'out.pcapng', '--service-cidr', '10.96.0.0/12'],
  ['annotate', 'a.pcap', '--output', 'out.pcapng'],
  ['live', '-i', 'eth0', '--filter', 'tcp port 443', '--duration', '30s', '--write', 'w.pcap', '--format', 'json'],
];

const LEFT_TO_YARGS: string[][] = [
  [],
  ['analyse', 'a.pcap'],
  ['analyze'],
  ['analyze', 'a.pcap', '--help'],
  ['analyze', 'a.pcap', '--version'],
  ['analyze', 'a.pcap', '--format', 'xml'],
  ['analyze', 'a.pcap', '--colour'],
  ['analyze', 'a.pcap', '--output'],
  ['analyze', 'a.pcap', '--no-connections'],
  ['analyze', 'a.pcap', '--connections', 'true'],
  ['analyze', 'a.pcap', '--format', 'json', '--format', 'text'],
  ['analyze', 'a.pcap', '--failOn', 'none'],
  ['analyze', '--', '--odd-name.pcap'],
  ['explain', 'unreversed-dnat', 'extra'],
  ['annotate', 'a.pcap'],
  ['live'],
];

describe('the quick parser reads ordinary lines as yargs does', () => {
  for (const argv of READ_ALIKE) {
    test(argv.join(' '), async () => {
      const quick = fastParse(argv);
      expect(quick).not.toBeNull();
      expect(quick).toEqual(await yargsParse(argv));
    });
  }
});

describe('and leaves every other line to yargs', () => {
  for (const argv of LEFT_TO_YARGS) test(argv.join(' ') || '(nothing)', () => expect(fastParse(argv)).toBeNull());
});
