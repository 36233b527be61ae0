#!/usr/bin/env node
// An echo bot on `chat daemon`'s JSON-RPC socket (docs/JSONRPC.md), with nothing but Node's own `node:net`.
// Run `chat daemon` for the bot's profile first, then: node examples/echo-bot.mjs   (CHAT_HOME selects the profile)
// Every direct message it receives is sent back to its sender as "echo: <text>". It prints ids, never message text.
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const home = process.env.CHAT_HOME ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'chat');
const socket = createConnection(join(home, 'daemon.sock'));
let nextId = 1;
const call = (method, params) => socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params })}\n`);

let buffered = '';
socket.setEncoding('utf8');
socket.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) !== -1) {
    const msg = JSON.parse(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
    if (msg.method === 'message' && msg.params.kind === undefined && !msg.params.body.startsWith('echo: ')) {
      call('send', { recipient: msg.params.from, message: `echo: ${msg.params.body}` });
    } else if (msg.error) console.error(`error ${msg.error.code} (${msg.error.data?.code})`);
    else if (msg.result?.subscribed) console.log('subscribed');
    else if (msg.result?.type === 'direct') console.log(`echoed ${msg.result.id}`);
  }
});
socket.on('connect', () => call('subscribe'));
socket.on('error', (err) => {
  console.error(`echo-bot: ${err.code === 'ENOENT' ? 'no chat daemon is running for this profile' : err.message}`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
process.on('SIGTERM', () => socket.end());
process.on('SIGINT', () => socket.end());
