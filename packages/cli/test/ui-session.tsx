/**
 * The interactive session's tests' one way to open a session: a Messenger on a profile, the controller over it
 * (session/local.ts), ChatApp drawn by ink-testing-library, started and (by default) online. `stop` quits it.
 */
import { render } from 'ink-testing-library';
import { TEST_PASSPHRASE } from '../../../test/e2e/harness.js';
import { Messenger } from '../src/engine/messenger.js';
import { Profile } from '../src/engine/profile.js';
import { localEngine } from '../src/session/local.js';
import { ChatApp } from '../src/ui/ChatApp.js';
import { ChatController } from '../src/ui/controller.js';
import { until } from './helpers.js';

export async function uiSession(home: string, initial?: string, { online = true }: { online?: boolean } = {}) {
  const m = await Messenger.open(new Profile(home), { passphrase: TEST_PASSPHRASE });
  const controller = new ChatController(localEngine(m), { initial, write: () => {}, retryBaseMs: 50 });
  let logins = 0;
  m.on('connection', (s) => {
    if (s.state === 'online') logins++;
  });
  const ui = render(
    <ChatApp controller={controller} relay="test" color={false} onQuit={() => controller.submit('/quit')} />,
  );
  controller.start();
  if (online) await until(() => controller.connection.state === 'online', 'online');
  const frame = () => ui.lastFrame() ?? '';
  const stop = async () => {
    controller.submit('/quit');
    ui.unmount();
    await controller.stopped();
    m.close();
  };
  /** How many times the session has come online (a reconnect adds one). */
  return { m, controller, ui, frame, stop, logins: () => logins };
}
