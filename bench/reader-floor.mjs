// This runtime's floor for rstdiag's work: its own capture reader and packet decoder over the
// file on one thread, with nothing after them (no flow table, no rules). What the analysis adds
// is rstdiag's wall minus this. Needs `npm run build` (reads dist/).
import { readCapture } from '../dist/capture/reader.js';
import { Decoder } from '../dist/decode/decoder.js';
import { Packet } from '../dist/decode/packet.js';

const path = process.argv[2];
const decodeToo = process.argv[3] !== '--read-only';
const decoder = new Decoder();
const packet = new Packet();
let tcp = 0;
const info = await readCapture(path, (frame) => {
  if (!decodeToo) return;
  decoder.decode(frame, packet);
  if (packet.transport === 1) tcp++; // Transport.Tcp
});
process.stdout.write(`${info.packets} packets${decodeToo ? `, ${tcp} TCP` : ''}\n`);
