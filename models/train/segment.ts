/**
 * Segments training text with the exact function the encoder uses at run time
 * (segmentForModel), so the trained vocabulary matches what inference sees.
 * Usage: npx tsx models/train/segment.ts <in.jsonl> <out.jsonl>
 * Each input line is a JSON object with "paras": string[]; the output line is
 * the same object with "segs": string[] added.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { segmentForModel } from '../../pipeline/segment.ts';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: segment.ts <in.jsonl> <out.jsonl>');
  process.exit(2);
}
const out = createWriteStream(output, 'utf8');
for await (const line of createInterface({ input: createReadStream(input, 'utf8'), crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const record = JSON.parse(line) as { paras: string[] };
  const segs = record.paras.map((p) => segmentForModel(p));
  if (!out.write(JSON.stringify({ ...record, segs }) + '\n')) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
