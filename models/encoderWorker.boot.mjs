// Entry of the encoder thread: worker threads do not inherit a programmatic tsx registration
// (bin/fazhi.js), so the thread registers it before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./encoderWorker.ts');
