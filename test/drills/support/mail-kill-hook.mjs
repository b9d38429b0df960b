// The kill point of the file-mail drill (file-mail-s36.test.ts): loaded into `npm start`'s processes
// with NODE_OPTIONS=--import, it SIGKILLs the app in the middle of writing a mail file (the file
// transport, server/mail/mailer.ts): the first half of the message written to its temporary file,
// then the kill, as a power cut or the OOM killer would leave it. The app has no fault point: `open`
// of node:fs/promises is wrapped (and the ES module bindings synced), for paths ending `.eml.tmp`
// only. Prints `killed writing mail file: <name> (<n> of <m> bytes)` just before the kill.
// Plain JavaScript: the app runs compiled (dist/server), without a TypeScript loader.
import fsp from 'node:fs/promises';
import { writeSync } from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (process.env.DRILL_MAIL_KILL === 'half' && isMainThread) {
  const open = fsp.open;
  fsp.open = async function (file, ...rest) {
    const fh = await open.call(this, file, ...rest);
    if (typeof file !== 'string' || !file.endsWith('.eml.tmp')) return fh;
    fh.writeFile = async (data) => {
      const bytes = Buffer.from(data);
      const half = Math.floor(bytes.length / 2);
      await fh.write(bytes, 0, half);
      await fh.sync();
      writeSync(1, `killed writing mail file: ${path.basename(file)} (${half} of ${bytes.length} bytes)\n`);
      process.kill(process.pid, 'SIGKILL');
    };
    return fh;
  };
  syncBuiltinESMExports();
}
