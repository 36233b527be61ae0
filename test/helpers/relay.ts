import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type RelayOptions, type RunningRelay } from '@chat/relay';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The real relay on port 0 over a real SQLite file in `dataDir`, speaking TLS 1.3 unless `extra.tls` is false. */
export function relayOn(dataDir: string, extra: Partial<RelayOptions> = {}): Promise<RunningRelay> {
  return startRelay({ host: '127.0.0.1', port: 0, dataDir, ...extra });
}
