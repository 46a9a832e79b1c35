// An embedded-mode writer held open, for test/writer-embedded.test.ts: opens the store as
// `fazhi ingest` does, says "holding", then commits one synthetic report each time a line
// arrives on stdin (proving it is still the writer), and closes the store at end of input.
//   node --import tsx test/helpers/embeddedWriter.ts <dataDir>
import { createInterface } from 'node:readline';
import { commitReport } from '../../search/ingest.ts';
import { Store } from '../../search/store.ts';
import { makeReport, vectorsFor } from './searchFixtures.ts';

const [dataDir] = process.argv.slice(2) as [string];
const store = Store.open(dataDir);
process.stdout.write('holding\n');
let n = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const report = makeReport(`held/${n++}-${line}.txt`, { province: '山东省', city: null, county: null, year: 2024 }, [{ section: '成效', words: ['推行', '双随机一公开', line] }]);
  process.stdout.write(`committed ${report.source} ${commitReport(store, report, vectorsFor(report), 'test-bag-64')}\n`);
}
store.close();
process.stdout.write('closed\n');
