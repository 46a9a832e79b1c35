// A writer process reduced to its fencing steps, for test/writer-fence.test.ts: takes the Redis
// writer lock (with its epoch), claims the store with it, says "claimed", then commits one
// synthetic report each time a line arrives on stdin. It deliberately ignores losing the lock
// (it only logs it), standing for a writer that has not noticed yet: the store must refuse it.
//   node --import tsx test/helpers/fencedWriter.ts <redisUrl> <dataDir> <ttlMs>
import { createInterface } from 'node:readline';
import { commitReport } from '../../search/ingest.ts';
import { Store, WriterFencedError } from '../../search/store.ts';
import { connectRedis } from '../../workers/connection.ts';
import { acquireWriterLock } from '../../workers/writerLock.ts';
import { makeReport, vectorsFor } from './searchFixtures.ts';

const [redisUrl, dataDir, ttl] = process.argv.slice(2) as [string, string, string];
const redis = connectRedis(redisUrl);
const lock = await acquireWriterLock(redis, { ttlMs: Number(ttl), onLost: (reason) => process.stderr.write(`lock lost: ${reason}\n`) });
const store = Store.open(dataDir, { epoch: lock.epoch });
process.stdout.write(`claimed epoch ${lock.epoch}\n`);

let n = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const report = makeReport(`fenced/${process.pid}-${n++}-${line}.txt`, { province: '山东省', city: null, county: null, year: 2024 }, [
    { section: '成效', words: ['推行', '双随机一公开', line] },
  ]);
  try {
    const outcome = commitReport(store, report, vectorsFor(report), 'test-bag-64');
    process.stdout.write(`committed ${report.source} ${outcome}\n`);
  } catch (err) {
    if (!(err instanceof WriterFencedError)) throw err;
    process.stderr.write(`refused: ${err.message}\n`);
    process.exit(3);
  }
}
store.close();
await lock.release();
redis.disconnect();
