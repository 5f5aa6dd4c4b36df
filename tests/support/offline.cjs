// Preloaded (node --require) into the tools a test runs as child processes: every attempt to open
// a network connection fails and is reported on stderr, so the test can assert the tool ran offline.
const net = require('node:net');

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect() passes its arguments on normalised, as an array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  // Local IPC (a Unix socket path) is not the network.
  if (options.path !== undefined) return connect.apply(this, args);
  process.stderr.write(`offline: blocked a connection to ${options.host ?? 'localhost'}:${options.port}\n`);
  process.nextTick(() => this.destroy(new Error('offline: network access is blocked')));
  return this;
};
