// Model selection, `fazhi model pull` over HTTP (a local server standing in for the hub via
// HF_ENDPOINT) and the reindex that switching model triggers — local fixtures and the installed
// default model only (nothing downloads).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, readFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fazhi, fazhiAsync, fazhiJson, ROOT } from './helpers/cli.ts';

const BUNDLED = path.join(ROOT, 'models/fazhi-mini-zh');
/** The hub layout: /<owner>/<name>/resolve/main/<file>. fazhi.json is left out, so the pulled
 * copy is an ordinary hub model (raw-text input, id = its directory name). */
const HUB_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

let server: Server;
let endpoint: string;
let tmp: string;
const requested: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fazhi-model-'));
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const m = /^\/fixture\/tiny-zh\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    if (m && HUB_FILES.includes(m[1]!)) {
      res.writeHead(200).end(readFileSync(path.join(BUNDLED, m[1]!)));
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

describe('fazhi model', () => {
  it('pulls from HF_ENDPOINT into FAZHI_MODELS_DIR, lists and selects it, and reindexes on the switch', async () => {
    const models = path.join(tmp, 'models');
    const data = path.join(tmp, 'data');
    const env = { HF_ENDPOINT: endpoint, FAZHI_MODELS_DIR: models };

    const pull = await fazhiAsync(['model', 'pull', 'fixture/tiny-zh'], env);
    expect(pull.code, pull.stderr).toBe(0);
    for (const f of HUB_FILES) expect(existsSync(path.join(models, 'fixture/tiny-zh', f)), f).toBe(true);
    expect(requested.some((u) => u === '/fixture/tiny-zh/resolve/main/onnx/model.onnx')).toBe(true);
    expect(readdirSync(path.join(models, 'fixture')).some((n) => n.includes('.partial'))).toBe(false);
    const list = fazhi(['model', 'list'], env).stdout;
    expect(list).toContain('fixture/tiny-zh');
    expect(list).toContain('fazhi-mini-zh');
    expect(list).toContain('bge-small-zh-v1.5');

    expect(fazhi(['ingest', 'corpus/004_e41503e62c4741d1.txt', '--data-dir', data], env).code).toBe(0);
    // `*`: what commands without --model use here; nothing selected yet, so the default.
    const listed = fazhi(['model', 'list', '--data-dir', data], env).stdout.split('\n');
    expect(listed).toContain('* bge-small-zh-v1.5 (default)');
    expect(listed).toContain('  fixture/tiny-zh');
    const before = JSON.parse(fazhi(['status', '--json', '--data-dir', data], env).stdout) as { models: { modelId: string }[] };
    // The default is the installed bge-small-zh-v1.5 (npm ci's postinstall, `npm run models`).
    expect(before.models.map((m) => m.modelId)).toEqual([expect.stringMatching(/^bge-small-zh-v1\.5-q@/)]);

    const pending = JSON.parse(fazhi(['status', '--json', '--model', 'fixture/tiny-zh', '--data-dir', data], env).stdout) as { documentsNeedingReindex: number };
    expect(pending.documentsNeedingReindex).toBe(1);

    // Selecting the pulled model for this data dir re-embeds what the old model embedded.
    const use = fazhi(['model', 'use', 'fixture/tiny-zh', '--data-dir', data], env);
    expect(use.code, use.stderr).toBe(0);
    expect(use.stderr).toMatch(/re-embedding with tiny-zh/);
    const after = JSON.parse(fazhi(['status', '--json', '--data-dir', data], env).stdout) as { models: { modelId: string }[] };
    expect(after.models.map((m) => m.modelId)).toEqual(['tiny-zh']);
    expect(fazhiJson(['search', '行政复议', '--data-dir', data, '--mode', 'dense', '--k', '3'], env)).toHaveLength(3);
    const selectedList = fazhi(['model', 'list', '--data-dir', data], env).stdout.split('\n');
    expect(selectedList).toContain(`* fixture/tiny-zh (selected for ${data})`);
    expect(selectedList).toContain('  bge-small-zh-v1.5 (default)');

    // A search with another model cannot re-embed (read commands never write): it says what to run.
    const refused = fazhi(['search', '行政复议', '--model', 'fazhi-mini-zh', '--data-dir', data, '--k', '1'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--model: .*embedded with another model \(tiny-zh\) than fazhi-mini-zh@.*run `fazhi reindex --model fazhi-mini-zh`.*or leave out --model/);
    const unchanged = JSON.parse(fazhi(['status', '--json', '--data-dir', data], env).stdout) as { models: { modelId: string }[] };
    expect(unchanged.models.map((m) => m.modelId)).toEqual(['tiny-zh']);
    // reindex with --model switches back, and selects that model: the store holds only its vectors.
    const back = fazhi(['reindex', '--model', 'fazhi-mini-zh', '--data-dir', data], env);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toMatch(/reindex: \d+ passages re-embedded/);
    expect(back.stderr).toContain(`selected model fazhi-mini-zh for ${data}`);
    expect(fazhi(['search', '行政复议', '--model', 'fazhi-mini-zh', '--data-dir', data, '--k', '1'], env).code).toBe(0);
    const plain = fazhi(['search', '行政复议', '--data-dir', data, '--k', '1'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(data, 'config.json'), 'utf8'))).toEqual({ model: 'fazhi-mini-zh' });

    // A data dir selecting one model while its reports were embedded with another (as a reindex
    // with --model left it before it selected too): no --model was typed, so the selection is named.
    writeFileSync(path.join(data, 'config.json'), JSON.stringify({ model: 'fixture/tiny-zh' }));
    const mismatch = fazhi(['search', '行政复议', '--data-dir', data, '--k', '1'], env);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).not.toContain('--model');
    expect(mismatch.stderr).toMatch(
      new RegExp(`^fazhi: ${data}'s selected model fixture/tiny-zh \\(fazhi model use\\): 1 report\\(s\\) .* embedded with another model \\(fazhi-mini-zh@.*run \`fazhi reindex\` to re-embed them with it, or \`fazhi model use <name>\``),
    );
    // The server refuses to start on it the same way.
    const served = fazhi(['serve', '--data-dir', data, '--port', '0'], env);
    expect(served.code).toBe(2);
    expect(served.stderr).not.toContain('--model');
    expect(served.stderr).toContain(`${data}'s selected model fixture/tiny-zh (fazhi model use)`);
  });

  it("an ingest with another model than the store's re-embeds it, and the model it was named by is selected: never a store of two models", () => {
    const data = path.join(tmp, 'two-models');
    const first = fazhi(['ingest', 'corpus/004_e41503e62c4741d1.txt', '--data-dir', data], { FAZHI_MODEL: 'fazhi-mini-zh' });
    expect(first.code, first.stderr).toBe(0);
    // Created with FAZHI_MODEL: commands without it use that model here, not the default.
    expect(JSON.parse(readFileSync(path.join(data, 'config.json'), 'utf8'))).toEqual({ model: 'fazhi-mini-zh' });
    expect(fazhi(['search', '行政复议', '--data-dir', data, '--k', '1']).code).toBe(0);
    const other = fazhi(['ingest', 'corpus/003_49b691710f879f5c.txt', '--data-dir', data, '--model', 'bge-small-zh-v1.5']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/1 report\(s\) were embedded with another model; re-embedding with bge-small-zh-v1\.5/);
    const status = JSON.parse(fazhi(['status', '--json', '--data-dir', data]).stdout) as { models: { modelId: string }[]; documents: number };
    expect(status.documents).toBe(2);
    expect(status.models.map((m) => m.modelId)).toEqual([expect.stringMatching(/^bge-small-zh-v1\.5-q@/)]);
    const plain = fazhi(['search', '行政复议', '--data-dir', data, '--k', '1']);
    expect(plain.code, plain.stderr).toBe(0);
  });

  it('`model use` with a path from here records it absolute: commands run elsewhere still find it', () => {
    const data = path.join(tmp, 'relative-use');
    expect(fazhi(['ingest', 'corpus/004_e41503e62c4741d1.txt', '--data-dir', data, '--model', 'fazhi-mini-zh']).code).toBe(0);
    const use = fazhi(['model', 'use', 'models/fazhi-mini-zh', '--data-dir', data]);
    expect(use.code, use.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(data, 'config.json'), 'utf8'))).toEqual({ model: path.join(ROOT, 'models', 'fazhi-mini-zh') });
    const elsewhere = fazhi(['search', '行政复议', '--data-dir', data, '--k', '1'], {}, os.tmpdir());
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
  });

  it('fails clearly and leaves nothing behind when the hub lacks the model', async () => {
    const models = path.join(tmp, 'models-404');
    const r = await fazhiAsync(['model', 'pull', 'fixture/missing'], { HF_ENDPOINT: endpoint, FAZHI_MODELS_DIR: models });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hub-id.*404/);
    expect(existsSync(path.join(models, 'fixture/missing'))).toBe(false);
  });

  it('rejects an unknown model and a malformed hub id, naming the argument', () => {
    const unknown = fazhi(['search', '复议', '--model', 'no-such-model', '--data-dir', path.join(tmp, 'x')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--model');
    const bad = fazhi(['model', 'pull', '../../etc'], { HF_ENDPOINT: endpoint, FAZHI_MODELS_DIR: path.join(tmp, 'm') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('hub-id');
  });

  it('`model use` names its argument, not --model, and tells a directory holding no model from a name found nowhere', () => {
    const data = path.join(tmp, 'use-data');
    const unknown = fazhi(['model', 'use', 'no-such-model', '--data-dir', data]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^fazhi: model use no-such-model: no-such-model not found \(looked for config\.json in /);
    const notModel = fazhi(['model', 'use', tmp, '--data-dir', data]);
    expect(notModel.code).toBe(2);
    expect(notModel.stderr).toMatch(new RegExp(`^fazhi: model use ${tmp}: ${tmp} holds no model \\(no config\\.json`));
    expect(existsSync(data)).toBe(false);
  });
});
