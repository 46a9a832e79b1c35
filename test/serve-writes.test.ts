// `fazhi serve --allow-writes`: upload and remove need the FAZHI_TOKEN bearer (401 otherwise)
// and run through the CLI's single writer in a child process; the server stays read-only.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/config.ts';
import { Store } from '../search/store.ts';
import { startServeFixture, type ServeFixture } from './helpers/serveFixture.ts';

const TOKEN = 'test-token-7f3a';
let fx: ServeFixture;

beforeAll(async () => {
  fx = await startServeFixture({ writeToken: TOKEN });
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

const report = readFileSync(path.join(REPO_ROOT, 'corpus', '004_e41503e62c4741d1.txt'), 'utf8').replace('2023', '2025') + '\n五、新举措\n试点“法治体检直通车”服务企业。\n';

describe('write endpoints', () => {
  it('refuse uploads and removals without the bearer token, and with a wrong one', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', TOKEN, `Bearer ${TOKEN}x`]) {
      const upload = await fx.app.inject({ method: 'POST', url: '/api/reports?filename=x.txt', headers: { 'content-type': 'application/octet-stream', ...(authorization ? { authorization } : {}) }, payload: Buffer.from(report) });
      expect(upload.statusCode).toBe(401);
      expect((await fx.app.inject({ method: 'DELETE', url: '/api/reports/1', headers: authorization ? { authorization } : {} })).statusCode).toBe(401);
    }
    expect((await fx.app.inject({ method: 'GET', url: '/api/status' })).json().documents).toBe(6);
  });

  it('refuse a write route spelt with percent-encoded letters, which the router decodes, without the token', async () => {
    for (const url of ['/api/%72eports?filename=x.txt', '/%61pi/reports?filename=x.txt']) {
      const upload = await fx.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(report) });
      expect(upload.statusCode, url).toBe(401);
    }
    for (const url of ['/api/%72eports/1', '/%61pi/reports/1']) expect((await fx.app.inject({ method: 'DELETE', url })).statusCode, url).toBe(401);
    expect((await fx.app.inject({ method: 'GET', url: '/api/status' })).json().documents).toBe(6);
  });

  it('upload ingests through the writer and the server sees it at once; remove deletes it', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' };
    const bad = await fx.app.inject({ method: 'POST', url: '/api/reports?filename=evil.exe', headers, payload: Buffer.from('x') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().param).toBe('filename');
    const traversal = await fx.app.inject({ method: 'POST', url: `/api/reports?filename=${encodeURIComponent('../escape.txt')}`, headers, payload: Buffer.from(report) });
    expect(traversal.statusCode).toBe(400);

    const upload = await fx.app.inject({ method: 'POST', url: '/api/reports?filename=new-2025.txt', headers, payload: Buffer.from(report) });
    expect(upload.statusCode).toBe(201);
    const { id } = upload.json();
    expect(id).toBeGreaterThan(0);
    const found = (await fx.app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('法治体检直通车')}&k=1` })).json();
    expect(found.results[0].docId).toBe(id);
    expect(found.results[0].text).toContain('法治体检直通车');

    const removed = await fx.app.inject({ method: 'DELETE', url: `/api/reports/${id}`, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(removed.statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: `/api/reports/${id}` })).statusCode).toBe(404);
    expect((await fx.app.inject({ method: 'GET', url: '/api/status' })).json().documents).toBe(6);
  }, 120_000);

  it('remove refuses an unknown parameter, naming it, and removes nothing', async () => {
    const removed = await fx.app.inject({ method: 'DELETE', url: '/api/reports/1?force=1', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(removed.statusCode).toBe(400);
    expect(removed.json()).toMatchObject({ error: 'Bad Request', param: 'force' });
    expect((await fx.app.inject({ method: 'GET', url: '/api/reports/1' })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/api/status' })).json().documents).toBe(6);
  });
});

describe('limits of the write endpoints', () => {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' };

  it('a file name longer than a file system takes is the request\'s error (400), not the server\'s', async () => {
    const name = `${'报'.repeat(100)}.txt`;
    const upload = await fx.app.inject({ method: 'POST', url: `/api/reports?filename=${encodeURIComponent(name)}`, headers, payload: Buffer.from(report) });
    expect(upload.statusCode).toBe(400);
    expect(upload.json()).toMatchObject({ param: 'filename', message: 'filename: 304 bytes long, at most 255' });
    // A bidi override or a control character would make the stored name read as another.
    for (const name of ['report\u202Etxt.exe.txt', 'line\nbreak.txt', 'esc\u001b[31m.txt', 'mark\u200Fed.txt', 'c1\u0085.txt']) {
      const bad = await fx.app.inject({ method: 'POST', url: `/api/reports?filename=${encodeURIComponent(name)}`, headers, payload: Buffer.from(report) });
      expect(bad.statusCode, JSON.stringify(name)).toBe(400);
      expect(bad.json().param).toBe('filename');
    }
  });

  it('more writes than wait their turn are answered 503 with Retry-After; a report removed twice at once is removed once, then 404', async () => {
    const uploads = await Promise.all(
      Array.from({ length: 6 }, (_, i) => fx.app.inject({ method: 'POST', url: `/api/reports?filename=wave-${i}.txt`, headers, payload: Buffer.from(`${report}\n七、第${i}项新举措。\n`) })),
    );
    const codes = uploads.map((u) => u.statusCode).sort();
    expect(codes).toEqual([201, 201, 201, 201, 503, 503]);
    expect(uploads.find((u) => u.statusCode === 503)!.headers['retry-after']).toBe('30');
    const id = uploads.find((u) => u.statusCode === 201)!.json().id as number;
    const removals = await Promise.all([1, 2, 3].map(() => fx.app.inject({ method: 'DELETE', url: `/api/reports/${id}`, headers: { authorization: `Bearer ${TOKEN}` } })));
    expect(removals.map((r) => r.statusCode).sort()).toEqual([200, 404, 404]);
    for (const u of uploads.filter((u) => u.statusCode === 201 && u.json().id !== id)) {
      expect((await fx.app.inject({ method: 'DELETE', url: `/api/reports/${u.json().id}`, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    }
    expect((await fx.app.inject({ method: 'GET', url: '/api/status' })).json().documents).toBe(6);
  }, 240_000);
});

describe('writes while another writer holds the data directory', () => {
  it('answer 409 with Retry-After, not a client error, and leave no uploaded file behind', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' };
    const kept = path.join(path.dirname(fx.dataDir), 'uploads', 'kept-2025.txt');
    expect((await fx.app.inject({ method: 'POST', url: '/api/reports?filename=kept-2025.txt', headers, payload: Buffer.from(report) })).statusCode).toBe(201);
    // An embedded writer (as `fazhi ingest` from the command line) holds the store meanwhile.
    const writer = Store.open(fx.dataDir);
    try {
      // A refused new version of a stored report's file leaves the file its stored bytes.
      const again = await fx.app.inject({ method: 'POST', url: '/api/reports?filename=kept-2025.txt', headers, payload: Buffer.from(`${report}\n六、又一项新举措。\n`) });
      expect(again.statusCode).toBe(409);
      expect(readFileSync(kept, 'utf8')).toBe(report);
      const upload = await fx.app.inject({ method: 'POST', url: '/api/reports?filename=while-busy.txt', headers, payload: Buffer.from(report) });
      expect(upload.statusCode).toBe(409);
      expect(Number(upload.headers['retry-after'])).toBeGreaterThan(0);
      expect(upload.json().message).toContain('writing to this data directory');
      expect(existsSync(path.join(path.dirname(fx.dataDir), 'uploads', 'while-busy.txt'))).toBe(false);
      const removed = await fx.app.inject({ method: 'DELETE', url: '/api/reports/1', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(removed.statusCode).toBe(409);
    } finally {
      writer.close();
    }
    expect((await fx.app.inject({ method: 'GET', url: '/api/reports/1' })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/api/status' })).json().documents).toBe(7);
  }, 120_000);
});

describe('serve --root', () => {
  it('uploads are named under the root the server was given, as the CLI names them', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'fazhi-root-'));
    const own = await startServeFixture({ writeToken: TOKEN, writeRoot: root });
    try {
      const upload = await own.app.inject({ method: 'POST', url: '/api/reports?filename=rooted-2025.txt', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, payload: Buffer.from(report) });
      expect(upload.statusCode).toBe(201);
      // Outside that root, a source is its absolute real path (the default root would have made it uploads/…).
      expect(upload.json().source).toBe(realpathSync(path.join(path.dirname(own.dataDir), 'uploads', 'rooted-2025.txt')));
    } finally {
      await own.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});
