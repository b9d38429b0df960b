import { MongoClient, GridFSBucket } from 'mongodb';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
const file = '/tmp/_gf.bin';
await writeFile(file, Buffer.alloc(20_000_000, 7));
const c = await MongoClient.connect(process.argv[2]!);
const b = new GridFSBucket(c.db('gf'), { bucketName: 'documents' });
for (const hwm of [64 * 1024, 1024 * 1024, 4 * 1024 * 1024, 1024 * 1024, 64 * 1024]) {
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await pipeline(createReadStream(file, { highWaterMark: hwm }), b.openUploadStream('x' + i));
  console.log('hwm', hwm, ((performance.now() - t0) / 3).toFixed(1), 'ms per 20MB');
}
await c.close();
