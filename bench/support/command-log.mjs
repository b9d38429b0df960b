// Preloaded into the server by bench/page-commands.ts (NODE_OPTIONS=--import): every database
// command the app's Mongoose connection sends (the session store's included), with its collection,
// a short shape of its filter and projection and its reply's size in bytes, one JSON line each in
// the file COMMAND_LOG names. Only for that benchmark: the driver's command events cost time.
import { appendFileSync } from 'node:fs';
import { calculateObjectSize } from 'bson';
import mongoose from 'mongoose';

const file = process.env.COMMAND_LOG;
if (file) {
  const connect = mongoose.connect.bind(mongoose);
  mongoose.connect = async (uri, opts = {}) => {
    const r = await connect(uri, { ...opts, monitorCommands: true });
    const started = new Map();
    const client = mongoose.connection.getClient();
    const keys = (o) => (o && typeof o === 'object' ? Object.keys(o).join(',') : '');
    client.on('commandStarted', (e) => {
      const c = e.command;
      started.set(e.requestId, { name: e.commandName, coll: String(c[e.commandName] ?? ''), filter: keys(c.filter ?? c.q ?? c.query ?? c.updates?.[0]?.q), projection: keys(c.projection), at: performance.now() });
    });
    client.on('commandSucceeded', (e) => {
      const s = started.get(e.requestId);
      if (!s) return;
      started.delete(e.requestId);
      appendFileSync(file, `${JSON.stringify({ t: Date.now(), ...s, ms: +(performance.now() - s.at).toFixed(2), replyBytes: calculateObjectSize(e.reply) })}\n`);
    });
    return r;
  };
}
