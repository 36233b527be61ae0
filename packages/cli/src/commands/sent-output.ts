/**
 * What `chat send` prints for a send, the same whether this process, the daemon, or the light path of
 * bin/daemon-send.ts sent it. It imports nothing at run time, so that light path stays light.
 */
import type { SendResult } from '../daemon/methods.js';
import type { Output } from './io.js';
import { jsonLine } from '../json-line.js';

export function printSent(out: { stdout: Output; stderr: Output }, json: boolean, r: SendResult): number {
  const reply = r.replyTo === undefined ? {} : { reply_to: r.replyTo };
  const line = (value: unknown): unknown => out.stdout.write(jsonLine(value));
  if (r.type === 'conversation') {
    for (const f of r.failed) out.stderr.write(`chat: warning: not delivered to ${f.to}: ${f.code}\n`);
    if (json) line({ to: r.to, stored: r.stored.length, failed: r.failed, ...reply });
    else out.stdout.write(`sent to ${r.to} (${r.stored.length} members)\n`);
  } else if (json) line({ id: r.id, to: r.to, ts: r.ts, ...reply });
  else out.stdout.write(`sent to ${r.to} (id ${r.id})\n`);
  return 0;
}
