/**
 * `npm run hub -- --root <dir> [--port 8787] [--host 127.0.0.1] [--pin org/name=revision]`
 * Serves a folder of model repos under the hub URL scheme until interrupted; prints its URL.
 */
import { parseArgs } from 'node:util';
import { startHub } from './hub-server.ts';

const USAGE =
  'usage: npm run hub -- --root <folder of org/name repos> [--port 8787] [--host 127.0.0.1] [--pin org/name=rev]';

function fail(message: string): never {
  console.error(`hub: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      pin: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.root) fail('--root is required');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got ${values.port}`);
const revisions: Record<string, string> = {};
for (const pin of values.pin) {
  const m = /^([^/=]+\/[^/=]+)=(.+)$/.exec(pin);
  if (!m) fail(`--pin wants org/name=revision, got ${pin}`);
  revisions[m[1]] = m[2];
}

try {
  const hub = await startHub({ root: values.root, port, host: values.host, revisions });
  console.log(`hub: serving ${hub.root} at ${hub.url}`);
  console.log(`hub: files at ${hub.url}/{org}/{name}/resolve/{revision}/{path}; control at ${hub.url}/__hub`);
  const stop = () => void hub.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  fail((err as Error).message);
}
