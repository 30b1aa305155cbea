// Bare iteration of a classic pcap with pcap-parser (the reference rstdiag must beat): counts
// packets and bytes, nothing else.
const pcapp = require('pcap-parser');

const parser = pcapp.parse(process.argv[2]);
let packets = 0;
let bytes = 0;
parser.on('packet', (p) => {
  packets++;
  bytes += p.data.length;
});
parser.on('end', () => process.stdout.write(`${packets} packets, ${bytes} bytes\n`));
parser.on('error', (e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
});
